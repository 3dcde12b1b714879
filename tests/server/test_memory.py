"""glibc heap settings: applied where glibc is the C library, harmless anywhere."""

from __future__ import annotations

import platform

from server.memory import limit_malloc_arenas, trim_heap


def test_arena_limit_and_trim_work_on_glibc():
    applied = limit_malloc_arenas()
    trim_heap()
    if platform.libc_ver()[0] == "glibc":
        assert applied
