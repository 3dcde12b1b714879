"""A machine without EGL gets a RenderUnavailable that says what to install, not a traceback."""

from __future__ import annotations

import moderngl
import pytest

from tryon.errors import RenderUnavailable
from tryon.render import context


def test_a_missing_egl_driver_raises_render_unavailable_with_the_packages_to_install(monkeypatch):
    def no_egl(*args, **kwargs):
        raise Exception("eglGetDisplay failed")

    monkeypatch.setattr(moderngl, "create_standalone_context", no_egl)
    with pytest.raises(RenderUnavailable) as raised:
        context._create_context()
    message = str(raised.value)
    assert "eglGetDisplay failed" in message
    for package in ("libegl1", "libegl-mesa0", "libgl1-mesa-dri"):
        assert package in message


def test_the_context_is_created_once_per_process():
    assert context.get_context() is context.get_context()
    with context.current_context() as ctx:
        assert ctx.version_code >= context.REQUIRED_GL_VERSION
