"""The few GL entry points moderngl 5.13 has no call for, looked up through EGL (the only
backend the context uses). Each is None where the driver does not provide it."""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache


@cache
def _proc_address(name: str) -> int | None:
    library = ctypes.util.find_library("EGL")
    if library is None:
        return None
    try:
        egl = ctypes.CDLL(library)
    except OSError:
        return None
    egl.eglGetProcAddress.restype = ctypes.c_void_p
    egl.eglGetProcAddress.argtypes = [ctypes.c_char_p]
    return egl.eglGetProcAddress(name.encode()) or None


@cache
def sampler_parameteri():
    """glSamplerParameteri(sampler, pname, value), or None."""
    address = _proc_address("glSamplerParameteri")
    return ctypes.CFUNCTYPE(None, ctypes.c_uint, ctypes.c_uint, ctypes.c_int)(address) if address else None


@cache
def flush():
    """glFlush(): hand the commands issued so far to the driver without waiting, or None."""
    address = _proc_address("glFlush")
    return ctypes.CFUNCTYPE(None)(address) if address else None
