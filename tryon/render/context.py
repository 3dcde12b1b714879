"""The process's one headless OpenGL context (EGL), created on first use.

An EGL context may be current on one thread at a time, and servers call from thread pools. So
the context is never left current: every GL call runs inside `current_context()`, which holds
a process-wide lock and makes the context current on the calling thread for the duration
(a few microseconds). Nested uses on one thread are fine.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import moderngl

from tryon.errors import RenderUnavailable

# 3.3 core: uniform blocks, explicit attribute locations, float render targets.
REQUIRED_GL_VERSION = 330

INSTALL_HINT = (
    "The renderer needs an EGL driver for OpenGL 3.3. On Debian/Ubuntu install Mesa's: "
    "`apt-get install libegl1 libegl-mesa0 libgl1-mesa-dri` (software rendering works), or the "
    "NVIDIA driver's EGL libraries on a GPU machine; then restart the process."
)

_lock = threading.RLock()
_depth = threading.local()  # per thread: how many current_context() blocks are open
_context: moderngl.Context | None = None


def get_context() -> moderngl.Context:
    """The shared context (not current on any thread: use `current_context()` to call GL).

    Raises RenderUnavailable, with what to install, when no EGL context can be created.
    """
    global _context
    with _lock:
        if _context is None:
            _context = _create_context()
        return _context


@contextmanager
def current_context() -> Iterator[moderngl.Context]:
    """Hold the GL lock with the shared context current on this thread."""
    ctx = get_context()
    with _lock:
        depth = getattr(_depth, "value", 0)
        if depth == 0:
            ctx.__enter__()
        _depth.value = depth + 1
        try:
            yield ctx
        finally:
            _depth.value = depth
            if depth == 0:
                ctx.__exit__(None, None, None)


def _create_context() -> moderngl.Context:
    try:
        ctx = moderngl.create_standalone_context(backend="egl", require=REQUIRED_GL_VERSION)
    except Exception as exc:  # glcontext raises bare Exception, OSError or ImportError here
        raise RenderUnavailable(f"could not create an OpenGL context ({exc}). {INSTALL_HINT}") from exc
    version = ctx.version_code
    ctx.__exit__(None, None, None)  # created current on this thread: release it for any thread
    if version < REQUIRED_GL_VERSION:
        ctx.release()
        raise RenderUnavailable(f"OpenGL {version / 100:.1f} found, 3.3 needed. {INSTALL_HINT}")
    return ctx
