"""Exceptions a caller can act on; each message says what was wrong and what to do."""


class TryonError(Exception):
    """Base class for every error the engine raises on purpose."""


class UnreadableImage(TryonError):
    """The bytes or file are not a decodable image (corrupt, truncated, empty, unknown format)."""


class ImageTooLarge(TryonError):
    """The image exceeds the documented pixel or byte limit."""


class NoFaceFound(TryonError):
    """No usable face was found in the image."""


class FaceCutByFrame(TryonError):
    """A face was found but the part the product needs lies outside the picture."""


class UnsupportedModel(TryonError):
    """A 3D model file cannot be used (not glTF, broken, no geometry, bad references)."""


class UnknownProduct(TryonError):
    """The product id is not in the catalog and is not a path to a model file."""


class UnknownVariant(TryonError):
    """The product has no variant with the requested name."""


class RenderUnavailable(TryonError):
    """No OpenGL context could be created (no EGL driver)."""


class UnreadableVideo(TryonError):
    """The video file cannot be opened or has no frames."""


class CatalogError(TryonError):
    """The bundled catalog file is missing or malformed, or a category name is unknown."""



# Appended section (this file grows by appending): imports placed here on purpose.
from tryon.products.problems import Problem, summarise  # noqa: E402  (stdlib-only module, no cycle)


class ModelRejected(UnsupportedModel):
    """A model file failed the import checks. `problems` holds every error found (and any
    warnings), so a retailer can fix them all before uploading again; str() names them all."""

    def __init__(self, problems: tuple[Problem, ...] | list[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(summarise(self.problems))

    def __reduce__(self) -> tuple[type, tuple[tuple[Problem, ...]]]:
        return (type(self), (self.problems,))  # survives pickling (process pools) with its problems


class InvalidViewRequest(TryonError):
    """A product picture was asked for with a size, background colour or frame count out of range."""
