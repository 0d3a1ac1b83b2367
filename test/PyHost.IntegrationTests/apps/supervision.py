"""The WSGI app of PyHost's supervision tests. Every answer says which process, thread, user and code version served
it, so a test sees workers being replaced, recycled, reloaded and scaled; on request it sleeps, dies or leaks.

The reload tests serve a copy of this file from a directory of their own and rewrite its VERSION line (or break the
module) while it is being served. EXTRA is read once at import from version.txt, for --reload-extra-file.
"""
from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

VERSION = "v1"

EXTRA = open("version.txt", encoding="utf-8").read().strip() if os.path.exists("version.txt") else None

# Grows with every /leak and is never freed: the leak --max-worker-memory exists for.
LEAKED: list[bytes] = []


def resident_mib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return 0


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    query = {name: values[-1] for name, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
    if path == "/exit":
        os._exit(1)
    if path == "/segv":
        os.kill(os.getpid(), signal.SIGSEGV)
        time.sleep(30)  # the signal is delivered on the way out of kill(); this only covers a late delivery
    if path == "/sleep":
        print(f"sleep started in {os.getpid()}", flush=True)
        time.sleep(float(query["seconds"]))
    if path == "/leak":
        # Filled, not zeroed: calloc'd zero pages would not count in the resident set.
        LEAKED.append(b"\xa5" * (int(query.get("mib", "20")) << 20))
    body = json.dumps({
        "pid": os.getpid(),
        "thread": threading.get_ident(),
        "version": VERSION,
        "extra": EXTRA,
        "multithread": environ["wsgi.multithread"],
        "uid": os.getuid(),
        "rss_mib": resident_mib(),
    }).encode("ascii")
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
