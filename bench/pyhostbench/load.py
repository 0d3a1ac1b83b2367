"""The load generators, each run for a fixed duration with a hard timeout: wrk for throughput (its Lua script
reports a JSON summary), hey for latency at a fixed rate per connection, bench/tools/OpenLoop for latency at a fixed
arrival rate (an open loop), and bench/slowclients.py for slow clients."""

from __future__ import annotations

import http.client
import json
import math
import os
import re
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent
WRK_SCRIPT = BENCH / "wrk" / "report.lua"
WRK_TIMEOUT = "5s"  # a request slower than this is counted as a timeout error


@dataclass
class LoadResult:
    requests: int  # completed responses, any status
    seconds: float
    p50_ms: float | None
    p99_ms: float | None
    non_2xx: int
    socket_errors: int
    detail: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return self.non_2xx + self.socket_errors


def wrk(url: str, seconds: float, connections: int, headers: tuple[str, ...] = (), post_bytes: int = 0,
        slow_path: str = "", slow_every: int = 0) -> LoadResult:
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", WRK_TIMEOUT,
            "-s", str(WRK_SCRIPT)]
    for header in headers:
        argv += ["-H", header]
    argv.append(url)
    env = {"BENCH_POST_BYTES": str(post_bytes), "BENCH_SLOW_PATH": slow_path, "BENCH_SLOW_EVERY": str(slow_every),
           "PATH": "/usr/bin:/bin"}
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30, env=env)
    line = next((l for l in out.stdout.splitlines() if l.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no summary (exit {out.returncode}): {out.stderr.strip() or out.stdout.strip()}")
    s = json.loads(line[len("BENCH_JSON "):])
    # wrk counts a status >= 400 as a "status" error; 3xx does not occur with these apps.
    socket_errors = s["connect"] + s["read"] + s["write"] + s["timeout"]
    detail = ", ".join(f"{k} {s[k]}" for k in ("connect", "read", "write", "timeout", "status") if s[k])
    has_latency = s["requests"] > 0
    return LoadResult(s["requests"], s["duration_us"] / 1e6, s["p50_us"] / 1000 if has_latency else None,
                      s["p99_us"] / 1000 if has_latency else None, s["status"], socket_errors, detail)


HEY_CONNECTIONS = 16


def hey_fixed_rate(url: str, seconds: float, rate: float) -> LoadResult:
    """hey's -q limits each of its -c workers to a rate (a Go ticker per worker); -c × -q is the offered rate. Each
    worker waits for its response before its next tick, so a stall delays later requests rather than queueing
    them (coordinated omission): the p99 here is a lower bound under stalls."""
    per_worker = rate / HEY_CONNECTIONS
    argv = ["hey", "-z", f"{max(1, round(seconds))}s", "-c", str(HEY_CONNECTIONS), "-q", f"{per_worker:.2f}",
            "-t", "5", "-disable-compression", url]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30)
    text = out.stdout
    total = re.search(r"Total:\s+([\d.]+) secs", text)
    percentiles = dict(re.findall(r"(\d+)% in ([\d.]+) secs", text))
    statuses = {int(code): int(n) for code, n in re.findall(r"\[(\d{3})\]\s+(\d+) responses", text)}
    # Error lines look like "  [12]	Get ...: dial tcp ...". Status lines end in "responses".
    errors = sum(int(n) for n, rest in re.findall(r"^\s+\[(\d+)\]\t(.*)$", text, re.M) if "responses" not in rest)
    if total is None:
        raise RuntimeError(f"hey gave no summary (exit {out.returncode}): {out.stderr.strip()}")
    responses = sum(statuses.values())
    p = lambda k: float(percentiles[k]) * 1000 if k in percentiles else None  # noqa: E731
    non_2xx = sum(n for code, n in statuses.items() if not 200 <= code < 300)
    return LoadResult(responses, float(total.group(1)), p("50"), p("99"), non_2xx, errors,
                      "" if not errors else f"socket {errors}")


def open_loop(tool: list[str], port: int, seconds: float, rate: float, path: str, slow_path: str,
              slow_every: int) -> LoadResult:
    """bench/tools/OpenLoop: requests due at fixed times (rate per second), each on a free keep-alive connection (a
    new one when none is free), latency counted from when it was due. p50/p99 here are the fast requests'."""
    argv = [*tool, "--port", str(port), "--rate", f"{rate:g}", "--seconds", f"{seconds:g}", "--path", path,
            "--slow-path", slow_path, "--slow-every", str(slow_every), "--timeout", "5"]
    # Socket completions on the epoll thread: one thread hop less per response, less of the generator's CPU.
    env = {**os.environ, "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS": "1", "DOTNET_TieredPGO": "0"}
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30, env=env)
    if out.returncode != 0 or not out.stdout.strip():
        raise RuntimeError(f"openloop failed (exit {out.returncode}): {out.stderr.strip()[-500:]}")
    s = json.loads(out.stdout.strip().splitlines()[-1])
    fast, slow, lateness = s["fast"], s["slow"], s["lateness"]
    completed = sum(s["statuses"].values())
    non_2xx = sum(n for code, n in s["statuses"].items() if not 200 <= int(code) < 300)
    failures = sum(s["failures"].values())
    detail = ", ".join(f"{k} {n}" for k, n in s["failures"].items())
    extra = {"offered_rate": rate, "scheduled": s["scheduled"], "scheduled_slow": s["scheduled_slow"],
             "fast": fast, "slow": slow, "lateness": lateness, "retried": s["retried"],
             "connections_opened": s["connections_opened"], "most_open": s["most_open"],
             "waited_for_connection": s["waited_for_connection"]}
    return LoadResult(completed, s["seconds"], fast["p50_ms"], fast["p99_ms"], non_2xx, failures, detail, extra)


@dataclass
class SlowClients:
    process: subprocess.Popen
    ready: int

    def finish(self, timeout: float) -> dict:
        try:
            out, _ = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate()
        lines = [l for l in out.splitlines() if l.startswith("{")]
        return json.loads(lines[-1]) if lines else {}


def start_slow_clients(port: int, seconds: float, headers: int = 0, uploaders: int = 0,
                       readers: int = 0) -> SlowClients:
    """bench/slowclients.py in the background; returns once its clients are connected (or after 15 s)."""
    process = subprocess.Popen(
        ["/usr/bin/python3", str(BENCH / "slowclients.py"), str(port), "--headers", str(headers),
         "--uploaders", str(uploaders), "--readers", str(readers), "--seconds", str(seconds)],
        stdout=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 15
    ready = 0
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if line.startswith("ready "):
            ready = int(line.split()[1])
            break
    return SlowClients(process, ready)


def fixed_rate_for(max_rate: float) -> float:
    """Half the measured maximum, rounded down to a multiple of the client count."""
    return max(HEY_CONNECTIONS, math.floor(max_rate / 2 / HEY_CONNECTIONS) * HEY_CONNECTIONS)


class Probe:
    """One client more than the load: a GET every half second on its own keep-alive connection, reconnecting after
    a failure. A server whose workers are all held by the load's connections (sync workers with keep-alive, or slow
    clients) leaves it unanswered, which wrk's own figures do not show."""

    def __init__(self, port: int, path: str, interval: float = 0.5, timeout: float = 5.0) -> None:
        self.port, self.path, self.interval, self.timeout = port, path, interval, timeout
        self.sent = self.answered = 0
        self.slowest_ms = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        conn = None
        while not self._stop.wait(self.interval):
            self.sent += 1
            started = time.monotonic()
            # As HTTP clients do, a request that fails on a reused connection (the server may have closed it without
            # saying so) is retried once on a new one (RFC 9112 §9.3.1).
            for attempt in ("reused", "new") if conn else ("new",):
                try:
                    conn = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                    conn.request("GET", self.path)
                    response = conn.getresponse()
                    response.read()
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = None
                    if time.monotonic() - started >= self.timeout:
                        break  # a request that timed out is not retried
                    continue
                if response.status < 500:
                    self.answered += 1
                    self.slowest_ms = max(self.slowest_ms, (time.monotonic() - started) * 1000)
                if response.will_close:
                    conn.close()
                    conn = None
                break
        if conn is not None:
            conn.close()

    def __enter__(self) -> "Probe":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(self.timeout + 2)

    def summary(self) -> dict:
        return {"sent": self.sent, "answered": self.answered, "slowest_ms": round(self.slowest_ms, 1)}
