"""The WSGI side of one request (PEP 3333): the environ's wsgi.* keys, start_response, and the response frames."""

from __future__ import annotations

import html
import sys
import traceback
from types import TracebackType
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Type

from .protocol import APP_ERROR, HEADER, RESPONSE_BODY, RESPONSE_END, RESPONSE_START, RESPONSE_WINDOW
from .wsgi_input import ClientDisconnected

ExcInfo = Tuple[Type[BaseException], BaseException, Optional[TracebackType]]
WsgiApp = Callable[[Dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_pack = HEADER.pack
_SEQUENCES = (list, tuple)
# Smaller body chunks are joined with their frame headers into one write; bigger ones go out by sendmsg, uncopied.
COPY_LIMIT = 32 * 1024
# The front reads a frame whole before it forwards it: a larger chunk from the app is sent as several frames, so
# what the front buffers per worker stays small whatever the app yields (docs/protocol.md, MAX_PAYLOAD is 16 MiB).
BODY_FRAME_LIMIT = 1024 * 1024

_ERROR_PAGE = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>500 Internal Server Error</title></head>'
    "<body><h1>500 Internal Server Error</h1><p>The application raised an error; the server log has the details.</p>"
    "{}</body></html>"
)


class ErrorStream:
    """wsgi.errors: text to the worker's stderr, which the front logs line by line. Looks sys.stderr up on each
    call, so an app that redirects stderr redirects this too."""

    __slots__ = ()

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def writelines(self, lines: Iterable[str]) -> None:
        sys.stderr.writelines(lines)

    def flush(self) -> None:
        sys.stderr.flush()


class FileWrapper:
    """wsgi.file_wrapper (PEP 3333 "Optional Platform-Specific File Handling")."""

    def __init__(self, filelike: Any, block_size: int = 65536) -> None:
        self.filelike = filelike
        self.block_size = block_size
        if hasattr(filelike, "close"):
            self.close = filelike.close  # the server calls close() on the iterable, which closes the file

    def __iter__(self) -> "FileWrapper":
        return self

    def __next__(self) -> bytes:
        data = self.filelike.read(self.block_size)
        if data:
            return data
        raise StopIteration


def wsgi_keys(multiprocess: bool, multithread: bool = False) -> Dict[str, Any]:
    """The wsgi.* environ keys that are the same for every request; wsgi.input is added per request."""
    return {
        "wsgi.version": (1, 0),
        "wsgi.errors": ErrorStream(),
        "wsgi.multithread": multithread,
        "wsgi.multiprocess": multiprocess,
        "wsgi.run_once": False,
        "wsgi.file_wrapper": FileWrapper,
        # The front ends every body (chunked uploads too), so reading to EOF is safe.
        "wsgi.input_terminated": True,
    }


# Most apps answer with a handful of distinct status/header blocks: encode each once. Bounded: cleared when full,
# so headers that vary per request (Set-Cookie, ETag) cost a dict insert and nothing more.
_START_CACHE: Dict[Any, Tuple[bytes, bool]] = {}
_START_CACHE_SIZE = 256


def encode_start(status: str, headers: List[Tuple[str, str]]) -> Tuple[bytes, bool]:
    """The RESPONSE_START payload, and whether the worker may add a Content-Length to it.

    Raises at start_response() time, while the app can still handle it (PEP 3333 "Error Handling").
    CR, LF and hop-by-hop fields are the front's to check."""
    try:
        key: Any = (status, *headers)
        cached = _START_CACHE.get(key)
    except TypeError:  # an unhashable header (a list, say): the validating path below reports it
        key = cached = None
    if cached is not None:
        return cached
    encoded = _encode_start(status, headers)
    if key is not None:
        if len(_START_CACHE) >= _START_CACHE_SIZE:
            _START_CACHE.clear()
        _START_CACHE[key] = encoded
    return encoded


def _encode_start(status: str, headers: List[Tuple[str, str]]) -> Tuple[bytes, bool]:
    if not isinstance(status, str):
        raise TypeError(f"status must be a str, not {type(status).__name__} (PEP 3333)")
    if len(status) < 4 or status[3] != " " or not status[:3].isdigit():
        raise ValueError(f"status must look like '200 OK', got {status!r} (PEP 3333)")
    if not isinstance(headers, list):
        raise TypeError(f"headers must be a list of (name, value) tuples, not {type(headers).__name__} (PEP 3333)")
    # RFC 9110 §8.6: no Content-Length on 1xx and 204; on 304 it would have to be the GET's length.
    may_add_length = status[0] != "1" and status[:3] != "204" and status[:3] != "304"
    fields = [status]
    for header in headers:
        if not isinstance(header, tuple) or len(header) != 2:
            raise TypeError(f"each header must be a (name, value) tuple, got {header!r} (PEP 3333)")
        name, value = header
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError(f"header names and values must be str, got {header!r} (PEP 3333)")
        if may_add_length and len(name) == 14 and name.lower() == "content-length":
            may_add_length = False
        fields += header
    text = "\0".join(fields)
    if text.count("\0") != 2 * len(headers):  # a NUL inside a field would shift every field after it
        raise ValueError(f"NUL character in {_field_with_nul(status, headers)} (RFC 9110 §5.5)")
    return text.encode("latin-1"), may_add_length  # PEP 3333 "Unicode Issues": headers are latin-1


def _field_with_nul(status: str, headers: List[Tuple[str, str]]) -> str:
    if "\0" in status:
        return f"the status {status!r}"
    for name, value in headers:
        if "\0" in name or "\0" in value:
            return f"header {name!r}"
    return "a header"


def _as_bytes(chunk: object) -> bytes:
    if isinstance(chunk, (bytearray, memoryview)):
        return bytes(chunk)
    raise TypeError(f"response body chunks must be bytes, not {type(chunk).__name__} (PEP 3333 \"Unicode Issues\")")


class ResponseCredit:
    """How many more body bytes the front takes for the running request (docs/protocol.md "Flow control"). The
    front grants credit as it accepts the bytes, so a worker never buffers for a slow client, and never blocks the
    front's reading of other requests' frames."""

    __slots__ = ("available", "_wait")

    def __init__(self, wait: Callable[[], None]) -> None:
        self.available = RESPONSE_WINDOW
        self._wait = wait  # handles the next frame from the front; raises ClientDisconnected if the client left

    def take(self, wanted: int) -> int:
        """Up to wanted bytes of credit, at least one; waits for a CREDIT frame when none is left."""
        while self.available <= 0:
            self._wait()
        taken = min(wanted, self.available)
        self.available -= taken
        return taken


class Response:
    """One request's response: start_response() and write() for the app, frames for the front.

    The headers go out with the first non-empty body chunk, or at the end (PEP 3333 "Buffering and Streaming"),
    so until then an app may still replace them by calling start_response() with exc_info."""

    __slots__ = ("_request_id", "_send", "_send_parts", "_send_body", "_credit", "_start", "_may_add_length", "started")

    def __init__(
        self,
        request_id: int,
        send: Callable[[bytes], None],
        send_parts: Callable[[List[bytes]], None],
        send_body: Callable[..., None],
        credit: ResponseCredit,
    ):
        self._request_id = request_id
        self._send = send
        self._send_parts = send_parts
        self._send_body = send_body  # Channel.send_body: a small chunk, maybe gathered with a burst
        self._credit = credit
        self._start: Optional[bytes] = None  # RESPONSE_START payload, once start_response() ran
        self._may_add_length = False
        self.started = False  # RESPONSE_START sent: the headers are final

    def start_response(
        self, status: str, headers: List[Tuple[str, str]], exc_info: Optional[ExcInfo] = None
    ) -> Callable[[bytes], None]:
        if exc_info is not None:
            try:
                if self.started:
                    # PEP 3333: too late to replace the headers; re-raise so the server ends the response.
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None  # PEP 3333: avoid a frame <-> traceback reference cycle
        elif self._start is not None:
            raise AssertionError("start_response() called twice without exc_info (PEP 3333)")
        self._start, self._may_add_length = encode_start(status, headers)
        return self.write

    def write(self, data: bytes) -> None:
        """PEP 3333 "The write() Callable": sent at once, headers first if they have not gone out yet."""
        if type(data) is not bytes:
            data = _as_bytes(data)
        if self._start is None:
            raise AssertionError("write() called before start_response() (PEP 3333)")
        if data:
            self.send_chunk(data)

    def send_chunk(self, chunk: bytes) -> None:
        """One non-empty body chunk as one write, or as several frames when it is larger than the credit left."""
        if type(chunk) is not bytes:
            chunk = _as_bytes(chunk)
        credit = self._credit
        if len(chunk) > credit.available or len(chunk) > BODY_FRAME_LIMIT:
            self._send_large(chunk)
            return
        credit.available -= len(chunk)
        if len(chunk) < COPY_LIMIT:
            if self.started:
                self._send_body(self._request_id, chunk)
            else:
                self._send_body(self._request_id, chunk, self._start_frame())
                self.started = True
            return
        parts = [_pack(len(chunk), self._request_id, RESPONSE_BODY, 0, 0), chunk]
        if not self.started:
            parts.insert(0, self._start_frame())
            self.started = True
        self._send_parts(parts)

    def _send_large(self, chunk: bytes) -> None:
        """A chunk over the frame limit or the credit goes out as several frames, sliced without copying, each
        within the credit the front has granted."""
        view = memoryview(chunk)
        offset = 0
        while offset < len(chunk):
            size = self._credit.take(min(len(chunk) - offset, BODY_FRAME_LIMIT))
            piece = view[offset:offset + size]
            offset += size
            parts = [_pack(len(piece), self._request_id, RESPONSE_BODY, 0, 0), piece]
            if not self.started:
                parts.insert(0, self._start_frame())
                self.started = True
            self._send_parts(parts)

    def send_whole(self, body: bytes, may_add_length: bool) -> None:
        """A body of at most one chunk: headers, body and end in one write."""
        if type(body) is not bytes:
            body = _as_bytes(body)
        if len(body) > BODY_FRAME_LIMIT or len(body) > self._credit.available:
            if may_add_length and self._may_add_length and not self.started:
                self._start += b"\0Content-Length\0%d" % len(body)  # type: ignore[operator]
            if self._start is None:
                raise AssertionError("the application returned without calling start_response() (PEP 3333)")
            self._send_large(body)
            self.finish()
            return
        request_id = self._request_id
        self._credit.available -= len(body)
        parts = [_pack(len(body), request_id, RESPONSE_BODY, 0, 0), body] if body else []
        parts.append(_pack(0, request_id, RESPONSE_END, 0, 0))
        if not self.started:
            start = self._start
            if start is None:
                raise AssertionError("the application returned without calling start_response() (PEP 3333)")
            if may_add_length and self._may_add_length:
                # PEP 3333 "Handling the Content-Length Header": one chunk, so its length is the body's.
                start += b"\0Content-Length\0%d" % len(body)
            parts[:0] = (_pack(len(start), request_id, RESPONSE_START, 0, 0), start)
            self.started = True
        if len(body) < COPY_LIMIT:
            self._send(b"".join(parts))
        else:
            self._send_parts(parts)

    def finish(self) -> None:
        """The end of a streamed body; an empty one still needs its headers (PEP 3333 "Buffering and Streaming")."""
        end = _pack(0, self._request_id, RESPONSE_END, 0, 0)
        if self.started:
            self._send(end)
        else:
            start_frame = self._start_frame()
            self.started = True
            self._send(start_frame + end)

    def end(self, flags: int = 0) -> None:
        """Only the end frame: after an app error once the headers went out, or when the client is gone."""
        self.started = True
        self._send(_pack(0, self._request_id, RESPONSE_END, flags, 0))

    def send_error_page(self, details: str) -> None:
        """The worker's own 500 response, in place of whatever the app started but did not send."""
        body = _ERROR_PAGE.format(f"<pre>{html.escape(details)}</pre>" if details else "").encode("utf-8")
        self._start = b"500 Internal Server Error\0Content-Type\0text/html; charset=utf-8"
        self._may_add_length = True
        self.send_whole(body, True)

    def _start_frame(self) -> bytes:
        start = self._start
        if start is None:
            raise AssertionError("the application produced a body before calling start_response() (PEP 3333)")
        return _pack(len(start), self._request_id, RESPONSE_START, 0, 0) + start


def _request_line(environ: Dict[str, Any]) -> str:
    uri = environ.get("REQUEST_URI")
    if not uri:
        uri = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        if environ.get("QUERY_STRING"):
            uri += "?" + environ["QUERY_STRING"]
    line = f"{environ.get('REQUEST_METHOD', '-')} {uri}"
    site = environ.get("pyhost.site")
    # Several sites may share an app: the front names the one whose route chose it ("default" is a command line's
    # one site, not worth a word).
    return f"{line} (site {site})" if site and site != "default" else line


def _close_iterable(result: Any, environ: Dict[str, Any]) -> None:
    """PEP 3333: the iterable's close() is called however the request ended. What it raises is logged with its
    traceback and goes no further: the response it belongs to is already complete, or already failing."""
    close = getattr(result, "close", None)
    if close is None:
        return
    try:
        close()
    except Exception:
        sys.stderr.write(f"Error closing the response of {_request_line(environ)}\n{traceback.format_exc()}")


def run_app(
    app: WsgiApp, environ: Dict[str, Any], response: Response, client_gone: Callable[[], bool], debug: bool
) -> None:
    """Call the app for one request and send its response; its iterable is always closed (PEP 3333)."""
    result: Any = None
    try:
        result = app(environ, response.start_response)
        if type(result) in _SEQUENCES and len(result) < 2:
            body = result[0] if result else b""
            # RFC 9110 §8.6: a HEAD response's length must be the GET's, which an empty stand-in body is not.
            response.send_whole(body, bool(body) or environ.get("REQUEST_METHOD") != "HEAD")
            return
        if result is None or isinstance(result, (str, bytes)):
            raise TypeError(f"the application must return an iterable of bytes, not {type(result).__name__}")
        try:
            send_chunk = response.send_chunk
            for chunk in result:
                if chunk:
                    send_chunk(chunk)
                    if client_gone():  # stop producing for a client that left
                        break
            # The client gets the whole response before close() runs: an error in close() is the app's cleanup
            # failing, not the response (gunicorn too writes the last chunk first and only logs what close() raises).
            response.finish()
        except BaseException:
            _close_iterable(result, environ)
            raise
        _close_iterable(result, environ)
    except ClientDisconnected:
        response.end()
    except Exception:
        details = traceback.format_exc()
        sys.stderr.write(f"Error handling request {_request_line(environ)}\n{details}")
        if response.started:
            response.end(APP_ERROR)
        else:
            response.send_error_page(details if debug else "")
