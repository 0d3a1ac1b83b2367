"""An app that logs a lot, for bench/app_output.py: /log writes KIB kibibytes of log lines to stderr per request
(as a chatty logging config does, one line per record), /quiet writes nothing, and /busy spends US microseconds of
CPU and writes nothing (the same request rate as /log, without the logging). All answer the same 3 bytes."""
from __future__ import annotations

import logging
import sys
import time
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

log = logging.getLogger("chatty")
_handler = logging.StreamHandler(sys.stderr)
_handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
log.addHandler(_handler)
log.setLevel(logging.INFO)
log.propagate = False

LINE = "x" * 100


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if environ.get("PATH_INFO") == "/log":
        kib = int(query.get("kib", ["16"])[-1])
        for number in range(kib * 1024 // 128):   # records of about 128 bytes
            log.info("request line %05d %s", number, LINE)
    if environ.get("PATH_INFO") == "/busy":
        until = time.thread_time() + int(query.get("us", ["1000"])[-1]) / 1e6
        while time.thread_time() < until:
            pass
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "3")])
    return [b"ok\n"]
