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
