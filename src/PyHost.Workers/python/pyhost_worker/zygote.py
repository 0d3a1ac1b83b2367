"""--preload: the zygote imports the app once, then forks workers that share its memory copy-on-write."""

from __future__ import annotations

import os
import select
from typing import Callable

from .channel import Channel, front_gone, protocol_error
from .protocol import CHILD_EXITED, FORK, STOP, pack_frame

# How often the zygote, blocked on its socket, looks for exited children and for a dead front.
REAP_INTERVAL = 0.5


def run_zygote(channel: Channel, serve_forked_worker: Callable[[str, str], None]) -> None:
    """Fork a worker for each FORK frame until the socket ends. Single-threaded on purpose: forking a process with
    threads can copy a lock some other thread held. The children are reaped here and their exits reported, since
    only a parent can wait for a process."""
    parent = os.getppid()
    while True:
        readable, _, _ = select.select([channel.fileno()], [], [], REAP_INTERVAL)
        if readable:
            frame = channel.poll()
            while frame is not None:
                frame_type, _, _, payload = frame
                if frame_type == FORK:
                    worker_id, _, token = payload.decode("ascii").partition(":")
                    _fork(channel, serve_forked_worker, worker_id, token)
                elif frame_type == STOP:
                    front_gone()
                else:
                    protocol_error(f"unexpected frame type {frame_type} for a zygote")
                frame = channel.poll()
        _reap(channel)
        if os.getppid() != parent:
            front_gone()


def _fork(channel: Channel, serve_forked_worker: Callable[[str, str], None], worker_id: str, token: str) -> None:
    pid = os.fork()
    if pid == 0:
        try:
            channel.close()  # the zygote's socket: the child opens a channel of its own
            serve_forked_worker(worker_id, token)
        finally:
            os._exit(0)


def _reap(channel: Channel) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        code = os.waitstatus_to_exitcode(status)  # negative: killed by that signal
        channel.send(pack_frame(CHILD_EXITED, 0, f"{pid} {code}".encode("ascii")))
