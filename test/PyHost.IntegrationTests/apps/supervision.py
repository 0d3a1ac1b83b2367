"""The WSGI app of PyHost's supervision tests. Every answer says which process, thread, user and code version served
it, so a test sees workers being replaced, recycled, reloaded and scaled; on request it sleeps, dies or leaks, and
it boots slowly when told to (import-delay).

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

# A worker that must still be booting while the one it replaces serves: a test writes the seconds its import takes.
if os.path.exists("import-delay"):
    time.sleep(float(open("import-delay", encoding="ascii").read()))

# Grows with every /leak and is never freed: the leak --max-worker-memory exists for.
LEAKED: list[bytes] = []


def resident_mib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return 0


def _bytes(mib: int) -> Iterable[bytes]:
    chunk = b"\x5a" * (1 << 20)
    for _ in range(mib):
        yield chunk
    print(f"sent {mib} MiB in {os.getpid()}", flush=True)


def _hang_after(seconds: float) -> Iterable[bytes]:
    yield b"started;"
    time.sleep(seconds)
    yield b"finished"


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    query = {name: values[-1] for name, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
    rss_at_start = resident_mib()
    if path == "/bytes":  # a large response, for slow readers
        mib = int(query.get("mib", "64"))
        start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(mib << 20))])
        return _bytes(mib)
    if path == "/hang-after-start":  # the response starts, then the app hangs
        start_response("200 OK", [("Content-Type", "text/plain")])
        return _hang_after(float(query["seconds"]))
    if path == "/upload":  # reads the whole body
        data = environ["wsgi.input"].read()
        body = json.dumps({"pid": os.getpid(), "length": len(data), "content_length": environ.get("CONTENT_LENGTH")})
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body.encode("ascii")]
    if path == "/touch":  # leaves a mark that it ran: a line with its pid each time
        with open(f"touched-{query['name']}", "a", encoding="ascii") as mark:
            mark.write(f"{os.getpid()}\n")
    if path == "/exit":
        os._exit(1)
    if path == "/segv":
        os.kill(os.getpid(), signal.SIGSEGV)
        time.sleep(30)  # the signal is delivered on the way out of kill(); this only covers a late delivery
    if path == "/sleep":
        print(f"sleep started in {os.getpid()}", flush=True)
        time.sleep(float(query["seconds"]))
        if query.get("then") == "exit":
            os._exit(1)
    if path == "/leak" or (path == "/sleep" and query.get("then") == "leak"):
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
        "rss_at_start_mib": rss_at_start,
    }).encode("ascii")
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
