"""What a server costs, read from /proc: CPU time and memory of a process tree (the pids bench/run started and all
their descendants).

CPU of processes that exit during a run is not lost: when a parent waits for a child, the kernel adds the child's
utime+stime (and its own reaped children's) to the parent's cutime+cstime (proc(5)). So the sum over the live tree of
utime+stime+cutime+cstime counts every process once, alive or reaped, and the difference of two such sums is the
tree's CPU time in between.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Callable, Iterable

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    comm: str
    own_ticks: int  # utime + stime
    reaped_ticks: int  # cutime + cstime: children that exited and were waited for
    rss_bytes: int
    start_ticks: int  # with pid, tells this process from a later one that reuses its pid


def read_proc(pid: int) -> Proc | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read().decode(errors="replace")
    except OSError:
        return None
    # comm may hold spaces and parentheses, so split at the last ')'. Field numbers below are proc(5)'s.
    close = data.rindex(")")
    comm = data[data.index("(") + 1 : close]
    fields = data[close + 2 :].split()  # fields[0] is field 3 (state)
    field = lambda n: int(fields[n - 3])  # noqa: E731
    return Proc(pid, field(4), comm, field(14) + field(15), field(16) + field(17), field(24) * PAGE_BYTES, field(22))


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def tree(roots: Iterable[int]) -> list[Proc]:
    """The roots and all their live descendants (one scan of /proc; /proc/PID/task/*/children is not everywhere)."""
    procs = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            proc = read_proc(int(name))
            if proc is not None:
                procs[proc.pid] = proc
    children: dict[int, list[int]] = {}
    for proc in procs.values():
        children.setdefault(proc.ppid, []).append(proc.pid)
    found, todo = [], [pid for pid in roots if pid in procs]
    while todo:
        pid = todo.pop()
        found.append(procs[pid])
        todo.extend(children.get(pid, ()))
    return found


# Decides which processes of a tree are the server's Python workers (the rest is its front: master, web server).
WorkerTest = Callable[[Proc], bool]


@dataclass
class CpuSnapshot:
    front_ticks: int
    worker_ticks: int

    def __sub__(self, other: "CpuSnapshot") -> "CpuSnapshot":
        return CpuSnapshot(self.front_ticks - other.front_ticks, self.worker_ticks - other.worker_ticks)

    @property
    def seconds(self) -> float:
        return (self.front_ticks + self.worker_ticks) / CLOCK_TICKS


def cpu_snapshot(roots: Iterable[int], is_worker: WorkerTest) -> CpuSnapshot:
    front = workers = 0
    for proc in tree(roots):
        if is_worker(proc):
            workers += proc.own_ticks
        else:
            front += proc.own_ticks
        # Reaped children are, in every server here, workers that exited (recycled, or timed out).
        workers += proc.reaped_ticks
    return CpuSnapshot(front, workers)


class MemorySampler:
    """Samples the tree's resident memory twice a second in a thread: the peak of the sum over all its processes, and
    the peak of any one worker. RSS counts pages shared between forked workers once per process."""

    def __init__(self, roots: list[int], is_worker: WorkerTest, interval: float = 0.5) -> None:
        self.roots, self.is_worker, self.interval = roots, is_worker, interval
        self.peak_total = self.peak_worker = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        procs = tree(self.roots)
        self.peak_total = max(self.peak_total, sum(p.rss_bytes for p in procs))
        self.peak_worker = max([self.peak_worker] + [p.rss_bytes for p in procs if self.is_worker(p)])

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> "MemorySampler":
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()
