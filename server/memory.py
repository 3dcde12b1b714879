"""Memory settings for a long-running server: the garbage collector, and glibc's heap for
sessions that come and go.

Garbage collector: the objects made at start (the app, the catalog, MediaPipe and GL modules) live
as long as the process, yet every full collection walked them all: ~300 ms with the event loop
stopped, once every few thousand requests, which was the p95 of the reservation benchmark (p50
25 ms, p95 119 ms). Frozen after start-up (gc.freeze), collections only look at what requests
made: the longest pause measured fell to ~30 ms and the p95 to ~50-70 ms.

glibc's heap:

Each session's MediaPipe graph runs on threads of its own, and glibc gives busy threads their own
malloc arenas (up to 8 per core); freed graph memory stays scattered over them, so the server's
resident memory climbed with every ended session (benchmarks/bench_session_memory.py, 20 rounds
of 6 sessions: 418 -> 838 MB). Measured on 2 cores: a trim when a session ends alone still
wandered up to ~390 MB; 2 arenas kept it flat at ~310 MB but raised the 4-client round-trip p95
from ~26 to ~34-52 ms (malloc lock contention); 4 arenas plus the trim stay flat at ~322 MB with
p95 ~25-30 ms. No-ops where glibc is not the C library.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc

M_ARENA_MAX = -8  # glibc's mallopt parameter number
ARENAS = 4

_libc: ctypes.CDLL | None = None


def _glibc() -> ctypes.CDLL | None:
    global _libc
    if _libc is None:
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            libc.malloc_trim  # glibc only
            libc.mallopt
        except (OSError, AttributeError):
            return None
        _libc = libc
    return _libc


def freeze_startup_objects() -> None:
    """Move every object alive now out of the collector's sight (see the module docstring)."""
    gc.collect()
    gc.freeze()


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    libc = _glibc()
    return bool(libc and libc.mallopt(M_ARENA_MAX, arenas))


def trim_heap() -> None:
    """Give freed heap memory back to the system (a few ms; called once per ended session)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
