"""The app the admin tests watch: requests that are quick, slow, failing, crashing, and one that shows its ids."""

import json
import os
import sys
import time
from urllib.parse import parse_qs


def sleep_for(seconds):
    time.sleep(seconds)


def app(environ, start_response):
    path = environ["PATH_INFO"]
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if path == "/sleep":
        sleep_for(float(query.get("seconds", ["1"])[0]))
    elif path == "/boom":
        raise ZeroDivisionError("the test app divides by zero")
    elif path == "/crash":
        sys.stderr.flush()
        os._exit(7)
    elif path == "/shout":
        # An app's own output with terminal control characters: ESC [ 3 1 m and BEL.
        sys.stderr.write("colourful \x1b[31mred\x1b[0m and a bell \x07\n")
    body = json.dumps({
        "pid": os.getpid(),
        "worker": os.environ.get("PYHOST_WORKER_ID"),
        "request_id": environ.get("HTTP_X_REQUEST_ID"),
        "trace_id": environ.get("pyhost.trace_id"),
        "span_id": environ.get("pyhost.span_id"),
        "traceparent": environ.get("pyhost.traceparent"),
        "caller_traceparent": environ.get("HTTP_TRACEPARENT"),
    }).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
