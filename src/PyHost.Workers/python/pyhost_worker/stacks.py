"""On-demand stack dumps: every thread's Python stack, written by faulthandler into an in-memory file the front reads.

faulthandler dumps from its C signal handler, so even a worker stuck in C code or in a loop that never returns to the
interpreter answers. The file is a memfd opened for append: the front notes its size, sends SIGUSR2, and reads what
was added through /proc/PID/fd/N (docs/protocol.md, "Stack dumps"). Nothing lands on disk and nothing is in the way
of the request channel.
"""

from __future__ import annotations

import faulthandler
import fcntl
import os
import signal
from typing import Optional

_stack_fd: Optional[int] = None


def register_stack_dump() -> Optional[int]:
    """Makes SIGUSR2 dump every thread's stack into a fresh memfd; returns its fd number, None where unsupported.
    Called again in a process forked from a zygote: the child needs a file of its own."""
    global _stack_fd
    memfd_create = getattr(os, "memfd_create", None)
    if memfd_create is None or not hasattr(signal, "SIGUSR2"):
        return None
    try:
        fd = memfd_create("pyhost-stacks", os.MFD_CLOEXEC)
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_APPEND)
    except OSError:
        return None
    faulthandler.register(signal.SIGUSR2, file=fd, all_threads=True)
    if _stack_fd is not None:
        os.close(_stack_fd)  # the zygote's, inherited by this child
    _stack_fd = fd
    return fd


def ready_payload(pid: int, python_version: str, stack_fd: Optional[int], interface: str = "wsgi") -> bytes:
    """READY's payload: "pid python-version interface[ loop][ stack=FD]" (docs/protocol.md)."""
    text = f"{pid} {python_version} {interface}"
    if stack_fd is not None:
        text += f" stack={stack_fd}"
    return text.encode("utf-8")
