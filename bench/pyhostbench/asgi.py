"""The ASGI benchmark (bench/run-asgi): PyHost against Debian's uvicorn (httptools and uvloop), hypercorn (uvloop) and
gunicorn with uvicorn's worker, serving the same apps (bench/apps/asgi_bench.py) with the same number of worker
processes, one after another in one run. Reuses the WSGI bench's machinery: how servers start and stop, what they
cost (CPU and memory of their process trees), wrk."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass

from . import load
from .runner import BENCH, Bench, Measurement
from .servers import PYTHON, App, Launch, Running, Server

WSECHO = BENCH / "wsecho.py"


class Uvicorn(Server):
    name, label, package = "uvicorn", "uvicorn", "python3-uvicorn"

    def describe(self, workers: int) -> str:
        return f"`uvicorn APP --workers {workers} --loop uvloop --http httptools --no-access-log`"

    def launches(self, ctx, app, workers, port, dir):
        return [Launch([PYTHON, "-m", "uvicorn", app.spec, "--host", "127.0.0.1", "--port", str(port), "--workers",
                        str(workers), "--loop", "uvloop", "--http", "httptools", "--log-level", "warning",
                        "--no-access-log"])]

    def worker_test(self, roots):
        # One worker runs in the supervisor's own process; more are its children.
        return lambda p: p.ppid == roots[-1] or p.pid == roots[-1]


class Hypercorn(Server):
    name, label, package = "hypercorn", "hypercorn", "python3-hypercorn"

    def describe(self, workers: int) -> str:
        return f"`hypercorn -w {workers} -k uvloop APP`"

    def launches(self, ctx, app, workers, port, dir):
        return [Launch([PYTHON, "-m", "hypercorn", "-w", str(workers), "-k", "uvloop", "-b", f"127.0.0.1:{port}",
                        "--log-level", "warning", app.spec])]


class GunicornUvicorn(Server):
    name, label, package = "gunicorn-uvicorn", "gunicorn + UvicornWorker", "gunicorn"

    def describe(self, workers: int) -> str:
        return f"`gunicorn -w {workers} -k uvicorn.workers.UvicornWorker APP`"

    def launches(self, ctx, app, workers, port, dir):
        return [Launch(["gunicorn", "--chdir", str(ctx.apps), "-w", str(workers), "-k", "uvicorn.workers.UvicornWorker",
                        "-b", f"127.0.0.1:{port}", "--log-level", "warning", app.spec], __import__("signal").SIGINT)]


@dataclass(frozen=True)
class AsgiScenario:
    key: str
    title: str
    app: App
    kind: str  # "wrk" or "websocket"
    connections: int = 64
    path: str = "/"
    headers: tuple = ()
    post_bytes: int = 0
    apptime_args: tuple = ()


STARLETTE = App("asgi_bench", "starlette_hello")
FASTAPI = App("asgi_bench", "fastapi_json")
STREAM = App("asgi_bench", "stream")
ECHO = App("asgi_bench", "websocket_echo")

SCENARIOS = [
    AsgiScenario("starlette-64", "Starlette hello, keep-alive, 64 connections", STARLETTE, "wrk", 64),
    AsgiScenario("starlette-256", "Starlette hello, keep-alive, 256 connections", STARLETTE, "wrk", 256),
    AsgiScenario("fastapi-64", "FastAPI JSON (a pydantic model), keep-alive, 64 connections", FASTAPI, "wrk", 64),
    AsgiScenario("fastapi-256", "FastAPI JSON, keep-alive, 256 connections", FASTAPI, "wrk", 256),
    AsgiScenario("stream", "StreamingResponse of 1,000 chunks of 16 bytes, 64 connections", STREAM, "wrk", 64),
    AsgiScenario("ws-echo-16", "WebSocket echo of a 32-byte text message, 16 clients (messages/s)", ECHO, "websocket", 16),
    AsgiScenario("ws-echo-256", "WebSocket echo of a 32-byte text message, 256 clients (messages/s)", ECHO, "websocket", 256),
]
BY_KEY = {s.key: s for s in SCENARIOS}
SERVERS: list[Server] = [Uvicorn(), Hypercorn(), GunicornUvicorn()]


class AsgiBench(Bench):
    """Bench with the ASGI scenarios: a group per app, every server in turn."""

    def run_asgi(self, servers: list[Server], scenario_keys: list[str]) -> None:
        selected = [s for s in SCENARIOS if s.key in scenario_keys]
        groups: dict[str, list[AsgiScenario]] = {}
        for scenario in selected:
            groups.setdefault(scenario.app.spec, []).append(scenario)
        for spec, scenarios in groups.items():
            for server in servers:
                self.run_asgi_group(server, scenarios)

    def run_asgi_group(self, server: Server, scenarios: list[AsgiScenario]) -> None:
        print(f"\n== {scenarios[0].app.spec}: {server.label}", flush=True)
        try:
            running = server.start(self.ctx, scenarios[0].app, self.settings.workers)
        except Exception as e:  # noqa: BLE001 - StartFailed, and anything else a peer does at start
            for scenario in scenarios:
                self.measurements.append(Measurement(scenario.key, server.name, self.settings.workers,
                                                     failed=f"did not start: {str(e).splitlines()[0]}"))
            print(f"   did not start: {e}", flush=True)
            return
        self.running.append(running)
        try:
            for scenario in scenarios:
                try:
                    m = self.websocket(running, scenario) if scenario.kind == "websocket" else self.asgi_wrk(running, scenario)
                except (RuntimeError, subprocess.TimeoutExpired, OSError, ValueError) as e:
                    m = Measurement(scenario.key, server.name, running.workers, failed=str(e).splitlines()[0])
                self.measurements.append(m)
                cpu = f"{m.cpu_us:8.1f} µs CPU/op" if m.cpu_us is not None else ""
                print(f"   {scenario.key:<14} {m.rate:10.0f} /s  errors {m.non_2xx + m.socket_errors:<6} {cpu}"
                      + (f"  FAILED: {m.failed}" if m.failed else ""), flush=True)
        finally:
            running.stop()
            self.running.remove(running)

    def asgi_wrk(self, running: Running, scenario: AsgiScenario) -> Measurement:
        url = running.url(scenario.path)
        if self.settings.warmup > 0:
            load.wrk(url, self.settings.warmup, scenario.connections)
        return self.measure(running, scenario,  # type: ignore[arg-type]
                            lambda: load.wrk(url, self.settings.seconds, scenario.connections))

    def websocket(self, running: Running, scenario: AsgiScenario) -> Measurement:
        """Messages echoed per second; the client's own CPU is not the server's (it is left out of the accounting)."""
        url = f"ws://127.0.0.1:{running.port}/"

        def echo(seconds: float, settle: float) -> subprocess.CompletedProcess:
            return subprocess.run([PYTHON, str(WSECHO), url, str(scenario.connections), str(seconds), str(settle)],
                                  capture_output=True, text=True, timeout=seconds + settle + 60)

        if self.settings.warmup > 0:
            echo(self.settings.warmup, 0)

        def run() -> load.LoadResult:
            # The sockets open during the first 0.3 s, which count for CPU but not for messages.
            out = echo(self.settings.seconds, 0.3)
            if out.returncode != 0 or not out.stdout.strip():
                raise RuntimeError(f"wsecho failed: {out.stderr.strip()[-300:]}")
            result = json.loads(out.stdout.strip().splitlines()[-1])
            return load.LoadResult(result["messages"], result["seconds"], result["p50_ms"], result["p99_ms"], 0,
                                   result["errors"], f"{result['errors']} clients failed" if result["errors"] else "")

        return self.measure(running, scenario, run)  # type: ignore[arg-type]
