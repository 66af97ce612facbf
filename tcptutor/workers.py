"""Worker processes that never outlive the command that started them: the build's
verification pool (bank.content) and assign's variant pool (course.pool) both use this."""

from __future__ import annotations

import os
import signal
import threading
from concurrent.futures import ProcessPoolExecutor


def worker_pool(workers: int, mp_context=None) -> ProcessPoolExecutor:
    """A pool of `workers` processes, each killed when this process dies."""
    return ProcessPoolExecutor(workers, mp_context=mp_context, initializer=_die_with_parent, initargs=(os.getpid(),))


def _die_with_parent(parent: int) -> None:
    """Pool worker initializer: a worker must not outlive its parent (even after kill -9 of
    it). Linux: prctl(PR_SET_DEATHSIG, SIGKILL); elsewhere, and against the race of the
    parent dying before prctl ran, a daemon thread that watches os.getppid()."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_DEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            threading.Event().wait(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="die-with-parent").start()
