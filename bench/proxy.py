#!/usr/bin/python3
"""Proxying hello from a second PyHost, issue 12: PyHost's proxy route against nginx's proxy_pass and HAProxy, each
in front of the same backend PyHost (bench/apps/hello.py). For each balancer: requests/s through it and the CPU
microseconds per request of the balancer's own processes (and, to show the backend is the same for all, of the
backend's). Runs are interleaved round by round, in a rotating order, because the machine is shared: the report
gives each round and the median, with the machine's load average and the share of CPU taken by other processes
during each run. Not part of `make test`.

    bench/proxy.py [--rounds 3] [--seconds 10] [--connections 16] [--pyhost artifacts/pyhost] [--direct] [--post BYTES]
                   [--out FILE]

--direct also measures each balancer answering a fixed "Hello, World!" by itself (PyHost's `respond` route, nginx's
`return 200`, HAProxy's `http-request return`) in the same round: the proxied figure less that one is what the
upstream leg costs each balancer (the client side, parsing and routing being in both).

--post BYTES makes every request a POST with a body of that size (the backend's hello ignores it): the request body's
way through each balancer.

The PyHost balancer is `pyhost serve -c pyhost.toml` with an [upstream] of the backend and a proxy route to it.
"""
from __future__ import annotations

import argparse
import datetime
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from pyhostbench.procs import CLOCK_TICKS, tree  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
APPS = ROOT / "bench" / "apps"
RESULTS = ROOT / "bench" / "results"
PYTHON = "/usr/bin/python3"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(port: int, expect: bytes = b"Hello, World!", timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                if response.status == 200 and response.read() == expect:
                    return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def start(argv: list[str], log: Path, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(argv, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True, **kwargs)


def stop(process: subprocess.Popen, stop_signal: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(stop_signal)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def tree_ticks(pid: int) -> int:
    return sum(proc.own_ticks + proc.reaped_ticks for proc in tree([pid]))


def machine_busy_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


# Set by --post: a wrk script that makes every request a POST with a body of that many bytes.
WRK_SCRIPT: list[str] = []


def wrk(url: str, seconds: float, connections: int) -> tuple[float, int, int]:
    # wrk reads whole seconds only ("10.0s" is refused).
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", *WRK_SCRIPT, url],
                         capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    failed = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, requests, failed + (int(non2xx.group(1)) if non2xx else 0)


class Balancer:
    name = ""
    # A route the balancer answers itself with a fixed "Hello, World!" (--direct).
    direct_path = "/_direct"

    def __init__(self, directory: Path, backend_port: int) -> None:
        self.dir = directory / self.name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.backend_port = backend_port
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def launch(self) -> subprocess.Popen:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def __enter__(self) -> "Balancer":
        self.process = self.launch()
        if not answers(self.port):
            stop(self.process)
            raise SystemExit(f"{self.name} does not answer through its proxy on port {self.port}; see {self.dir}")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            stop(self.process, signal.SIGQUIT if self.name == "nginx" else signal.SIGTERM)


class PyHostBalancer(Balancer):
    name = "pyhost"

    def __init__(self, directory: Path, backend_port: int, binary: Path) -> None:
        super().__init__(directory, backend_port)
        self.binary = binary

    def config(self) -> Path:
        conf = self.dir / "pyhost.toml"
        conf.write_text(f"""
[[listen]]
address = "127.0.0.1:{self.port}"

[upstream.backend]
servers = ["http://127.0.0.1:{self.backend_port}"]

[[site]]
  [[site.route]]
  path = "{self.direct_path}"
  respond = {{ status = 200, headers = {{ "Content-Type" = "text/plain" }}, body = "Hello, World!" }}

  [[site.route]]
  path = "/"
  proxy = "backend"
""")
        return conf

    def launch(self) -> subprocess.Popen:
        return start([str(self.binary), "serve", "-c", str(self.config())], self.dir / "log")

    def describe(self) -> str:
        return "PyHost: `pyhost serve` (NativeAOT), `[upstream.backend]` of one server, round robin, X-Forwarded-For/-Proto/-Host, no access log"


class NginxBalancer(Balancer):
    name = "nginx"

    def launch(self) -> subprocess.Popen:
        conf = self.dir / "nginx.conf"
        conf.write_text(f"""
worker_processes auto;
daemon off;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path {self.dir}/body;
    proxy_temp_path {self.dir}/proxy;
    upstream backend {{ server 127.0.0.1:{self.backend_port}; keepalive 64; }}
    server {{
        listen 127.0.0.1:{self.port};
        location = {self.direct_path} {{ default_type text/plain; return 200 "Hello, World!"; }}
        location / {{
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
""")
        return start(["nginx", "-p", str(self.dir), "-e", str(self.dir / "error.log"), "-c", str(conf)], self.dir / "log")

    def describe(self) -> str:
        return ("nginx: `worker_processes auto`, `proxy_pass` to an upstream with `keepalive 64` over HTTP/1.1, "
                "X-Forwarded-For/-Proto, `proxy_buffering` on (its default), no access log")


class HaproxyBalancer(Balancer):
    name = "haproxy"

    def launch(self) -> subprocess.Popen:
        conf = self.dir / "haproxy.cfg"
        conf.write_text(f"""
global
    nbthread {len(os.sched_getaffinity(0))}
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    option forwardfor
frontend front
    bind 127.0.0.1:{self.port}
    http-request return status 200 content-type text/plain string "Hello, World!" if {{ path {self.direct_path} }}
    default_backend backend
backend backend
    server s1 127.0.0.1:{self.backend_port}
""")
        return start(["haproxy", "-db", "-f", str(conf)], self.dir / "log")

    def describe(self) -> str:
        return "HAProxy: `mode http`, one thread per core, `option forwardfor`, connection reuse to the server (`http-reuse safe`, its default)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--backend-workers", type=int, default=2)
    parser.add_argument("--pyhost", type=Path, default=ROOT / "artifacts" / "pyhost")
    parser.add_argument("--direct", action="store_true", help="also measure each balancer answering by itself")
    parser.add_argument("--post", type=int, default=0, metavar="BYTES",
                        help="send each request as a POST with a body of this many bytes (with a Content-Length)")
    parser.add_argument("--out", type=Path, default=RESULTS / f"proxy-{datetime.date.today()}.md",
                        help="the report's file (default: bench/results/proxy-DATE.md)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pyhost-bench-proxy-") as tmp:
        directory = Path(tmp)
        os.chmod(directory, 0o755)
        if args.post:
            script = directory / "post.lua"
            script.write_text(f'wrk.method = "POST"\nwrk.body = string.rep("x", {args.post})\n'
                              'wrk.headers["Content-Type"] = "application/octet-stream"\n')
            WRK_SCRIPT[:] = ["-s", str(script)]
        backend_port = free_port()
        backend = start([str(args.pyhost), "serve", "hello:app", "--chdir", str(APPS), "--python", PYTHON,
                         "-w", str(args.backend_workers), "-b", f"127.0.0.1:{backend_port}"], directory / "backend.log")
        try:
            if not answers(backend_port, timeout=60):
                raise SystemExit(f"the backend PyHost does not answer; see {directory / 'backend.log'}")
            balancers = [PyHostBalancer(directory, backend_port, args.pyhost),
                         NginxBalancer(directory, backend_port), HaproxyBalancer(directory, backend_port)]
            rows: list[dict] = []
            for round_number in range(args.rounds):
                order = balancers[round_number % 3:] + balancers[:round_number % 3]
                for balancer in order:
                    with balancer:
                        wrk(f"http://127.0.0.1:{balancer.port}/", args.warmup, args.connections)
                        load_before = os.getloadavg()[0]
                        ticks_balancer, ticks_backend = tree_ticks(balancer.process.pid), tree_ticks(backend.pid)
                        busy_before, total_before = machine_busy_ticks()
                        rate, requests, failed = wrk(f"http://127.0.0.1:{balancer.port}/", args.seconds, args.connections)
                        busy_after, total_after = machine_busy_ticks()
                        balancer_ticks = tree_ticks(balancer.process.pid) - ticks_balancer
                        backend_ticks = tree_ticks(backend.pid) - ticks_backend
                        # Other processes' share of the machine while this ran: all busy time, less the balancer's,
                        # the backend's and (roughly) wrk's, which is about one core-share per its own requests.
                        ours = balancer_ticks + backend_ticks
                        others = max(0.0, (busy_after - busy_before - ours) / max(1, total_after - total_before))
                        rows.append({
                            "round": round_number + 1, "balancer": balancer.name, "rate": rate, "requests": requests, "failed": failed,
                            "balancer_us": balancer_ticks / CLOCK_TICKS * 1e6 / requests,
                            "backend_us": backend_ticks / CLOCK_TICKS * 1e6 / requests,
                            "load": load_before, "others": others,
                        })
                        if args.direct:
                            url = f"http://127.0.0.1:{balancer.port}{balancer.direct_path}"
                            wrk(url, 1, args.connections)
                            ticks_before = tree_ticks(balancer.process.pid)
                            direct_rate, direct_requests, direct_failed = wrk(url, args.seconds, args.connections)
                            rows[-1]["direct_rate"] = direct_rate
                            rows[-1]["direct_us"] = (tree_ticks(balancer.process.pid) - ticks_before) / CLOCK_TICKS * 1e6 / direct_requests
                            rows[-1]["failed"] += direct_failed
                        direct = f"  direct {rows[-1]['direct_rate']:7.0f} req/s {rows[-1]['direct_us']:5.1f} µs/req" if args.direct else ""
                        print(f"round {round_number + 1} {balancer.name:8} {rate:9.0f} req/s  balancer {rows[-1]['balancer_us']:6.1f} µs/req  "
                              f"backend {rows[-1]['backend_us']:6.1f} µs/req  failed {failed}  load {load_before:.1f}  "
                              f"busy (wrk and others) {others:.0%}{direct}", flush=True)
            write_report(rows, balancers, args)
        finally:
            stop(backend)


def write_report(rows: list[dict], balancers: list[Balancer], args: argparse.Namespace) -> None:
    def median(name: str, key: str) -> float:
        return statistics.median(row[key] for row in rows if row["balancer"] == name)

    what = f"a POST of {args.post} bytes to hello" if args.post else "hello"
    post = f" --post {args.post}" if args.post else ""
    lines = [f"# Proxying {what} from a second PyHost ({datetime.date.today()})", "",
             f"`bench/proxy.py --rounds {args.rounds} --seconds {args.seconds} --connections {args.connections}{post}`: wrk "
             f"`-t1 -c{args.connections}` through each balancer to one backend PyHost (`hello:app`, {args.backend_workers} workers), "
             "rounds interleaved in a rotating order. CPU per request is the balancer's own processes' user+system time "
             "over the run divided by the requests served. The machine (2 cores) is shared: `load` is the 1-minute load "
             "average before each run, `busy` the machine's busy share not spent by the balancer or the backend (wrk "
             "and other users' work).", "",
             "| balancer | req/s (median) | balancer µs/req (median) | backend µs/req (median) | req/s vs nginx | req/s vs HAProxy | CPU/req vs nginx | CPU/req vs HAProxy |",
             "|---|---|---|---|---|---|---|---|"]
    for balancer in balancers:
        name = balancer.name
        lines.append(f"| {name} | {median(name, 'rate'):.0f} | {median(name, 'balancer_us'):.1f} | {median(name, 'backend_us'):.1f} | "
                     f"{median(name, 'rate') / median('nginx', 'rate'):.2f}× | {median(name, 'rate') / median('haproxy', 'rate'):.2f}× | "
                     f"{median(name, 'balancer_us') / median('nginx', 'balancer_us'):.2f}× | {median(name, 'balancer_us') / median('haproxy', 'balancer_us'):.2f}× |")
    lines += ["", "Every run:", "", "| round | balancer | req/s | balancer µs/req | backend µs/req | failed | load | busy (wrk, others) |",
              "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['round']} | {row['balancer']} | {row['rate']:.0f} | {row['balancer_us']:.1f} | {row['backend_us']:.1f} | "
                     f"{row['failed']} | {row['load']:.1f} | {row['others']:.0%} |")
    lines += ["", "Balancers:", ""] + [f"- {balancer.describe()}" for balancer in balancers] + [""]
    if args.direct:
        lines += ["Answering by itself (`--direct`: a fixed \"Hello, World!\" from the balancer, no backend) against proxying, "
                  "medians; the difference is the upstream leg's cost:", "",
                  "| balancer | direct req/s | direct µs/req | proxied µs/req | upstream leg µs/req |", "|---|---|---|---|---|"]
        for balancer in balancers:
            name = balancer.name
            lines.append(f"| {name} | {median(name, 'direct_rate'):.0f} | {median(name, 'direct_us'):.1f} | {median(name, 'balancer_us'):.1f} | "
                         f"{median(name, 'balancer_us') - median(name, 'direct_us'):.1f} |")
        lines += ["", "| round | balancer | direct req/s | direct µs/req |", "|---|---|---|---|"]
        lines += [f"| {row['round']} | {row['balancer']} | {row['direct_rate']:.0f} | {row['direct_us']:.1f} |" for row in rows] + [""]
    path = args.out
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
