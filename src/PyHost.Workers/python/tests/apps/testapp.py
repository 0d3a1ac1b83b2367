"""WSGI apps the worker tests run; PATH_INFO picks the behaviour."""

import hashlib
import sys
import time

TEXT = [("Content-Type", "text/plain")]


def _digest(data):
    return f"{len(data)} {hashlib.sha256(data).hexdigest()}".encode()


def _read_body(environ):
    body = environ["wsgi.input"]
    mode = environ["QUERY_STRING"]
    if mode == "read":
        return body.read()
    if mode == "read-sized":
        parts = []
        while True:
            part = body.read(7000)
            if not part:
                return b"".join(parts)
            parts.append(part)
    if mode == "readline":
        lines = []
        while True:
            line = body.readline()
            if not line:
                return b"".join(lines)
            lines.append(line)
    if mode == "readline-sized":
        return b"".join(iter(lambda: body.readline(5), b""))
    if mode == "readlines":
        return b"".join(body.readlines())
    if mode == "iter":
        return b"".join(body)
    raise ValueError(mode)


def _forever():
    try:
        while True:
            yield b"tick\n"
            time.sleep(0.01)
    finally:
        print("closed: forever", file=sys.stderr)


def _slow():
    for number in range(5):
        time.sleep(0.05)
        yield b"slow %d\n" % number


def _stream():
    yield b"one"
    yield b""
    yield b"two"
    yield b"three"


def _fails_late():
    try:
        yield b"partial"
        raise RuntimeError("late failure")
    finally:
        print("closed: fails-late", file=sys.stderr)


def _exc_info_late(start_response):
    yield b"partial"
    try:
        raise ValueError("too late")
    except ValueError:
        start_response("500 Internal Server Error", TEXT, sys.exc_info())


class ClosingList(list):
    """A list subclass: not the one-chunk fast path, and it has close()."""

    def close(self):
        print("closed: closing-list", file=sys.stderr)


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/hello":
        start_response("200 OK", TEXT)
        return [b"Hello, world!"]
    if path == "/empty":
        start_response("200 OK", TEXT)
        return []
    if path == "/no-content":
        start_response("204 No Content", [])
        return []
    if path == "/own-length":
        start_response("200 OK", TEXT + [("content-length", "5")])
        return [b"abcde"]
    if path == "/stream":
        start_response("200 OK", TEXT)
        return _stream()
    if path == "/empty-stream":
        start_response("200 OK", TEXT)
        return iter([])
    if path == "/closing-list":
        start_response("200 OK", TEXT)
        return ClosingList([b"a", b"b"])
    if path == "/forever":
        start_response("200 OK", TEXT)
        return _forever()
    if path == "/slow":
        start_response("200 OK", TEXT)
        return _slow()
    if path == "/body":
        data = _read_body(environ)
        start_response("200 OK", TEXT)
        return [_digest(data)]
    if path == "/read-some":
        data = environ["wsgi.input"].read(10)
        start_response("200 OK", TEXT)
        return [data]
    if path == "/read-until-gone":
        try:
            environ["wsgi.input"].read()
        except OSError as error:
            print(f"read failed: {error}", file=sys.stderr)
            raise
        start_response("200 OK", TEXT)
        return [b"unreachable"]
    if path == "/exc-info":
        start_response("200 OK", TEXT)
        try:
            raise ValueError("replace the headers")
        except ValueError:
            start_response("503 Service Unavailable", TEXT + [("X-Replaced", "yes")], sys.exc_info())
        return [b"replaced"]
    if path == "/exc-info-late":
        start_response("200 OK", TEXT)
        return _exc_info_late(start_response)
    if path == "/twice":
        start_response("200 OK", TEXT)
        start_response("200 OK", TEXT)
        return [b"unreachable"]
    if path == "/boom":
        raise RuntimeError("boom <script>")
    if path == "/fails-late":
        start_response("200 OK", TEXT)
        return _fails_late()
    if path == "/no-start":
        return [b"body without start_response"]
    if path == "/str-body":
        start_response("200 OK", TEXT)
        return ["text, not bytes"]
    if path == "/latin1-header":
        start_response("200 OK", TEXT + [("X-Name", "\u20ac")])
        return [b"unreachable"]
    if path == "/nul-header":
        start_response("200 OK", TEXT + [("X-Name", "a\0b")])
        return [b"unreachable"]
    if path == "/list-header":
        start_response("200 OK", [["Content-Type", "text/plain"]])
        return [b"unreachable"]
    if path == "/write":
        write = start_response("200 OK", TEXT)
        write(b"a")
        write(b"")
        write(b"b")
        return [b"c"]
    if path == "/file":
        start_response("200 OK", TEXT)
        return environ["wsgi.file_wrapper"](open(__file__, "rb"), 1000)
    if path == "/environ":
        start_response("200 OK", TEXT)
        keys = ["wsgi.version", "wsgi.url_scheme", "wsgi.multithread", "wsgi.multiprocess", "wsgi.run_once",
                "wsgi.input_terminated", "PATH_INFO", "QUERY_STRING"]
        return [repr({key: environ[key] for key in keys}).encode()]
    if path == "/errors":
        errors = environ["wsgi.errors"]
        errors.write("to wsgi.errors\n")
        errors.writelines(["line one\n", "line two\n"])
        errors.flush()
        start_response("200 OK", TEXT)
        return [b"ok"]
    if path == "/print":
        print("printed by the app")  # no flush: the worker makes stdout line-buffered
        start_response("200 OK", TEXT)
        return [b"ok"]
    if path == "/huge":  # one chunk over the 1 MiB frame limit
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return [bytes(range(256)) * (3_500_000 // 256)]
    if path == "/huge-stream":
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return iter([b"head", b"y" * 2_500_000, b"tail"])
    if path == "/big":
        start_response("200 OK", TEXT)
        return [b"x" * 1_000_000]
    if path == "/leak":  # keeps 8 MiB per request alive, for --max-worker-memory
        _LEAKED.append(bytearray(8 * 1024 * 1024))
        start_response("200 OK", TEXT)
        return [b"leaked %d" % len(_LEAKED)]
    if path == "/sleep":
        time.sleep(float(environ.get("QUERY_STRING") or "0.2"))
        start_response("200 OK", TEXT)
        return [b"slept"]
    start_response("404 Not Found", TEXT)
    return [b"not found"]


_LEAKED = []
app = application
