"""The mixed-latency scenario's app: hello world, and at /slow?ms=N the same answer after N milliseconds of waiting
(as for a slow database or API call: the worker is held, the CPU is not)."""

import time
from urllib.parse import parse_qs

from hello import BODY

HEADERS = [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))]


def app(environ, start_response):
    if environ.get("PATH_INFO") == "/slow":
        ms = int(parse_qs(environ.get("QUERY_STRING", "")).get("ms", ["50"])[0])
        time.sleep(ms / 1000)
    start_response("200 OK", HEADERS)
    return [BODY]
