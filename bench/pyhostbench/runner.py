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
from .scenarios import (BY_KEY, IDLE_AFTER_LOAD_SECONDS, OPEN_LOAD_SHARE, SCALING_WORKERS, SCENARIOS, SLOW_EVERY,
                        SLOW_PATH, SLOW_READERS, SLOW_UPLOADERS, Scenario)
from .servers import BY_NAME, Context, Running, Server, StartFailed

BENCH = Path(__file__).resolve().parent.parent
REPO = BENCH.parent
APPS = BENCH / "apps"
SLOW_CLIENTS = 500
MB = 1024 * 1024
MIN_WINDOW_REQUESTS = 50  # a warm-up window with fewer requests says nothing about CPU per request


@dataclass(frozen=True)
class Warmup:
    """The load before each measurement. Adaptive (fixed is None): 1-second windows of the scenario's own load until
    the server's CPU per request in two windows in a row agrees within tolerance, after at least min_seconds and at
    most max_seconds. .NET's tiered JIT makes PyHost's front cost twice as much in its first seconds (tier-up takes
    about 6 s on 2 cores); a NativeAOT build and the interpreters of the peers settle sooner, and stop sooner."""

    fixed: float | None = None
    min_seconds: float = 3.0
    max_seconds: float = 15.0
    tolerance: float = 0.03

    def describe(self) -> str:
        if self.fixed is not None:
            return f"a {self.fixed:g} s warm-up"
        return (f"an adaptive warm-up (1 s windows until CPU per request agrees within {self.tolerance:.0%} in two in "
                f"a row; {self.min_seconds:g} to {self.max_seconds:g} s)")


@dataclass
class Settings:
    scenarios: list[str]
    servers: list[str]
    workers: int
    seconds: float  # each measurement
    warmup: Warmup  # before each measurement
    apptime_seconds: float
    open_rate: float | None = None  # the mixed scenario's offered rate; None: a share of PyHost's capacity
    openloop: list[str] = field(default_factory=list)  # the command that runs bench/tools/OpenLoop


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
        self.open_rate: dict | None = None  # the mixed scenario's offered rate, once chosen: same for every server

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
        peers = next((s.peers for s in SCENARIOS if s.group == group and s.peers), ())
        if peers:
            return [BY_NAME[n] for n in peers if n in self.settings.servers or BY_NAME[n].is_pyhost]
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
                # Idle means quiet for a while: PyHost's front gives the heap a burst grew back after a quiet 5 s
                # period (IdleMemoryTrim), so this covers its worst case (two periods); the same wait for every server.
                time.sleep(IDLE_AFTER_LOAD_SECONDS)
                self.idle[server.name]["after_load"] = memory(running)
        finally:
            running.stop()
            self.running.remove(running)

    def run_scenario(self, running: Running, scenario: Scenario, warm: bool = True) -> Measurement:
        """Warms the server up (unless told not to), measures the scenario once, keeps and prints the figures."""
        try:
            warmup = self.warm_up(running, scenario) if warm else {"seconds": 0, "windows_us": [], "stable": None}
            m = {"wrk": self.throughput, "static": self.throughput, "scaling": self.throughput,
                 "latency": self.latency, "slowloris": self.slowloris, "openloop": self.open_loop,
                 "slowclients": self.slow_clients_kept}[scenario.kind](running, scenario)
            m.extra["warmup"] = warmup
        except (RuntimeError, subprocess.TimeoutExpired, OSError) as e:
            m = Measurement(scenario.key, running.server.name, running.workers, failed=str(e).splitlines()[0])
        self.measurements.append(m)
        if m.failed:
            print(f"   {scenario.key:<12} FAILED: {m.failed}", flush=True)
            return m
        cpu = f"{m.cpu_us:8.1f} µs CPU/req" if m.cpu_us is not None else ""
        p99 = f"p99 {m.p99_ms:7.2f} ms" if m.p99_ms is not None else "p99       -"
        probe = m.extra["probe"]
        warm = m.extra["warmup"]
        print(f"   {scenario.key:<12} {m.rate:10.0f} req/s  {p99}  errors {m.non_2xx + m.socket_errors:<6} {cpu}"
              f"  probe {probe['answered']}/{probe['sent']}"
              + (f"  warm-up {warm['seconds']:.0f} s" if warm["seconds"] else "")
              + (" (not stable)" if warm["stable"] is False else "")
              + (f"  {m.extra['note']}" if m.extra.get("note") else ""), flush=True)
        return m

    # ---- warm-up ---------------------------------------------------------------------------------------------------

    def warm_up(self, running: Running, scenario: Scenario) -> dict:
        """The scenario's own load (for the open-loop and slow-client kinds: plain requests to its path) before the
        measurement; returns how long it took and the CPU per request of each window."""
        w = self.settings.warmup
        if scenario.kind in ("wrk", "static", "scaling"):
            window = lambda seconds: self.wrk(running, scenario, seconds)  # noqa: E731
        else:
            window = lambda seconds: load.wrk(running.url(scenario.path), seconds, scenario.connections)  # noqa: E731
        if w.fixed is not None:
            if w.fixed > 0:
                window(w.fixed)
            return {"seconds": w.fixed, "windows_us": [], "stable": None}
        started, windows = time.monotonic(), []
        while True:
            cpu0 = procs.cpu_snapshot(running.roots, running.is_worker)
            result = window(1.0)
            cpu = procs.cpu_snapshot(running.roots, running.is_worker) - cpu0
            enough = result.requests >= MIN_WINDOW_REQUESTS
            windows.append(round(cpu.seconds / result.requests * 1e6, 1) if enough else None)
            elapsed = time.monotonic() - started
            if elapsed >= w.min_seconds and stable(windows[-2:], w.tolerance):
                return {"seconds": round(elapsed, 1), "windows_us": windows, "stable": True}
            if elapsed + 1 > w.max_seconds:
                return {"seconds": round(elapsed, 1), "windows_us": windows, "stable": False}

    # ---- scenario kinds --------------------------------------------------------------------------------------------

    def wrk(self, running: Running, scenario: Scenario, seconds: float) -> load.LoadResult:
        return load.wrk(running.url(scenario.path), seconds, scenario.connections, scenario.headers,
                        scenario.post_bytes)

    def throughput(self, running: Running, scenario: Scenario) -> Measurement:
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
        clients = load.start_slow_clients(running.port, self.settings.seconds + 3, headers=SLOW_CLIENTS)
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

    def open_loop(self, running: Running, scenario: Scenario) -> Measurement:
        rate = self.offered_rate(running, scenario)
        m = self.measure(running, scenario, lambda: load.open_loop(
            self.settings.openloop, running.port, self.settings.seconds, rate["rate"], scenario.path, SLOW_PATH,
            SLOW_EVERY))
        fast = m.extra["fast"]
        m.extra["note"] = (f"(offered {rate['rate']:,.0f} req/s; fast p99.9 {fmt_ms(fast['p999_ms'])}, "
                           f"slow p50 {fmt_ms(m.extra['slow']['p50_ms'])}; sent late p99 "
                           f"{fmt_ms(m.extra['lateness']['p99_ms'])})")
        return m

    def offered_rate(self, running: Running, scenario: Scenario) -> dict:
        """One offered rate for every server of the mixed scenario: --open-rate, or OPEN_LOAD_SHARE of the mix's
        closed-loop capacity on the first server that runs it (PyHost)."""
        if self.open_rate is None:
            if self.settings.open_rate:
                self.open_rate = {"rate": self.settings.open_rate, "how": "given with --open-rate"}
            else:
                capacity = load.wrk(running.url(scenario.path), max(2.0, self.settings.seconds / 2),
                                    scenario.connections, slow_path=SLOW_PATH, slow_every=SLOW_EVERY).rate
                self.open_rate = {"rate": max(10.0, round(capacity * OPEN_LOAD_SHARE, -1)), "capacity": capacity,
                                  "how": f"{OPEN_LOAD_SHARE:.0%} of the mix's closed-loop capacity on "
                                         f"{running.server.label} ({capacity:,.0f} req/s, wrk "
                                         f"-c{scenario.connections})"}
        return self.open_rate

    def slow_clients_kept(self, running: Running, scenario: Scenario) -> Measurement:
        """Normal traffic's rate with slow uploaders and readers connected, against the same server start's rate
        without them, measured just before."""
        baseline = self.measure(running, scenario, lambda: self.wrk(running, scenario, self.settings.seconds))
        clients = load.start_slow_clients(running.port, self.settings.seconds + 8, uploaders=SLOW_UPLOADERS,
                                          readers=SLOW_READERS)
        self.slow_clients.append(clients.process)
        try:
            time.sleep(2)  # the readers' responses are made: a server that does not buffer them has its workers held
            m = self.measure(running, scenario, lambda: self.wrk(running, scenario, self.settings.seconds),
                             client_pids=[clients.process.pid])
            stats = clients.finish(timeout=30)
        finally:
            if clients.process.poll() is None:
                clients.process.kill()
                clients.process.wait()
            self.slow_clients.remove(clients.process)
        kept = m.rate / baseline.rate if baseline.rate else 0.0
        kinds = stats.get("kinds", {})
        m.extra.update(baseline_rate=baseline.rate, baseline_cpu_us=baseline.cpu_us, baseline_p99_ms=baseline.p99_ms,
                       kept=kept, slow_ready=clients.ready, slow=stats,
                       note=f"({kept:.0%} of {baseline.rate:,.0f} req/s unloaded; slow clients open at the end: "
                            + ", ".join(f"{k} {v['open_at_end']}" for k, v in kinds.items()) + ")")
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
            extra={"probe": probe.summary(), **result.extra})

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


def stable(windows: list[float | None], tolerance: float) -> bool:
    """Two windows in a row whose CPU per request agrees within tolerance."""
    if len(windows) < 2 or None in windows:
        return False
    a, b = windows
    return abs(a - b) <= tolerance * min(a, b)


def fmt_ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f} ms"


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

