"""Runs the selected scenarios against the selected servers and returns every figure as plain data (the report is
made from that alone). Servers run one at a time; all servers run one scenario group before the next group starts,
so slow drifts of a shared machine hit every server alike."""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import random
import resource
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import load, machine, procs
from .scenarios import BY_KEY, SCALING_WORKERS, SCENARIOS, Scenario
from .servers import BY_NAME, Context, Running, Server, StartFailed

BENCH = Path(__file__).resolve().parent.parent
REPO = BENCH.parent
APPS = BENCH / "apps"
SLOW_CLIENTS = 500
MB = 1024 * 1024


@dataclass
class Settings:
    scenarios: list[str]
    servers: list[str]
    workers: int
    seconds: float  # each measurement
    warmup: float  # before each measurement
    apptime_seconds: float


@dataclass
class Measurement:
    scenario: str
    server: str
    workers: int
    rate: float = 0.0
    requests: int = 0
    seconds: float = 0.0
    p50_ms: float | None = None
    p99_ms: float | None = None
    non_2xx: int = 0
    socket_errors: int = 0
    error_detail: str = ""
    cpu_us: float | None = None  # server CPU (all its processes) per completed request
    front_us: float | None = None
    worker_us: float | None = None
    rss_total_mb: float | None = None
    rss_worker_mb: float | None = None
    other_cores: float | None = None  # CPU other people's processes used meanwhile, in cores
    extra: dict = field(default_factory=dict)
    failed: str = ""


class Bench:
    def __init__(self, settings: Settings, ctx: Context) -> None:
        self.settings, self.ctx = settings, ctx
        self.measurements: list[Measurement] = []
        self.idle: dict[str, dict] = {}
        self.skipped: list[dict] = []
        self.running: list[Running] = []  # what cleanup must stop
        self.slow_clients: list[subprocess.Popen] = []

    # ---- the loop --------------------------------------------------------------------------------------------------

    def run(self, static_supported: bool) -> None:
        selected = [s for s in SCENARIOS if s.key in self.settings.scenarios]
        groups: dict[str, list[Scenario]] = {}
        for scenario in selected:
            groups.setdefault(scenario.group, []).append(scenario)
        for group, scenarios in groups.items():
            if group in ("static", "gzip") and not static_supported:
                for scenario in scenarios:
                    self.skip(scenario.key, "*", "`pyhost serve --help` has no --static option in this build")
                continue
            for server in self.servers_for(group):
                if group == "scaling":
                    for workers in SCALING_WORKERS:
                        self.run_group(server, scenarios, workers)
                else:
                    self.run_group(server, scenarios, self.settings.workers)

    def servers_for(self, group: str) -> list[Server]:
        chosen = [BY_NAME[name] for name in self.settings.servers]
        if group in ("static", "gzip"):
            return [s for s in chosen if s.serves_static]
        if group == "scaling":
            return [s for s in chosen if s.serves_apps and s.multiprocess]
        return [s for s in chosen if s.serves_apps]

    def run_group(self, server: Server, scenarios: list[Scenario], workers: int) -> None:
        static = scenarios[0].kind == "static"
        app = scenarios[0].app
        label = f"{server.label} ({workers} workers)" if scenarios[0].kind == "scaling" else server.label
        print(f"\n== {scenarios[0].group}: {label}", flush=True)
        ctx = dataclasses.replace(self.ctx, compress=scenarios[0].group == "gzip")
        try:
            running = server.start(ctx, app, workers, static=static)
        except StartFailed as e:
            print(f"   did not start: {e}", flush=True)
            for scenario in scenarios:
                self.measurements.append(Measurement(scenario.key, server.name, workers,
                                                     failed=f"did not start: {str(e).splitlines()[0]}"))
            return
        self.running.append(running)
        try:
            record_idle = server.name not in self.idle and not static
            if record_idle:
                time.sleep(1)
                self.idle[server.name] = {"after_start": memory(running)}
            for scenario in scenarios:
                self.run_scenario(running, scenario)
            if record_idle:
                time.sleep(2)
                self.idle[server.name]["after_load"] = memory(running)
        finally:
            running.stop()
            self.running.remove(running)

    def run_scenario(self, running: Running, scenario: Scenario) -> None:
        try:
            m = {"wrk": self.throughput, "static": self.throughput, "scaling": self.throughput,
                 "latency": self.latency, "slowloris": self.slowloris}[scenario.kind](running, scenario)
        except (RuntimeError, subprocess.TimeoutExpired, OSError) as e:
            m = Measurement(scenario.key, running.server.name, running.workers, failed=str(e).splitlines()[0])
        self.measurements.append(m)
        if m.failed:
            print(f"   {scenario.key:<12} FAILED: {m.failed}", flush=True)
            return
        cpu = f"{m.cpu_us:8.1f} µs CPU/req" if m.cpu_us is not None else ""
        p99 = f"p99 {m.p99_ms:7.2f} ms" if m.p99_ms is not None else "p99       -"
        probe = m.extra["probe"]
        print(f"   {scenario.key:<12} {m.rate:10.0f} req/s  {p99}  errors {m.non_2xx + m.socket_errors:<6} {cpu}"
              f"  probe {probe['answered']}/{probe['sent']}" + (f"  {m.extra['note']}" if m.extra.get("note") else ""),
              flush=True)

    # ---- scenario kinds --------------------------------------------------------------------------------------------

    def wrk(self, running: Running, scenario: Scenario, seconds: float) -> load.LoadResult:
        return load.wrk(running.url(scenario.path), seconds, scenario.connections, scenario.headers,
                        scenario.post_bytes)

    def throughput(self, running: Running, scenario: Scenario) -> Measurement:
        if self.settings.warmup > 0:
            self.wrk(running, scenario, self.settings.warmup)
        return self.measure(running, scenario, lambda: self.wrk(running, scenario, self.settings.seconds))

    def max_rate(self, running: Running) -> float:
        """This server's hello keep-alive rate from this run, or measured now if hello was not selected."""
        for m in self.measurements:
            if m.scenario == "hello" and m.server == running.server.name and m.workers == running.workers and not m.failed:
                return m.rate
        return self.wrk(running, BY_KEY["hello"], max(2.0, self.settings.seconds / 2)).rate

    def latency(self, running: Running, scenario: Scenario) -> Measurement:
        rate = load.fixed_rate_for(self.max_rate(running))
        m = self.measure(running, scenario,
                         lambda: load.hey_fixed_rate(running.url("/"), self.settings.seconds, rate))
        m.extra.update(offered_rate=rate, note=f"(offered {rate} req/s)")
        return m

    def slowloris(self, running: Running, scenario: Scenario) -> Measurement:
        baseline = self.max_rate(running)
        clients = load.start_slowloris(running.port, SLOW_CLIENTS, self.settings.seconds + 3)
        self.slow_clients.append(clients.process)
        try:
            time.sleep(1)
            m = self.measure(running, scenario, lambda: self.wrk(running, BY_KEY["hello"], self.settings.seconds),
                             client_pids=[clients.process.pid])
            stats = clients.finish(timeout=20)
        finally:
            if clients.process.poll() is None:
                clients.process.kill()
                clients.process.wait()
            self.slow_clients.remove(clients.process)
        kept = m.rate / baseline if baseline else 0.0
        m.extra.update(baseline_rate=baseline, kept=kept, slow_ready=clients.ready, slow=stats,
                       note=f"({kept:.0%} of {baseline:.0f} req/s; {clients.ready} slow clients connected, "
                            f"{stats.get('open_at_end', '?')} still open at the end)")
        return m

    # ---- accounting ------------------------------------------------------------------------------------------------

    def measure(self, running: Running, scenario: Scenario, run_load: Callable[[], load.LoadResult],
                client_pids: list[int] = ()) -> Measurement:
        """Runs the load while reading the server's CPU and memory, and the machine's, before and after."""
        roots, is_worker = running.roots, running.is_worker
        client0 = procs.cpu_snapshot(client_pids, lambda p: False).seconds
        kids0, self0 = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
        busy0 = machine.CpuClock.busy_seconds()
        with procs.MemorySampler(roots, is_worker) as memory_peak, load.Probe(running.port, scenario.path) as probe:
            cpu0 = procs.cpu_snapshot(roots, is_worker)
            result = run_load()
            cpu1 = procs.cpu_snapshot(roots, is_worker)
        busy1 = machine.CpuClock.busy_seconds()
        kids1, self1 = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
        client1 = procs.cpu_snapshot(client_pids, lambda p: False).seconds
        cpu = cpu1 - cpu0
        ours = (cpu.seconds + (kids1.ru_utime + kids1.ru_stime - kids0.ru_utime - kids0.ru_stime)
                + (self1.ru_utime + self1.ru_stime - self0.ru_utime - self0.ru_stime) + (client1 - client0))
        per_request = lambda ticks: ticks / procs.CLOCK_TICKS / result.requests * 1e6 if result.requests else None  # noqa: E731
        return Measurement(
            scenario.key, running.server.name, running.workers, rate=result.rate, requests=result.requests,
            seconds=result.seconds, p50_ms=result.p50_ms, p99_ms=result.p99_ms, non_2xx=result.non_2xx,
            socket_errors=result.socket_errors, error_detail=result.detail,
            cpu_us=per_request(cpu.front_ticks + cpu.worker_ticks), front_us=per_request(cpu.front_ticks),
            worker_us=per_request(cpu.worker_ticks), rss_total_mb=memory_peak.peak_total / MB,
            rss_worker_mb=memory_peak.peak_worker / MB if memory_peak.peak_worker else None,
            other_cores=max(0.0, (busy1 - busy0 - ours)) / result.seconds if result.seconds else None,
            extra={"probe": probe.summary()})

    def skip(self, scenario: str, server: str, reason: str) -> None:
        print(f"   skipped {scenario}: {reason}", flush=True)
        self.skipped.append({"scenario": scenario, "server": server, "reason": reason})

    def cleanup(self) -> None:
        for process in list(self.slow_clients):
            if process.poll() is None:
                process.kill()
                process.wait()
        for running in list(self.running):
            running.stop()
        self.running.clear()


def memory(running: Running) -> dict:
    tree = procs.tree(running.roots)
    front = sum(p.rss_bytes for p in tree if not running.is_worker(p))
    workers = [p.rss_bytes for p in tree if running.is_worker(p)]
    return {"front_mb": front / MB, "workers_mb": sum(workers) / MB, "workers": len(workers),
            "max_worker_mb": max(workers, default=0) / MB, "total_mb": (front + sum(workers)) / MB}


# ---- preparing a run -----------------------------------------------------------------------------------------------


def prepare(tmp: Path, pyhost_binary: Path) -> Context:
    """A world-readable temp dir (Apache and nginx workers run as www-data/nobody) with a private copy of the
    pyhost binary, the static files and the Django database."""
    tmp.chmod(0o755)
    pyhost = tmp / "pyhost"
    shutil.copy2(pyhost_binary, pyhost)
    static = tmp / "static"
    static.mkdir(mode=0o755)
    (static / "1k.bin").write_bytes(os.urandom(1024))
    (static / "10m.bin").write_bytes(os.urandom(10 * MB))
    page = html_page(100 * 1024)
    (static / "page100k.html").write_bytes(page)
    (static / "page100k-pre.html").write_bytes(page)
    (static / "page100k-pre.html.gz").write_bytes(gzip.compress(page, 9))
    for f in static.iterdir():
        f.chmod(0o644)
    env = {"BENCH_DJANGO_DB": str(tmp / "django.sqlite3")}
    subprocess.run(["/usr/bin/python3", "-m", "djangobench.seed"], cwd=APPS, env={**os.environ, **env}, check=True,
                   timeout=120, stdout=subprocess.DEVNULL)
    (tmp / "django.sqlite3").chmod(0o644)
    return Context(APPS, pyhost, tmp, env, static)


def html_page(size: int) -> bytes:
    """A page that compresses like real HTML (about 4:1 to 6:1): markup around sentences drawn from a vocabulary."""
    rng = random.Random(100)
    words = ("server request worker python static file cache header response body stream event client proxy "
             "compress gzip brotli page table link image script style index route config deploy").split()
    parts = [b"<!DOCTYPE html>\n<html><head><title>bench</title></head><body>\n"]
    total = len(parts[0])
    while total < size:
        sentence = " ".join(rng.choice(words) for _ in range(rng.randint(6, 18)))
        line = f'<p class="c{rng.randint(0, 40)}"><a href="/item/{rng.randint(0, 99999)}">{sentence}</a></p>\n'.encode()
        parts.append(line)
        total += len(line)
    return b"".join(parts)[:size - 15] + b"</body></html>\n"


def app_limits(ctx: Context, scenarios: list[Scenario], seconds: float) -> dict[str, float]:
    """The app's own CPU time per request for each app the selected scenarios use (bench/apptime.py)."""
    limits: dict[str, float] = {}
    for scenario in scenarios:
        key = limit_key(scenario)
        if scenario.kind == "static" or key in limits:
            continue
        out = subprocess.run(["/usr/bin/python3", str(BENCH / "apptime.py"), scenario.app.spec, "--seconds",
                              str(seconds), *scenario.apptime_args], cwd=APPS, env={**os.environ, **ctx.env},
                             capture_output=True, text=True, timeout=seconds * 10 + 60)
        if out.returncode != 0:
            raise RuntimeError(f"apptime {scenario.app.spec}: {out.stderr.strip()[-500:]}")
        limits[key] = json.loads(out.stdout)["us_per_request"]
    return limits


def limit_key(scenario: Scenario) -> str:
    return " ".join([scenario.app.spec, *scenario.apptime_args])


def limit_for(limits: dict[str, float], scenario: Scenario) -> float | None:
    """Static files run no app: their limit is 0."""
    return 0.0 if scenario.kind == "static" else limits.get(limit_key(scenario))


def as_dict(m: Measurement) -> dict:
    return dataclasses.asdict(m)


def new_tmp() -> Path:
    return Path(tempfile.mkdtemp(prefix="pyhost-bench-"))

