"""Responses for the compression tests: bodies of a chosen size and type, bodies the app encoded itself, and a
server-sent-events stream that yields its next event only once the test says it has read the previous one."""

import gzip
import os
import time
from urllib.parse import parse_qs

WORDS = b"<p>PyHost compresses this paragraph, which repeats like real HTML does.</p>\n"


def body_of(size):
    return (WORDS * (size // len(WORDS) + 1))[:size]


def application(environ, start_response):
    path = environ["PATH_INFO"]
    query = {k: v[0] for k, v in parse_qs(environ["QUERY_STRING"]).items()}
    if path == "/page":
        body = body_of(int(query.get("size", "4000")))
        headers = [("Content-Type", query.get("type", "text/html; charset=utf-8")), ("Content-Length", str(len(body)))]
        if "etag" in query:
            headers.append(("ETag", '"%s"' % query["etag"]))
        if "cache" in query:
            headers.append(("Cache-Control", query["cache"]))
        if "vary" in query:
            headers.append(("Vary", query["vary"]))
        start_response("200 OK", headers)
        return [body]
    if path == "/unsized":
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"part": %d, "padding": "%s"}\n' % (i, b"x" * 200) for i in range(20)]
    if path == "/encoded":
        body = gzip.compress(body_of(4000))
        start_response("200 OK", [("Content-Type", "text/html"), ("Content-Encoding", "gzip"), ("Content-Length", str(len(body)))])
        return [body]
    if path == "/not-modified":
        start_response("304 Not Modified", [("ETag", '"v1"')])
        return [b""]
    if path == "/slow":
        time.sleep(5)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"too late"]
    if path == "/events":
        return events(os.environ["EVENTS_DIR"], query["id"], start_response)
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"no such page"]


def events(directory, stream_id, start_response):
    """Event n+1 is yielded only once the file go-ID-n exists: the test creates it after decoding event n. A server
    that held event n back in its compressor would never see the file, and the test would time out."""
    start_response("200 OK", [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")])

    def stream():
        for n in range(3):
            yield b"id: %d\ndata: event %d of the stream\n\n" % (n, n)
            marker = os.path.join(directory, "go-%s-%d" % (stream_id, n))
            deadline = time.monotonic() + 20
            while not os.path.exists(marker) and time.monotonic() < deadline:
                time.sleep(0.01)
        yield b"data: done\n\n"

    return stream()
