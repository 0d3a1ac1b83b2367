"""Turns a run's data (results JSON) into the Markdown report and the PNG chart."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .scenarios import BY_KEY, IDLE_AFTER_LOAD_SECONDS, SCALING_WORKERS, SCENARIOS

PYHOST = "pyhost"
MIN_REQUESTS = 100
CHARTED = ("wrk", "static", "slowloris", "slowclients")  # scenario kinds the chart draws  # below this, per-request CPU is a few clock ticks divided by a few requests: not shown


@dataclass
class Target:
    text: str
    measured: str
    met: bool | None  # None: not measured in this run, or not judged (measured says why)
    issue: int = 5

    @property
    def verdict(self) -> str:
        if self.met is None:
            return "not judged" if "not judged" in self.measured else "not measured"
        return "met" if self.met else "**missed**"


# The issues whose targets the report checks, newest first.
ISSUES = {13: "faster than the stack it replaces", 9: "slow clients never hold a worker", 5: "the first bars"}
P99_NOISE = 0.05  # the mixed scenario's "no worse": within this share, which separate runs differ by anyway
LATE_LIMIT_MS = 1.0  # a mixed run whose requests left later than this (p99) measured the machine, not the server


class Results:
    def __init__(self, data: dict) -> None:
        self.data = data
        self.labels = {name: s["label"] for name, s in data["servers"].items()}
        self.workers = data["settings"]["workers"]

    def get(self, scenario: str, server: str) -> dict | None:
        """The server's measurement of a scenario, unless it failed (scaling has one per worker count)."""
        for m in self.data["measurements"]:
            if m["scenario"] == scenario and m["server"] == server and not m["failed"]:
                return m
        return None

    def rows(self, scenario: str) -> list[dict]:
        return [m for m in self.data["measurements"] if m["scenario"] == scenario]

    def ratio(self, scenario: str, server: str) -> float | None:
        """PyHost's rate divided by the peer's (how many times faster PyHost is)."""
        ours, theirs = self.get(scenario, PYHOST), self.get(scenario, server)
        if ours and theirs and theirs["rate"] > 0:
            return ours["rate"] / theirs["rate"]
        return None

    def limit(self, scenario: str) -> float | None:
        return self.data["limits"].get(scenario)

    # ---- targets ---------------------------------------------------------------------------------------------------

    def targets(self) -> list[Target]:
        return self.targets_issue_13() + self.targets_issue_9() + self.targets_issue_5()

    def ratio_target(self, text: str, scenario: str, peer: str, at_least: float, issue: int) -> Target:
        r = self.ratio(scenario, peer)
        if r is None:
            return Target(text, "not measured in this run", None, issue)
        ours, theirs = self.get(scenario, PYHOST)["rate"], self.get(scenario, peer)["rate"]
        return Target(text, f"{r:.2f}× ({ours:,.0f} vs {theirs:,.0f} req/s)", r >= at_least, issue)

    def overhead_target(self, at_most: float, issue: int) -> Target:
        text = f"Server overhead ≤ {at_most:g} µs CPU per request (hello, keep-alive)"
        hello, limit = self.get("hello", PYHOST), self.limit("hello")
        if not hello or hello["cpu_us"] is None or limit is None:
            return Target(text, "not measured", None, issue)
        overhead = hello["cpu_us"] - limit
        return Target(text, f"{overhead:.1f} µs ({hello['cpu_us']:.1f} µs CPU/request − {limit:.1f} µs in the app;"
                            f" front {hello['front_us']:.1f} µs, workers {hello['worker_us']:.1f} µs)",
                      overhead <= at_most, issue)

    def idle_target(self, at_most: float, issue: int) -> Target:
        text = f"Front idle RSS ≤ {at_most:g} MB"
        idle = self.data["idle"].get(PYHOST)
        if not idle:
            return Target(text, "not measured", None, issue)
        front = idle["after_start"]["front_mb"]
        after = idle.get("after_load", {}).get("front_mb")
        return Target(text, f"{front:.1f} MB after start" + (f" ({after:.1f} MB after the load and {IDLE_AFTER_LOAD_SECONDS} s idle)" if after else ""),
                      front <= at_most, issue)

    def targets_issue_13(self) -> list[Target]:
        out = [self.ratio_target(text, scenario, peer, bar, 13) for text, scenario, peer, bar in (
            ("Hello keep-alive ≥ 3.5× gunicorn sync", "hello", "gunicorn-sync", 3.5),
            ("Hello keep-alive ≥ 1.5× nginx → uWSGI (what PyHost replaces)", "hello", "nginx-uwsgi", 1.5),
            ("Hello keep-alive ≥ 1.0× uWSGI --http11-socket", "hello", "uwsgi-http11", 1.0),
            ("Hello, new connection per request, ≥ 1.5× gunicorn sync", "hello-close", "gunicorn-sync", 1.5),
            ("100 KiB response ≥ 1.5× gunicorn sync", "big", "gunicorn-sync", 1.5),
            ("1 MiB POST echo ≥ 1.3× gunicorn sync", "echo", "gunicorn-sync", 1.3),
            ("1,000-chunk stream ≥ 1.5× gunicorn sync", "stream", "gunicorn-sync", 1.5),
            ("Flask page ≥ 1.25× gunicorn sync", "flask", "gunicorn-sync", 1.25),
            ("Django page ≥ 1.1× gunicorn sync", "django", "gunicorn-sync", 1.1),
            ("Static 1 KiB ≥ 0.9× nginx", "static-1k", "nginx", 0.9),
            ("Static 10 MiB ≥ 1.0× nginx", "static-10m", "nginx", 1.0))]
        out.append(self.overhead_target(25, 13))
        text = (f"Mixed open loop: fast requests' p99 no worse than with --pipeline-depth 0 "
                f"(within {P99_NOISE:.0%})")
        on, off = self.get("mixed", PYHOST), self.get("mixed", "pyhost-depth0")
        if on and off and on["p99_ms"] is not None and off["p99_ms"] is not None:
            measured = (f"{on['p99_ms']:.2f} ms vs {off['p99_ms']:.2f} ms (p99.9 {fmt(on['extra']['fast']['p999_ms'], 2)}"
                        f" vs {fmt(off['extra']['fast']['p999_ms'], 2)} ms)")
            late = max(on["extra"]["lateness"]["p99_ms"] or 0, off["extra"]["lateness"]["p99_ms"] or 0)
            if late > LATE_LIMIT_MS:
                # The generator's own delays are in these latencies: they say more about the machine than the server.
                out.append(Target(text, f"{measured}; not judged: the load generator sent requests up to {late:.1f} ms "
                                        "late (p99), the machine was busy", None, 13))
            else:
                out.append(Target(text, measured, on["p99_ms"] <= off["p99_ms"] * (1 + P99_NOISE), 13))
        else:
            out.append(Target(text, "not measured in this run", None, 13))
        out.append(self.idle_target(25, 13))
        return out

    def targets_issue_9(self) -> list[Target]:
        text = "With 50 slow uploaders and 50 slow readers, normal traffic keeps ≥ 90 % of its throughput"
        ours = self.get("slow-clients", PYHOST)
        if not ours:
            return [Target(text, "not measured in this run", None, 9)]
        theirs = self.get("slow-clients", "nginx-gunicorn")
        beside = f"; nginx → gunicorn kept {theirs['extra']['kept']:.0%}" if theirs else ""
        kept = ours["extra"]["kept"]
        return [Target(text, f"{kept:.0%} ({ours['rate']:,.0f} of {ours['extra']['baseline_rate']:,.0f} req/s{beside})",
                       kept >= 0.9, 9)]

    def targets_issue_5(self) -> list[Target]:
        out = [self.ratio_target(text, scenario, peer, bar, 5) for text, scenario, peer, bar in (
            ("Hello keep-alive ≥ 2.5× gunicorn sync", "hello", "gunicorn-sync", 2.5),
            ("Hello keep-alive ≥ 1.3× uWSGI --http-socket", "hello", "uwsgi-http", 1.3),
            ("(same bar against uWSGI --http11-socket, its keep-alive mode)", "hello", "uwsgi-http11", 1.3),
            ("Flask page ≥ 1.2× gunicorn (sync)", "flask", "gunicorn-sync", 1.2),
            ("Django page ≥ 1.2× gunicorn (sync)", "django", "gunicorn-sync", 1.2),
            ("Static 1 KiB ≥ 0.8× nginx", "static-1k", "nginx", 0.8),
            ("Static 10 MiB ≥ 1× nginx", "static-10m", "nginx", 1.0),
            ("gzip 100 KiB on the fly ≥ 0.9× nginx gzip on", "gzip-100k", "nginx", 0.9))]
        text = "Under 500 slow clients, normal traffic keeps ≥ 90 % of its throughput"
        slow = self.get("slowloris", PYHOST)
        if slow:
            kept = slow["extra"]["kept"]
            out.append(Target(text, f"{kept:.0%} ({slow['rate']:,.0f} of {slow['extra']['baseline_rate']:,.0f} req/s)",
                              kept >= 0.9))
        else:
            out.append(Target(text, "not measured in this run", None))
        out += [self.overhead_target(15, 5), self.idle_target(40, 5)]
        lat = self.get("latency", PYHOST)
        if lat and lat["p99_ms"] is not None:
            out.append(Target("p99 ≤ 2 ms for hello at half load",
                              f"{lat['p99_ms']:.2f} ms at {lat['extra']['offered_rate']:,} req/s "
                              f"(p50 {lat['p50_ms']:.2f} ms)", lat["p99_ms"] <= 2))
        else:
            out.append(Target("p99 ≤ 2 ms for hello at half load", "not measured in this run", None))
        return out

    # ---- markdown --------------------------------------------------------------------------------------------------

    def markdown(self) -> str:
        d = self.data
        m, s = d["machine"], d["settings"]
        lines = [f"# PyHost benchmarks, {d['date']}", ""]
        lines += [
            "One run of `bench/run` on one machine. Every server serves the same app with the same number of worker "
            "processes; they run one after another, each group of scenarios for all servers before the next group. "
            "Ratios compare with PyHost in this same run. CPU time per request is the figure that survives a noisy "
            "machine; requests per second do not.", ""]
        if d.get("partial"):
            lines += [f"**A partial run** (`{d['command']}`): not every server or scenario is in it.", ""]
        lines += [
            f"- **Machine:** {m['cores']} cores, {m['cpu']}, Linux {m['kernel']}, {m['memory_gib']} GiB RAM, {m['os']}.",
            f"- **Load:** {d['load']['note']}",
            f"- **Noise during measurements:** {self.noise()}",
            f"- **PyHost:** {d['pyhost']['version']}, {d['pyhost']['source']}.",
            f"- **Run:** `{d['command']}`, wall time {d['wall_seconds'] / 60:.1f} min. {s['workers']} worker processes "
            f"per server; each measurement {s['seconds']:g} s after {warmup_text(s['warmup'])}; wrk -t2 -c64 "
            f"(timeout {d['wrk_timeout']}).",
            "", "## Targets", ""]
        targets = self.targets()
        for issue, title in ISSUES.items():
            lines += [f"### Issue {issue}: {title}", "", "| target | measured | |", "|---|---|---|"]
            for t in targets:
                if t.issue == issue:
                    lines.append(f"| {t.text} | {t.measured} | {t.verdict} |")
            lines.append("")
        if self.has_chart():
            lines += ["![requests per second relative to PyHost, and CPU per request](latest.png)", ""]
        for scenario in SCENARIOS:
            if scenario.key == "scaling":
                lines += self.scaling_table()
            elif not any(m["scenario"] == scenario.key for m in d["measurements"]):
                continue
            elif scenario.kind == "openloop":
                lines += self.open_loop_table(scenario.key)
            elif scenario.kind == "slowclients":
                lines += self.slow_clients_table(scenario.key)
            else:
                lines += self.scenario_table(scenario.key)
        for skip in d["skipped"]:
            lines += [f"## {BY_KEY[skip['scenario']].title}", "", f"Skipped: {skip['reason']}.", ""]
        lines += self.idle_table()
        lines += ["## Versions", "", "| software | Debian package version |", "|---|---|"]
        lines += [f"| {what} | {version} |" for what, version in d["versions"]]
        lines += ["", "## Servers as run", ""]
        lines += [f"- **{srv['label']}:** {srv['describe']}" for srv in d["servers"].values()]
        lines += ["", METHOD]
        return "\n".join(lines) + "\n"

    def noise(self) -> str:
        others = [m["other_cores"] for m in self.data["measurements"] if m.get("other_cores") is not None]
        if not others:
            return "not measured."
        return (f"processes other than the server, the load generator and bench/run used {sum(others) / len(others):.2f}"
                f" cores on average (at most {max(others):.2f}) of {self.data['machine']['cores']}.")

    def scenario_table(self, key: str) -> list[str]:
        scenario = BY_KEY[key]
        limit = self.limit(key)
        pyhost = self.get(key, PYHOST)
        lines = [f"## {scenario.title}", ""]
        if key == "latency":
            lines.append("hey, 16 connections, each limited to 1/16 of the offered rate (`hey -q`), for the whole "
                         "measurement; the offered rate is half of the server's own keep-alive maximum above. "
                         "hey prints latencies in 0.1 ms steps.")
        elif key == "slowloris":
            lines.append(f"bench/slowclients.py holds 500 connections that send one header byte a second and never "
                         "finish their headers (reconnecting when the server drops one) while wrk measures. "
                         "'kept' is the rate relative to the same server's keep-alive rate above.")
        if scenario.kind == "static":
            lines.append("No app runs: the limit is 0, and the overhead is all the CPU per request.")
        elif limit is not None:
            lines.append(f"The app's own Python time (the limit): **{limit:.1f} µs/request**; "
                         "overhead = CPU/request − that.")
        lines.append("")
        head = "| server | req/s | vs PyHost | p50 ms | p99 ms | errors | probe | CPU µs/req | front µs | workers µs | overhead µs | peak RSS MB | max worker MB | warm-up s |"
        extra_head = ""
        if key == "latency":
            extra_head = " offered req/s |"
        elif key == "slowloris":
            extra_head = " kept | slow clients open (start → end) |"
        lines += [head + extra_head, "|" + "---|" * (head.count("|") - 1 + extra_head.count("|"))]
        for m in self.rows(key):
            label = self.labels[m["server"]]
            if m["failed"]:
                lines.append(f"| {label} | failed: {m['failed']} |" + " |" * (head.count("|") - 3 + extra_head.count("|")))
                continue
            vs = f"{m['rate'] / pyhost['rate']:.2f}×" if pyhost and pyhost["rate"] else "—"
            if m["requests"] < MIN_REQUESTS:
                m = {**m, "cpu_us": None, "front_us": None, "worker_us": None}
            errors = f"{m['non_2xx'] + m['socket_errors']:,}"
            if m["error_detail"] and m["non_2xx"] + m["socket_errors"]:
                errors += f" ({m['error_detail']})"
            overhead = fmt(m["cpu_us"] - limit if m["cpu_us"] is not None and limit is not None else None, 1)
            probe = m["extra"].get("probe", {})
            if probe:
                slowest = f" ({probe['slowest_ms']:,.0f} ms)" if probe["answered"] else ""
                probe = f"{probe['answered']}/{probe['sent']}{slowest}"
            else:
                probe = "—"
            row = (f"| {label} | {m['rate']:,.0f} | {vs} | {fmt(m['p50_ms'], 2)} | {fmt(m['p99_ms'], 2)} | {errors} | "
                   f"{probe} | "
                   f"{fmt(m['cpu_us'], 1)} | {fmt(m['front_us'], 1)} | {fmt(m['worker_us'], 1)} | {overhead} | "
                   f"{fmt(m['rss_total_mb'], 0)} | {fmt(m['rss_worker_mb'], 0)} | {warmup_cell(m)} |")
            if key == "latency":
                row += f" {m['extra'].get('offered_rate', 0):,} |"
            elif key == "slowloris":
                slow = m["extra"].get("slow", {})
                row += f" {m['extra']['kept']:.0%} | {m['extra']['slow_ready']} → {slow.get('open_at_end', '?')} |"
            lines.append(row)
        return lines + [""]

    def open_loop_table(self, key: str) -> list[str]:
        scenario = BY_KEY[key]
        rate = self.data.get("open_rate") or {}
        lines = [f"## {scenario.title}", "",
                 "bench/tools/OpenLoop sends requests at fixed times, whatever the server does (an open loop: wrk and "
                 "hey wait for each response before the next request on a connection, so a stalled server slows them "
                 "down instead of being measured). Each request takes a free keep-alive connection, or a new one "
                 "when none is free; one in 50, at random (seeded), asks for `/slow?ms=50`, which waits 50 ms in the "
                 "worker. Latency counts from when a request was due, to its response's last byte. **The fast "
                 "requests' percentiles are the figure**: what a site's quick pages suffer from its slow ones, and "
                 "what pipelining (a fast request queued behind a running one) may cost. 'Sent late' is how far the "
                 "generator itself fell behind its schedule (p99): if it is not far below the fast p50, the machine "
                 "was too busy for these figures.",
                 "", f"Offered rate: **{rate.get('rate', 0):,.0f} requests/s** for every server: {rate.get('how', '?')}.",
                 "", "| server | completed req/s | fast p50 ms | p90 | p99 | p99.9 | max | slow p50 ms | slow p99 | "
                     "errors | sent late p99 ms | connections opened | CPU µs/req | peak RSS MB | warm-up s |",
                 "|" + "---|" * 15]
        for m in self.rows(key):
            label = self.labels[m["server"]]
            if m["failed"]:
                lines.append(f"| {label} | failed: {m['failed']} |" + " |" * 13)
                continue
            fast, slow, late = m["extra"]["fast"], m["extra"]["slow"], m["extra"]["lateness"]
            errors = f"{m['non_2xx'] + m['socket_errors']:,}" + (f" ({m['error_detail']})" if m["error_detail"] else "")
            lines.append(
                f"| {label} | {m['rate']:,.0f} | {fmt(fast['p50_ms'], 2)} | {fmt(fast['p90_ms'], 2)} | "
                f"**{fmt(fast['p99_ms'], 2)}** | {fmt(fast['p999_ms'], 2)} | {fmt(fast['max_ms'], 1)} | "
                f"{fmt(slow['p50_ms'], 1)} | {fmt(slow['p99_ms'], 1)} | {errors} | {fmt(late['p99_ms'], 2)} | "
                f"{m['extra']['connections_opened']:,} | {fmt(m['cpu_us'], 1)} | {fmt(m['rss_total_mb'], 0)} | "
                f"{warmup_cell(m)} |")
        return lines + [""]

    def slow_clients_table(self, key: str) -> list[str]:
        scenario = BY_KEY[key]
        lines = [f"## {scenario.title}", "",
                 "Issue 9's scenario. wrk measures hello world on the server alone, then again while bench/slowclients.py "
                 "keeps 50 uploaders sending a 1 MB POST body at 300 B/s and 50 readers reading an 8 MiB response at "
                 "16 KiB/s through a 16 KiB receive buffer (each reconnecting when the server lets go of it). "
                 "'Kept' is the second rate over the first: a server whose workers wait for slow clients loses its "
                 "throughput; one that buffers in front of them (nginx, PyHost's front) keeps it.", "",
                 "| server | alone req/s | with slow clients req/s | kept | p99 ms alone → with | errors | probe | "
                 "CPU µs/req alone → with | peak RSS MB | uploaders open (end) | readers open (end) | warm-up s |",
                 "|" + "---|" * 12]
        for m in self.rows(key):
            label = self.labels[m["server"]]
            if m["failed"]:
                lines.append(f"| {label} | failed: {m['failed']} |" + " |" * 10)
                continue
            x = m["extra"]
            kinds = x.get("slow", {}).get("kinds", {})
            probe = x.get("probe", {})
            errors = f"{m['non_2xx'] + m['socket_errors']:,}" + (f" ({m['error_detail']})" if m["error_detail"] else "")
            lines.append(
                f"| {label} | {x['baseline_rate']:,.0f} | {m['rate']:,.0f} | **{x['kept']:.0%}** | "
                f"{fmt(x['baseline_p99_ms'], 2)} → {fmt(m['p99_ms'], 2)} | {errors} | "
                f"{probe.get('answered', 0)}/{probe.get('sent', 0)} | {fmt(x['baseline_cpu_us'], 1)} → "
                f"{fmt(m['cpu_us'], 1)} | {fmt(m['rss_total_mb'], 0)} | "
                f"{kinds.get('uploaders', {}).get('open_at_end', '?')} | {kinds.get('readers', {}).get('open_at_end', '?')} | "
                f"{warmup_cell(m)} |")
        return lines + [""]

    def scaling_table(self) -> list[str]:
        rows = self.rows("scaling")
        if not rows:
            return []
        lines = [f"## {BY_KEY['scaling'].title}", "",
                 f"Requests/s (CPU µs/request). On a {self.data['machine']['cores']}-core machine more workers than "
                 "cores cannot add throughput; the column shows what extra processes cost.", "",
                 "| server | " + " | ".join(f"{w} worker{'s' if w > 1 else ''}" for w in SCALING_WORKERS)
                 + " | vs PyHost at " + ", ".join(map(str, SCALING_WORKERS)) + " |",
                 "|---|" + "---|" * (len(SCALING_WORKERS) + 1)]
        servers = list(dict.fromkeys(m["server"] for m in rows))
        by = {(m["server"], m["workers"]): m for m in rows}
        for server in servers:
            cells, ratios = [], []
            for w in SCALING_WORKERS:
                m, ours = by.get((server, w)), by.get((PYHOST, w))
                if m is None or m["failed"]:
                    cells.append("failed" if m else "—")
                    ratios.append("—")
                    continue
                cells.append(f"{m['rate']:,.0f} ({fmt(m['cpu_us'], 1)})")
                ok = ours and not ours["failed"] and ours["rate"]
                ratios.append(f"{m['rate'] / ours['rate']:.2f}×" if ok else "—")
            lines.append(f"| {self.labels[server]} | " + " | ".join(cells) + " | " + ", ".join(ratios) + " |")
        return lines + [""]

    def idle_table(self) -> list[str]:
        idle = self.data["idle"]
        if not idle:
            return []
        lines = ["## Memory at idle", "",
                 "Resident memory 1 s after the server answered its first request, and again after it idled "
                 f"{IDLE_AFTER_LOAD_SECONDS} s at the end of its first scenario group. 'Front' is everything but the Python workers (PyHost's Kestrel process, a master, "
                 "nginx or Apache). RSS counts pages shared between forked workers once per process.", "",
                 "| server | front MB | workers MB (count) | total MB | front MB after load | total MB after load |",
                 "|---|---|---|---|---|---|"]
        for server, v in idle.items():
            a, b = v["after_start"], v.get("after_load", {})
            lines.append(f"| {self.labels[server]} | {a['front_mb']:.1f} | {a['workers_mb']:.1f} ({a['workers']}) | "
                         f"{a['total_mb']:.1f} | {fmt(b.get('front_mb'), 1)} | {fmt(b.get('total_mb'), 1)} |")
        return lines + [""]

    # ---- chart -----------------------------------------------------------------------------------------------------

    def has_chart(self) -> bool:
        return any(BY_KEY[m["scenario"]].kind in CHARTED and not m["failed"] for m in self.data["measurements"])

    def chart(self, path: Path) -> bool:
        """Draws the chart; False when the run has no throughput scenario to draw."""
        if not self.has_chart():
            return False
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.patches import Patch
        from matplotlib.ticker import FuncFormatter, LogLocator

        keys = [s.key for s in SCENARIOS if s.kind in CHARTED
                and any(m["scenario"] == s.key and not m["failed"] for m in self.data["measurements"])]
        servers = [name for name in self.data["servers"]
                   if any(m["server"] == name and m["scenario"] in keys for m in self.data["measurements"])]
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(15, 11), constrained_layout=True)
        width = 0.84 / max(1, len(servers))
        colors = plt.get_cmap("tab10")
        floor = 0.01  # a server that completed nothing is drawn at the floor and labelled 0
        overheads = [0.1]
        for i, server in enumerate(servers):
            style = dict(width=width, color=colors(i), edgecolor="black" if server == PYHOST else "none",
                         linewidth=1.5)
            for j, key in enumerate(keys):
                x = j + (i - (len(servers) - 1) / 2) * width
                m, ours = self.get(key, server), self.get(key, PYHOST)
                if m and ours and ours["rate"]:
                    ratio = m["rate"] / ours["rate"]
                    top.bar(x, max(ratio, floor), **style)
                    top.text(x, max(ratio, floor) * 1.08, f"{ratio:.2f}" if ratio >= 0.005 else "0", ha="center",
                             va="bottom", rotation=90, fontsize=7, clip_on=True)
                if m and m["cpu_us"] is not None and m["requests"] >= MIN_REQUESTS:
                    overhead = max(m["cpu_us"] - (self.limit(key) or 0), 0.1)
                    overheads.append(overhead)
                    bottom.bar(x, overhead, **style)
                    bottom.text(x, overhead * 1.08, f"{overhead:,.0f}", ha="center", va="bottom", rotation=90,
                                fontsize=7, clip_on=True)
        plain = FuncFormatter(lambda y, _: f"{y:g}")
        for ax in (top, bottom):
            ax.set_xticks(range(len(keys)), [BY_KEY[k].short for k in keys], fontsize=9)
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(LogLocator(subs=(1, 2, 5)))
            ax.yaxis.set_major_formatter(plain)
            ax.yaxis.set_minor_formatter(FuncFormatter(lambda y, _: ""))
            ax.grid(axis="y", which="major", alpha=0.3)
            ax.set_xlim(-0.5, len(keys) - 0.5)
        top.set_ylim(floor * 0.8, top.get_ylim()[1] * 2)
        bottom.set_ylim(min(o for o in overheads if o > 0.1 or len(overheads) == 1) / 2, max(overheads) * 2.5)
        top.axhline(1, color="black", linewidth=1)
        top.set_ylabel("requests/s ÷ PyHost's (log)\nabove 1: faster than PyHost")
        top.set_title(f"Throughput relative to PyHost in the same run: {self.workers} worker processes each, "
                      f"{self.data['machine']['cores']} cores, {self.data['date']}")
        bottom.set_ylabel("µs CPU per request (log)")
        bottom.set_title("Server overhead: CPU time of all the server's processes per request, minus the app's own "
                         "Python time (lower is better)")
        legend = [Patch(facecolor=colors(i), edgecolor="black" if server == PYHOST else "none", label=self.labels[server])
                  for i, server in enumerate(servers)]
        top.legend(handles=legend, ncol=len(servers), loc="upper center", bbox_to_anchor=(0.5, -0.13), fontsize=9,
                   frameon=False)
        fig.savefig(path, dpi=100)
        plt.close(fig)
        return True


def warmup_cell(m: dict) -> str:
    """Seconds of warm-up, with a mark when the adaptive warm-up ended at its cap without the CPU settling."""
    w = m["extra"].get("warmup")
    if not w:
        return "—"
    return f"{w['seconds']:.0f}" + (" (cap)" if w["stable"] is False else "")


def warmup_text(warmup: float | str) -> str:
    """Runs before adaptive warm-up recorded a number of seconds."""
    return f"a {warmup:g} s warm-up" if isinstance(warmup, (int, float)) else warmup


def fmt(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


METHOD = """\
## How the figures are made

- **req/s**: responses wrk (or hey) completed in the measured seconds, any status. **Errors**: responses with a
  status ≥ 400 (wrk's own rule), plus socket errors (connect, read, write, timeout). A server that closes a
  keep-alive connection without saying so costs wrk one read error per request. wrk counts a timeout for every
  connection whose request has waited over 5 s, again at each of its 2-second checks: a count of stuck
  connections × checks, not of requests.
- **probe**: requests answered / sent (slowest answer) by one more client beside the load, a GET every half second
  on its own keep-alive connection (5 s timeout). A server that serves only the connections it already holds (a sync worker
  stays with a keep-alive connection until the client leaves) or whose workers are held by slow clients leaves it
  unanswered; wrk's figures cover only the requests that completed.
- **p50/p99**: wrk's latency percentiles at full load (closed loop: 64 connections, each waiting for its response);
  in the latency table, hey's at a fixed offered rate; in the mixed table, bench/tools/OpenLoop's, counted from when
  each request was due (an open loop: a stall is measured, not waited out).
- **Warm-up**: before each measurement, the scenario's own load (plain requests to its path for the latency, open-loop
  and slow-client scenarios) in 1-second windows, until the server's CPU per request in two windows in a row agrees
  within 3 % (at least 3 s, at most 15 s: "(cap)" in a table when it never settled), or a fixed time with
  `--warmup N`. Each window's CPU per request is in the JSON (`extra.warmup.windows_us`): it shows the JIT's tier-up.
- **CPU µs/req** (not shown below 100 completed requests): user+system time of the server's processes — the pids bench/run started and all their descendants,
  read from /proc/PID/stat before and after the load, including cutime/cstime, so processes that exit meanwhile still
  count — divided by the completed requests. **front**: the processes that are not Python workers; **workers**: the
  Python worker processes (and any child that exited, through its parent's cutime).
- **Limit**: the app's own Python CPU time per request, measured by bench/apptime.py calling the app in a tight loop
  with a prepared environ and iterating its body; **overhead** = CPU µs/req − limit. It includes everything a server
  does besides the app: HTTP parsing, moving bytes between processes, building the environ, kernel time in its
  processes. Static files have no app: their limit is 0.
- **Peak RSS**: sampled twice a second during warm-up and measurement, summed over the server's processes; and the
  largest single worker.
- **Noise**: the machine's busy CPU time from /proc/stat, minus the server, the load generator and bench/run itself.
- The load generator runs on the same cores as the server, as it does in every single-machine benchmark: it takes
  CPU from the servers, more from faster ones.
"""
