"""The machine and its software: installs the peers from Debian when missing, and describes what was measured on
(cores, CPU model, kernel, load, every peer's version)."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import time
from pathlib import Path

PACKAGES = ["gunicorn", "uwsgi", "uwsgi-plugin-python3", "python3-waitress", "apache2", "libapache2-mod-wsgi-py3",
            "nginx", "caddy", "wrk", "hey", "nghttp2-client", "python3-flask", "python3-django", "python3-matplotlib"]
# What the report lists, in order: Debian package, and what it is here.
VERSIONED = [("python3", "Python (every server's interpreter: /usr/bin/python3)"), ("gunicorn", "gunicorn"),
             ("uwsgi-core", "uWSGI"), ("uwsgi-plugin-python3", "uWSGI Python 3 plugin"),
             ("python3-waitress", "waitress"), ("apache2", "Apache httpd"),
             ("libapache2-mod-wsgi-py3", "mod_wsgi"), ("nginx", "nginx"), ("caddy", "Caddy"), ("wrk", "wrk (load)"),
             ("hey", "hey (fixed-rate load)"), ("nghttp2-client", "nghttp2-client (h2load; no h2 scenario yet)"),
             ("python3-flask", "Flask"), ("python3-jinja2", "Jinja2"), ("python3-django", "Django"),
             ("python3-matplotlib", "matplotlib (chart)")]


def package_version(package: str) -> str | None:
    out = subprocess.run(["dpkg-query", "-W", "-f=${Status}|${Version}", package], capture_output=True, text=True)
    status, _, version = out.stdout.partition("|")
    return version if out.returncode == 0 and status.endswith("install ok installed") else None


def install_missing() -> None:
    missing = [p for p in PACKAGES if package_version(p) is None]
    if not missing:
        return
    is_root = os.geteuid() == 0
    as_root = [] if is_root else ["sudo"]
    if not is_root and shutil.which("sudo") is None:
        raise SystemExit(f"bench/run needs these Debian packages; install them as root: apt-get install {' '.join(missing)}")
    print(f"installing from Debian: {' '.join(missing)}", flush=True)
    # Debian starts nginx and apache2 on port 80 when they are installed; bench/run never uses those services. A
    # policy-rc.d that answers 101 ("action forbidden", invoke-rc.d(8)) stops that, for this install only.
    policy = Path("/usr/sbin/policy-rc.d")
    made_policy = False
    if is_root and not policy.exists():
        policy.write_text("#!/bin/sh\n# written by PyHost's bench/run during apt-get install; removed after\nexit 101\n")
        policy.chmod(0o755)
        made_policy = True
    # On a shared machine another apt-get may hold dpkg's lock: wait for it rather than fail.
    wait_for_lock = ["-o", "DPkg::Lock::Timeout=600"]
    try:
        subprocess.run([*as_root, "apt-get", *wait_for_lock, "update", "-q"], check=True, timeout=1200)
        subprocess.run([*as_root, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", *wait_for_lock, "install", "-y",
                        "-q", "--no-install-recommends", *missing], check=True, timeout=2400)
    finally:
        if made_policy:
            policy.unlink()


def versions() -> list[tuple[str, str]]:
    return [(what, package_version(package) or "not installed") for package, what in VERSIONED]


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def describe() -> dict:
    return {"cores": os.cpu_count(), "cpu": cpu_model(), "kernel": platform.release(),
            "memory_gib": round(memory_gib(), 1), "os": os_name()}


def os_name() -> str:
    for line in Path("/etc/os-release").read_text().splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip('"')
    return "Linux"


def wait_for_quiet(threshold: float, poll_seconds: float, max_minutes: float) -> tuple[bool, float, float]:
    """Polls the 1-minute load average until it is below threshold. Returns (quiet, load, minutes waited)."""
    started = time.monotonic()
    while True:
        load = load_average()
        waited = (time.monotonic() - started) / 60
        if load < threshold:
            return True, load, waited
        if waited >= max_minutes:
            return False, load, waited
        print(f"waiting for a quiet machine: load average {load:.2f} (want < {threshold}), "
              f"{waited:.1f} of {max_minutes:.0f} min", flush=True)
        time.sleep(poll_seconds)


class CpuClock:
    """Busy CPU time of the whole machine, from /proc/stat, to tell how much of it other people's processes used."""

    @staticmethod
    def busy_seconds() -> float:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
        return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
