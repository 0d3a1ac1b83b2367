#!/usr/bin/python3
"""What an app's logging costs the server, issue 9 point 8: PyHost against Debian's gunicorn (sync workers), both
serving bench/apps/chatty.py with the same number of workers, their stderr (and so the app's log lines) going to a
file. For each: requests/s and CPU microseconds per request of the whole process tree and of the front (PyHost's
C# process; gunicorn's arbiter, which relays nothing), for /log (16 KiB of log lines per request) and for /busy,
which burns as much worker CPU as /log takes without logging, so both run at the same request rate: a front's CPU
per request depends on the rate (its threads spin while they wait for work). The difference is what the logging
costs. Not part of `make test`.

    bench/app_output.py [--seconds 10] [--kib 16] [--workers 2] [--pyhost artifacts/pyhost] [--baseline OTHER_PYHOST]
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from pyhostbench.procs import CLOCK_TICKS, tree  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
APPS = ROOT / "bench" / "apps"
PYTHON = "/usr/bin/python3"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(port: int) -> None:
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing answers on port {port}")


def cpu_ticks(pid: int) -> tuple[int, int]:
    """(the whole tree's CPU ticks, the root's own): the root is PyHost's front, or gunicorn's arbiter."""
    procs = tree([pid])
    return sum(proc.own_ticks + proc.reaped_ticks for proc in procs), sum(proc.own_ticks for proc in procs if proc.pid == pid)


def wrk(url: str, seconds: int, connections: int) -> tuple[float, int, str]:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = "errors" if ("Non-2xx" in out or "Socket errors" in out) else ""
    return rate, requests, errors


def measure(name: str, command: list[str], port: int, args: argparse.Namespace, log_path: str) -> dict[str, tuple[float, float, float]]:
    with open(log_path, "ab") as log:
        server = subprocess.Popen(command, cwd=APPS, stdout=log, stderr=log, start_new_session=True)
    try:
        wait_for(port)
        time.sleep(1)
        results = {}
        for path in (f"/busy?us={args.busy_us}", f"/log?kib={args.kib}"):
            url = f"http://127.0.0.1:{port}{path}"
            wrk(url, 2, args.connections)   # warm-up
            (all_before, front_before) = cpu_ticks(server.pid)
            rate, requests, errors = wrk(url, args.seconds, args.connections)
            (all_after, front_after) = cpu_ticks(server.pid)
            per_request = (all_after - all_before) / CLOCK_TICKS * 1e6 / max(requests, 1)
            front = (front_after - front_before) / CLOCK_TICKS * 1e6 / max(requests, 1)
            results[path.split("?")[0]] = (rate, per_request, front)
            print(f"  {name:16} {path:12} {rate:9.0f} req/s  {per_request:7.0f} µs CPU/request, of which the front or arbiter {front:5.0f} {errors}",
                  flush=True)
        return results
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--kib", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--busy-us", type=int, default=1100, help="CPU of a /busy request: about what /log costs a worker")
    parser.add_argument("--pyhost", default=str(ROOT / "artifacts" / "pyhost"))
    parser.add_argument("--baseline", help="another pyhost binary to compare (e.g. a build of an older commit)")
    args = parser.parse_args()

    servers = [("pyhost", [args.pyhost])]
    if args.baseline:
        servers.append(("pyhost-baseline", [args.baseline]))
    print(f"{args.kib} KiB of app log lines per /log request; {args.workers} workers; wrk -c{args.connections} for {args.seconds} s; "
          f"load average {os.getloadavg()[0]:.2f}")
    results = {}
    with tempfile.TemporaryDirectory(prefix="pyhost-app-output-") as directory:
        for name, binary in servers:
            port = free_port()
            command = binary + ["serve", "chatty:app", "--python", PYTHON, "-w", str(args.workers), "-b", f"127.0.0.1:{port}"]
            results[name] = measure(name, command, port, args, os.path.join(directory, f"{name}.log"))
        port = free_port()
        command = ["gunicorn", "-k", "sync", "-w", str(args.workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning", "chatty:app"]
        results["gunicorn-sync"] = measure("gunicorn-sync", command, port, args, os.path.join(directory, "gunicorn.log"))
    print()
    print(f"{'server':16} {'front µs/req, /busy':>20} {'front µs/req, /log':>19} {'cost of the logging to the front':>33}")
    for name, result in results.items():
        (_, _, busy_front), (_, _, log_front) = result["/busy"], result["/log"]
        print(f"{name:16} {busy_front:20.0f} {log_front:19.0f} {log_front - busy_front:33.0f}")


if __name__ == "__main__":
    main()
