#!/usr/bin/python3
"""The "limit" of a scenario: the app's own Python CPU time per request, with no server at all. Imports the app,
prepares the environ a server would pass (PEP 3333), and calls it in a tight loop — start_response, iterating the
body, close() — for about SECONDS of CPU time. Prints one JSON line: {"us_per_request": ..., "calls": ...}.

    apptime.py MODULE:ATTR [--method GET] [--body-bytes 0] [--seconds 2]    (run with cwd = bench/apps)
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import sys
import time


def environ(method: str, body: bytes) -> dict:
    env = {
        "REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": "/", "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "50000", "HTTP_HOST": "127.0.0.1:8000", "HTTP_USER_AGENT": "wrk",
        "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
        "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
    }
    if body:
        env["CONTENT_LENGTH"] = str(len(body))
        env["CONTENT_TYPE"] = "application/octet-stream"
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("app")
    parser.add_argument("--method", default="GET")
    parser.add_argument("--body-bytes", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    sys.path.insert(0, ".")
    module, _, attr = args.app.partition(":")
    app = getattr(importlib.import_module(module), attr)
    body = b"x" * args.body_bytes
    template = environ(args.method, body)

    def start_response(status, headers, exc_info=None):
        return lambda data: None

    def call() -> None:
        env = dict(template)
        env["wsgi.input"] = io.BytesIO(body)
        result = app(env, start_response)
        try:
            for _ in result:
                pass
        finally:
            if hasattr(result, "close"):
                result.close()

    for _ in range(200):  # warm caches (templates, query plans) as a server's warm-up does
        call()
    calls, started = 0, time.process_time()
    while time.process_time() - started < args.seconds:
        for _ in range(50):
            call()
        calls += 50
    elapsed = time.process_time() - started
    print(json.dumps({"us_per_request": elapsed / calls * 1e6, "calls": calls}))


if __name__ == "__main__":
    main()
