"""bench/run --compare REF: this checkout's build (A) against REF's (B) on the same machine in one run, so a change is
judged by what it does and not by what the machine did meanwhile. REF is built in a temporary git worktree under
/tmp (removed after). For each scenario both builds are started and warmed up, then measured in turn for several
rounds (A B, B A, A B, ...: the order alternates so a drift of the machine favours neither). Each round gives a
ratio A/B; the report gives their median and spread (lowest–highest)."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .runner import REPO, Bench, Measurement
from .scenarios import Scenario
from .servers import PyHost, StartFailed
from .tools import make_build
DEFAULT_SCENARIOS = ["hello", "hello-close", "big", "echo", "stream", "flask", "django", "mixed", "static-1k",
                     "static-10m"]


def git(*args: str, cwd: Path = REPO) -> str:
    out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise SystemExit(f"bench/run --compare: git {' '.join(args)}: {out.stderr.strip()}")
    return out.stdout.strip()


def build_ref(ref: str, dest: Path) -> str:
    """Builds REF with `make build` in a temporary worktree and copies its binary to dest; returns REF's commit."""
    found = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd=REPO,
                           capture_output=True, text=True, timeout=60)
    if found.returncode != 0:
        raise SystemExit(f"bench/run --compare {ref}: not a commit in this repository (try a branch, tag or hash)")
    commit = found.stdout.strip()
    dest.parent.mkdir(parents=True, exist_ok=True)
    parent = Path(tempfile.mkdtemp(prefix="pyhost-compare-", dir="/tmp"))
    worktree = parent / "checkout"
    print(f"building {ref} ({commit[:10]}) in a temporary worktree {worktree}: make build", flush=True)
    try:
        git("worktree", "add", "--detach", str(worktree), commit)
        make_build(worktree)
        shutil.copy2(worktree / "artifacts" / "pyhost", dest)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=REPO, capture_output=True,
                       timeout=300)
        shutil.rmtree(parent, ignore_errors=True)
        subprocess.run(["git", "worktree", "prune"], cwd=REPO, capture_output=True, timeout=300)
    return commit


@dataclass
class Pair:
    """One scenario's measurements of A and B, round by round."""

    scenario: Scenario
    a: list[Measurement]
    b: list[Measurement]


class Comparison:
    def __init__(self, bench: Bench, a: PyHost, b: PyHost, rounds: int) -> None:
        self.bench, self.a, self.b, self.rounds = bench, a, b, rounds
        self.pairs: list[Pair] = []
        self.failed: list[str] = []

    def run(self, scenarios: list[Scenario]) -> None:
        groups: dict[str, list[Scenario]] = {}
        for scenario in scenarios:
            groups.setdefault(scenario.group, []).append(scenario)
        bench = self.bench
        for group, members in groups.items():
            print(f"\n== {group}: {self.a.label} and {self.b.label}", flush=True)
            static = members[0].kind == "static"
            try:
                running_a = self.a.start(bench.ctx, members[0].app, bench.settings.workers, static=static)
                bench.running.append(running_a)
                running_b = self.b.start(bench.ctx, members[0].app, bench.settings.workers, static=static)
                bench.running.append(running_b)
            except StartFailed as e:
                self.failed.append(f"{group}: did not start: {str(e).splitlines()[0]}")
                print(f"   did not start: {e}", flush=True)
                bench.cleanup()
                continue
            try:
                for scenario in members:
                    self.run_scenario(scenario, running_a, running_b)
            finally:
                for running in (running_a, running_b):
                    running.stop()
                    bench.running.remove(running)

    def run_scenario(self, scenario: Scenario, running_a, running_b) -> None:
        bench = self.bench
        for running in (running_a, running_b):
            bench.warm_up(running, scenario)
        pair = Pair(scenario, [], [])
        for round in range(self.rounds):
            order = [(running_a, pair.a), (running_b, pair.b)]
            for running, into in order if round % 2 == 0 else reversed(order):
                into.append(bench.run_scenario(running, scenario, warm=False))
        self.pairs.append(pair)
        row = summarize(pair)
        if row:
            print(f"   {scenario.key:<12} CPU/req A/B {ratio_text(row['cpu'])}   req/s A/B {ratio_text(row['rate'])}"
                  + (f"   fast p99 A/B {ratio_text(row['p99'])}" if row.get("p99") else ""), flush=True)

    def as_dict(self) -> dict:
        return {"rounds": self.rounds, "a": self.a.label, "b": self.b.label, "failed": self.failed,
                "scenarios": [{"scenario": p.scenario.key, **(summarize(p) or {})} for p in self.pairs]}


def summarize(pair: Pair) -> dict | None:
    """Per-round ratios A/B (rounds where either failed are left out) and each side's median."""
    rounds = [(a, b) for a, b in zip(pair.a, pair.b) if not a.failed and not b.failed]
    if not rounds:
        return None

    def ratios(get) -> dict | None:
        values = [(get(a), get(b)) for a, b in rounds]
        values = [(x, y) for x, y in values if x is not None and y]
        if not values:
            return None
        r = [x / y for x, y in values]
        return {"a": statistics.median(x for x, _ in values), "b": statistics.median(y for _, y in values),
                "median": statistics.median(r), "low": min(r), "high": max(r), "rounds": len(r)}

    out = {"cpu": ratios(lambda m: m.cpu_us), "rate": ratios(lambda m: m.rate)}
    if pair.scenario.kind == "openloop":
        out["p99"] = ratios(lambda m: m.p99_ms)
        out["p999"] = ratios(lambda m: m.extra.get("fast", {}).get("p999_ms"))
        # How late the generator itself sent (p99, worst round): latencies well above it are the servers'.
        out["late_p99_ms"] = max(m.extra["lateness"]["p99_ms"] or 0 for a, b in rounds for m in (a, b))
    return out


def ratio_text(r: dict | None) -> str:
    return "—" if not r else f"{r['median']:.3f}× ({r['low']:.3f}–{r['high']:.3f})"


def markdown(data: dict) -> str:
    c = data["compare"]
    m = data["machine"]
    lines = [f"# PyHost A/B comparison, {data['date']}", "",
             f"- **A:** {c['a']} — {data['pyhost']['source']}.",
             f"- **B:** {c['b']} — commit {c['ref_commit']}, built by `make build` in a temporary worktree.",
             f"- **Run:** `{data['command']}`, wall time {data['wall_seconds'] / 60:.1f} min; {c['rounds']} rounds per "
             f"scenario (A B, then B A, ...), {data['settings']['seconds']:g} s each, after {data['settings']['warmup']} "
             f"of each build; {data['settings']['workers']} workers.",
             f"- **Machine:** {m['cores']} cores, {m['cpu']}, Linux {m['kernel']}. **Load:** {data['load']['note']}",
             "",
             "Ratios are A ÷ B per round: the median, and the lowest–highest over the rounds. CPU per request below 1 "
             "and requests/s above 1 mean A is better; a spread that straddles 1 means no difference this run can "
             "tell.", "",
             "| scenario | CPU µs/req A | B | A/B (spread) | req/s A | B | A/B (spread) | fast p99 ms A | B | A/B (spread) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in c["scenarios"]:
        cells = [row["scenario"]]
        for key, digits in (("cpu", 1), ("rate", 0), ("p99", 2)):
            r = row.get(key)
            cells += [f"{r['a']:,.{digits}f}", f"{r['b']:,.{digits}f}", ratio_text(r)] if r else ["—", "—", "—"]
        lines.append("| " + " | ".join(cells) + " |")
    for row in c["scenarios"]:
        if row.get("late_p99_ms") is not None:
            lines.append(f"\n{row['scenario']}: the load generator sent requests up to {row['late_p99_ms']:.2f} ms late "
                         "(p99, worst round); fast-request latencies not well above that say more about the machine "
                         "than the builds.")
    for failure in c["failed"]:
        lines.append(f"\n{failure}")
    return "\n".join(lines) + "\n"
