"""WSGI apps for PyHost's end-to-end tests: one small app per PEP 3333 point, routed by PATH_INFO prefix.

Every app is wrapped in wsgiref.validate.validator and warnings are errors, so a server that breaks PEP 3333 makes
the validator raise, the request answer 500, and the test fail. The apps under /unchecked/ break the rules on purpose
(a CR in a header, read() without a size): the validator would stop them inside the worker, before the server under
test ever saw what it has to reject.

Apps that record something across processes (close() calls) write into $PYHOST_TEST_DIR, given with `-e`.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import resource
import struct
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import parse_qs
from wsgiref import validate

warnings.simplefilter("error")

Environ = dict[str, Any]
StartResponse = Callable[..., Callable[[bytes], None]]
App = Callable[[Environ, StartResponse], Iterable[bytes]]

TEXT = [("Content-Type", "text/plain; charset=utf-8")]
JSON = [("Content-Type", "application/json")]


def query(environ: Environ) -> dict[str, str]:
    parsed = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    return {name: values[-1] for name, values in parsed.items()}


def json_body(value: object) -> bytes:
    # ensure_ascii: the latin-1 code points of a native string cross the wire as \u escapes, never as raw bytes.
    return json.dumps(value, ensure_ascii=True).encode("ascii")


def echo(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """The environ, every value JSON can carry (wsgi.input and wsgi.errors are objects and left out)."""
    visible = {key: value for key, value in environ.items() if isinstance(value, (str, bool, int, tuple))}
    start_response("200 OK", JSON)
    return [json_body({"environ": visible, "pid": os.getpid(), "test_dir": os.environ.get("PYHOST_TEST_DIR")})]


def echo_body(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """The request body, read in pieces of at most 8 KiB up to CONTENT_LENGTH."""
    remaining = int(environ.get("CONTENT_LENGTH") or 0)
    pieces = []
    while remaining > 0:
        piece = environ["wsgi.input"].read(min(remaining, 8192))
        if not piece:
            break
        pieces.append(piece)
        remaining -= len(piece)
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return [b"".join(pieces)]


def stream(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """Three chunks, 300 ms apart: a server that buffers the response delivers them together."""
    start_response("200 OK", TEXT)
    yield b"first chunk\n"
    time.sleep(0.3)
    yield b"second chunk\n"
    time.sleep(0.3)
    yield b"third chunk\n"


def generator(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    start_response("200 OK", TEXT)
    yield b"one "
    yield b"two"


def upload(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """Hashes the body in 64 KiB reads and reports this worker's peak RSS, to show the body was streamed."""
    digest = hashlib.sha256()
    length = 0
    while chunk := environ["wsgi.input"].read(65536):
        digest.update(chunk)
        length += len(chunk)
    start_response("200 OK", JSON)
    return [json_body({
        "sha256": digest.hexdigest(),
        "length": length,
        "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "has_content_length": "CONTENT_LENGTH" in environ,
        "content_length": int(environ.get("CONTENT_LENGTH") or -1),
        "input_terminated": environ.get("wsgi.input_terminated", False),
    })]


def wsgi_input(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """Reads the body with the wsgi.input method named by ?op= and returns the pieces it got, in order."""
    body = environ["wsgi.input"]
    op = query(environ)["op"]
    pieces: list[bytes]
    if op == "read":
        pieces = [body.read(), body.read(), body.read(10)]
    elif op == "read-n":
        pieces = [body.read(5), body.read(5), body.read(1 << 20), body.read(10)]
    elif op == "readline":
        pieces = list(iter(body.readline, b""))
    elif op == "readline-n":
        pieces = list(iter(lambda: body.readline(4), b""))
    elif op == "readlines":
        pieces = body.readlines()
    elif op == "iter":
        pieces = list(body)
    else:
        raise ValueError(f"unknown op {op!r}")
    start_response("200 OK", JSON)
    return [json_body({"pieces": [piece.decode("latin-1") for piece in pieces]})]


def write(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """The legacy write() callable, then a returned body: PEP 3333 says the writes come first."""
    write_body = start_response("200 OK", TEXT)
    write_body(b"first;")
    write_body(b"second;")
    return [b"third"]


class RecordsClose:
    """An iterable whose close() appends its tag to $PYHOST_TEST_DIR/closed.log (workers are separate processes)."""

    def __init__(self, chunks: Iterator[bytes], tag: str) -> None:
        self.chunks = chunks
        self.tag = tag

    def __iter__(self) -> Iterator[bytes]:
        return self.chunks

    def close(self) -> None:
        with open(os.path.join(os.environ["PYHOST_TEST_DIR"], "closed.log"), "a", encoding="utf-8") as log:
            log.write(self.tag + "\n")


def close_ok(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    start_response("200 OK", TEXT)
    return RecordsClose(iter([b"all ", b"good"]), query(environ)["tag"])


def close_error(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    def chunks() -> Iterator[bytes]:
        yield b"before the error\n"
        raise RuntimeError("deliberate failure while iterating")

    start_response("200 OK", TEXT)
    return RecordsClose(chunks(), query(environ)["tag"])


class RaisesInClose(RecordsClose):
    """Records the close() call, then fails in it, as an app's cleanup (a database, a temporary file) can."""

    def close(self) -> None:
        super().close()
        raise OSError("cleanup failed in close()")


def close_raises(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    start_response("200 OK", TEXT)
    return RaisesInClose(iter([b"complete ", b"response"]), query(environ)["tag"])


def close_endless(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    def ticks() -> Iterator[bytes]:
        # Endless for the client; bounded so a server that never stops it cannot keep a worker busy forever.
        for tick in range(600):
            yield b"tick %d\n" % tick
            time.sleep(0.05)

    start_response("200 OK", TEXT)
    return RecordsClose(ticks(), query(environ)["tag"])


def exc_info_before_body(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """PEP 3333: start_response may be called again with exc_info while no body has been sent."""
    start_response("200 OK", TEXT)
    try:
        raise ValueError("failed after start_response, before the body")
    except ValueError:
        start_response("500 Internal Server Error", TEXT, sys.exc_info())
    return [b"replacement body"]


def exc_info_after_body(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """PEP 3333: once the body started, start_response(..., exc_info) re-raises, and the response must be aborted."""
    start_response("200 OK", TEXT)
    yield b"partial body\n"
    try:
        raise ValueError("failed after the body started")
    except ValueError:
        start_response("500 Internal Server Error", TEXT, sys.exc_info())
    yield b"never sent\n"


def error(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    raise RuntimeError("deliberate failure " + query(environ).get("marker", ""))


def one_element_list(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    start_response("200 OK", TEXT)
    return [b"hello from a one-element list\n"]


def declared_length_short(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    start_response("200 OK", TEXT + [("Content-Length", "100")])
    return [b"0123456789"]


def declared_length_long(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    start_response("200 OK", TEXT + [("Content-Length", "10")])
    return [b"0123456789" + b"X" * 90]


def header(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """Answers with the one extra header given by ?name=&value=, URL-safe base64 so that a logged request line cannot
    pass for the front logging the header it refused."""
    args = query(environ)
    name, value = (base64.urlsafe_b64decode(args[key]).decode("latin-1") for key in ("name", "value"))
    start_response("200 OK", TEXT + [(name, value)])
    return [b"the header went through\n"]


def print_lines(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """Writes to fd 1 and fd 2 what an app might: text, binary junk, a fake worker frame, a line without newline."""
    n = query(environ)["n"]
    print(f"app-stdout-{n}", flush=True)
    print(f"app-stderr-{n}", file=sys.stderr, flush=True)
    os.write(1, b"\x00\x01\x02\xff\xfe junk \x1b[31m red \x0c\r\n")
    os.write(1, struct.pack("<IIBBH", 6, 1, 20, 0, 0) + b"frame!\n")
    print(f"no-newline-{n}", end="", flush=True)
    start_response("200 OK", TEXT)
    return [f"printed {n}".encode()]


def file(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    path = os.path.join(os.environ["PYHOST_TEST_DIR"], os.path.basename(query(environ)["name"]))
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return environ["wsgi.file_wrapper"](open(path, "rb"), 65536)


def crash(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    os._exit(1)


def sleep(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    print(f"sleep started in {os.getpid()}", flush=True)
    time.sleep(float(query(environ)["seconds"]))
    start_response("200 OK", JSON)
    return [json_body({"pid": os.getpid()})]


def checked_keeping_list(app: App) -> App:
    """The validator's checks, without its IteratorWrapper: that wrapper hides len(), and a server may only compute
    a Content-Length for a body it can see is a one-element list."""

    def checked(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        validate.check_environ(environ)

        def checked_start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            validate.check_status(status)
            validate.check_headers(headers)
            validate.check_content_type(status, headers)
            validate.check_exc_info(exc_info)
            return start_response(status, headers, exc_info)

        result = app(environ, checked_start_response)
        validate.check_iterator(result)
        return result

    return checked


def not_found(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    start_response("404 Not Found", TEXT)
    return [b"no test app at this path\n"]


ROUTES: list[tuple[str, App]] = [
    ("/echo-body", validate.validator(echo_body)),
    ("/echo", validate.validator(echo)),
    ("/stream", validate.validator(stream)),
    ("/generator", validate.validator(generator)),
    ("/list", checked_keeping_list(one_element_list)),
    ("/upload", validate.validator(upload)),
    ("/input", validate.validator(wsgi_input)),
    ("/write", validate.validator(write)),
    ("/close/ok", validate.validator(close_ok)),
    ("/close/error", validate.validator(close_error)),
    ("/close/endless", validate.validator(close_endless)),
    ("/close/raises", validate.validator(close_raises)),
    ("/exc-info/before-body", validate.validator(exc_info_before_body)),
    ("/exc-info/after-body", validate.validator(exc_info_after_body)),
    ("/error", validate.validator(error)),
    ("/declared-length/short", validate.validator(declared_length_short)),
    ("/declared-length/long", validate.validator(declared_length_long)),
    ("/header", validate.validator(header)),
    ("/print", validate.validator(print_lines)),
    ("/file", validate.validator(file)),
    ("/crash", validate.validator(crash)),
    ("/sleep", validate.validator(sleep)),
    # Rule breakers, see the module docstring.
    ("/unchecked/header", header),
    ("/unchecked/input", wsgi_input),
]


def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    for prefix, routed in ROUTES:
        if path == prefix or path.startswith(prefix + "/"):
            return routed(environ, start_response)
    return validate.validator(not_found)(environ, start_response)
