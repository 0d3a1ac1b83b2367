"""The WSGI app of PyHost's operations tests (logs, signals, systemd, start-up, privileges). Every answer says which
process served it and as whom; on request it fails, dies, hangs, prints, or writes a very long line.

Its import can be made slow (IMPORT_SECONDS) or can fail for every worker but the first (LOCK_FILE: the first
worker creates it, the others find it taken), as an app that binds a resource at import does.
"""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

if os.environ.get("IMPORT_SECONDS"):
    time.sleep(float(os.environ["IMPORT_SECONDS"]))

if os.environ.get("LOCK_FILE"):
    try:
        os.close(os.open(os.environ["LOCK_FILE"], os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        raise RuntimeError(f"another worker holds {os.environ['LOCK_FILE']}") from None

log = logging.getLogger("operations")
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(message)s")


def identity() -> dict[str, Any]:
    """Who serves: process, parent (the front), ids, and what of PyHost's environment the app can see."""
    child = subprocess.run(["env"], capture_output=True, text=True, check=True).stdout
    return {
        "pid": os.getpid(),
        "ppid": os.getppid(),
        "uid": os.getuid(),
        "gid": os.getgid(),
        "pyhost_environ": sorted(key for key in os.environ if key.startswith("PYHOST_")),
        "pyhost_subprocess_environ": sorted(line.split("=", 1)[0] for line in child.splitlines() if line.startswith("PYHOST_")),
        "notify_socket": os.environ.get("NOTIFY_SOCKET"),
    }


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    query = {name: values[-1] for name, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
    marker = query.get("marker", "")
    if path == "/error":
        raise RuntimeError(f"deliberate failure {marker}")
    if path == "/crash":
        os._exit(1)
    if path == "/sleep":
        time.sleep(float(query.get("seconds", "30")))
    if path == "/print":
        print(f"app-stdout-{marker}", flush=True)
    if path == "/stderr":
        print(f"app-stderr-{marker}", file=sys.stderr, flush=True)
    if path == "/long-line":
        # One line of MiB megabytes, written in pieces, without a newline until the end.
        piece = b"x" * (1 << 20)
        for _ in range(int(query.get("mib", "1"))):
            os.write(1, piece)
        os.write(1, f" end-of-long-line-{marker}\n".encode())
    if path == "/log":
        # An app that logs a lot: KIB kibibytes of log lines per request, as a chatty logging config does.
        line = "x" * 100
        for number in range(int(query.get("kib", "16")) * 1024 // 120):
            log.info("request line %05d %s", number, line)
    body = json.dumps(identity() if path == "/" else {"pid": os.getpid(), "ppid": os.getppid()}).encode("ascii")
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
