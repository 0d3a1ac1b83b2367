"""One HTTP request of an ASGI app (asgiref specs/www.rst "HTTP"): receive() pulls the body from the front on demand,
send() turns the app's messages into response frames within the request's credit."""

from __future__ import annotations

import asyncio
import collections
import html
from typing import Any, Deque, Dict, Iterable, List, Optional

from .asgi import ClientDisconnected
from .asgi_channel import LoopChannel
from .protocol import (
    BODY_ABORTED,
    BODY_END,
    BODY_PULL,
    HEADER,
    RESPONSE_BODY,
    RESPONSE_END,
    RESPONSE_FILE,
    RESPONSE_START,
    RESPONSE_TRAILERS,
    RESPONSE_WINDOW,
)

_pack = HEADER.pack
# A larger chunk goes as several frames, so the front never holds more than this of one request at once.
BODY_FRAME_LIMIT = 1024 * 1024
# Smaller chunks are joined with their frame headers; larger ones are handed to sendmsg() as they are.
COPY_LIMIT = 32 * 1024
# ASGI bodies are pulled in larger pieces than wsgi.input's: each receive() hands a whole piece to the app.
PULL_PAYLOAD = (256 * 1024).to_bytes(4, "little")

_ERROR_PAGE = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>500 Internal Server Error</title></head>'
    "<body><h1>500 Internal Server Error</h1><p>The application raised an error; the server log has the details.</p>"
    "{}</body></html>"
)


class HttpRequest:
    """The state of one request: its body as it arrives, its credit, and how far its response got."""

    __slots__ = (
        "request_id", "scope", "task", "cancelled", "_channel", "_loop", "_body", "_body_end", "_body_done",
        "_pulling", "_receive_waiter", "_send_waiter", "credit", "disconnected", "started", "complete", "ended",
        "_start", "_may_add_length", "_trailers", "_trailers_deliverable", "_head", "site",
    )

    def __init__(self, request_id: int, scope: Dict[str, Any], channel: LoopChannel, loop: asyncio.AbstractEventLoop,
                 no_body: bool, trailers_deliverable: bool) -> None:
        self.request_id = request_id
        self.scope = scope
        self.task: Optional["asyncio.Task[None]"] = None
        self.cancelled = False  # the front cancelled it (--timeout)
        self._channel = channel
        self._loop = loop
        self._body: Deque[bytes] = collections.deque()
        self._body_end = no_body
        self._body_done = False  # the app was told more_body=False
        self._pulling = False
        self._receive_waiter: Optional["asyncio.Future[None]"] = None
        self._send_waiter: Optional["asyncio.Future[None]"] = None
        self.credit = RESPONSE_WINDOW
        self.disconnected = False
        self.started = False  # RESPONSE_START written
        self.complete = False  # the app's last body message (and trailers) came
        self.ended = False  # RESPONSE_END written
        self._start: Optional[bytes] = None  # RESPONSE_START payload, from http.response.start
        self._may_add_length = False
        self._trailers = False  # http.response.start said trailers=True
        self._trailers_deliverable = trailers_deliverable
        self._head = scope.get("method") == "HEAD"
        self.site: Optional[str] = None  # the site whose route chose the app, for log lines

    # ---- Frames from the front (the loop's reader calls these; they never block)

    def body_received(self, flags: int, payload: bytes) -> None:
        if flags & BODY_ABORTED:
            self.abort()
            return
        self._pulling = False
        if payload:
            self._body.append(payload)
        if flags & BODY_END:
            self._body_end = True
        self._wake_receive()

    def add_credit(self, count: int) -> None:
        self.credit += count
        waiter = self._send_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def abort(self) -> None:
        """The client went away: receive() says http.disconnect, send() raises."""
        self.disconnected = True
        self._wake_receive()
        waiter = self._send_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _wake_receive(self) -> None:
        waiter = self._receive_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # ---- receive()

    async def receive(self) -> Dict[str, Any]:
        # www.rst "Disconnect - receive event": once the response is sent or the client is gone, whatever body the
        # app did not read is not offered any more.
        if not self._body_done and not (self.complete or self.disconnected):
            while True:
                body = self._body
                if body:
                    chunk = body.popleft()
                    more = bool(body) or not self._body_end
                    self._body_done = not more
                    return {"type": "http.request", "body": chunk, "more_body": more}
                if self._body_end:
                    self._body_done = True
                    return {"type": "http.request", "body": b"", "more_body": False}
                if self.disconnected:
                    break
                if not self._pulling:  # one pull at a time: what waits here stays bounded
                    self._pulling = True
                    self._channel.write(_pack(4, self.request_id, BODY_PULL, 0, 0) + PULL_PAYLOAD)
                await self._wait_receive()
        # www.rst "Disconnect - receive event": after the response is sent, or once the client is gone.
        while not (self.complete or self.disconnected):
            await self._wait_receive()
        return {"type": "http.disconnect"}

    async def _wait_receive(self) -> None:
        waiter = self._receive_waiter = self._loop.create_future()
        try:
            await waiter
        finally:
            self._receive_waiter = None

    def response_complete(self) -> None:
        self.complete = True
        self._wake_receive()

    # ---- send()

    async def send(self, message: Dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "http.response.body":
            if self._start is None or self.complete:
                raise self._out_of_order(kind)
            if self.disconnected:
                raise ClientDisconnected("the client disconnected")
            body = message.get("body", b"")
            more = message.get("more_body", False)
            # A stream's next small chunk, within credit, without a coroutine of its own: a StreamingResponse sends
            # thousands of these.
            if more and self.started and type(body) is bytes and 0 < len(body) < COPY_LIMIT and len(body) <= self.credit:
                self.credit -= len(body)
                channel = self._channel
                channel.write_body(self.request_id, body)
                if channel.paused:
                    await channel.drain()
                return
            await self._send_body(body, more)
        elif kind == "http.response.start":
            if self._start is not None:
                raise self._out_of_order(kind)
            if self.disconnected:
                raise ClientDisconnected("the client disconnected")
            self._start, self._may_add_length = encode_start(message)
            self._trailers = bool(message.get("trailers", False))
        elif kind == "http.response.trailers":
            if not self._trailers or not self.complete or self.ended:
                raise self._out_of_order(kind)
            if self._trailers_deliverable:
                fields = encode_fields(message.get("headers", ()), "trailer")
                self._channel.write(_pack(len(fields), self.request_id, RESPONSE_TRAILERS, 0, 0) + fields)
            if not message.get("more_trailers", False):
                self.end()
        elif kind == "http.response.pathsend":
            if self._start is None or self.complete:
                raise self._out_of_order(kind)
            if self.disconnected:
                raise ClientDisconnected("the client disconnected")
            path = message["path"]
            if not isinstance(path, str) or not path.startswith("/"):
                raise ValueError(f"http.response.pathsend needs an absolute path, got {path!r}")
            payload = path.encode("utf-8", "surrogateescape")
            self._channel.write(self._take_start(None) + _pack(len(payload), self.request_id, RESPONSE_FILE, 0, 0)
                                + payload)
            self.response_complete()
            self.end()
        else:
            raise RuntimeError(f"Unexpected ASGI message {kind!r} for an HTTP request")

    def _out_of_order(self, kind: str) -> RuntimeError:
        if self.complete:
            return RuntimeError(f"Unexpected ASGI message {kind!r} sent, after the response was completed")
        if self._start is None:
            return RuntimeError(f"Expected ASGI message 'http.response.start', but got {kind!r}")
        return RuntimeError(f"Unexpected ASGI message {kind!r} sent, after the response had started")

    def _take_start(self, whole_body: Optional[bytes]) -> bytes:
        """RESPONSE_START, if it has not gone out; www.rst lets it wait for the first body message, so a body that
        comes whole gets its Content-Length."""
        if self.started:
            return b""
        self.started = True
        start = self._start
        assert start is not None
        if whole_body is not None and self._may_add_length and not self._trailers and not (self._head and not whole_body):
            start += b"\0content-length\0%d" % len(whole_body)
        return _pack(len(start), self.request_id, RESPONSE_START, 0, 0) + start

    async def _send_body(self, body: bytes, more: bool) -> None:
        if type(body) is not bytes:
            body = bytes(body)
        size = len(body)
        last = not more
        channel = self._channel
        if size <= self.credit and size <= BODY_FRAME_LIMIT:
            self.credit -= size
            head = self._take_start(body if last else None)
            if not head and 0 < size < COPY_LIMIT:
                channel.write_body(self.request_id, body)   # may share a frame with the chunks before it
            elif size or (head and not last):
                # An empty body with more_body still goes as a frame when it is the first: the front commits the
                # head only when a frame follows RESPONSE_START (docs/protocol.md), and the app asked for it now.
                frame_header = _pack(size, self.request_id, RESPONSE_BODY, 0, 0)
                if size < COPY_LIMIT:
                    head += frame_header + body
                else:
                    channel.write_parts(head + frame_header, body)
                    head = b""
            if last:
                self.response_complete()
                if not self._trailers:
                    self.ended = True
                    head += _pack(0, self.request_id, RESPONSE_END, 0, 0)
            if head:
                channel.write(head)
        else:
            if not self.started:
                channel.write(self._take_start(body if last else None))
            await self._send_large(body)
            if last:
                self.response_complete()
                if not self._trailers:
                    self.end()
        if channel.paused:
            await channel.drain()

    async def _send_large(self, body: bytes) -> None:
        """A chunk over the credit or the frame limit: as frames that each fit the credit, waiting for more."""
        view = memoryview(body)
        offset = 0
        while offset < len(body):
            while self.credit <= 0:
                if self.disconnected:
                    raise ClientDisconnected("the client disconnected")
                await self._wait_send()
            if self.disconnected:
                raise ClientDisconnected("the client disconnected")
            size = min(len(body) - offset, self.credit, BODY_FRAME_LIMIT)
            self.credit -= size
            self._channel.write_parts(_pack(size, self.request_id, RESPONSE_BODY, 0, 0), view[offset:offset + size])
            offset += size
            if self._channel.paused:
                await self._channel.drain()

    async def _wait_send(self) -> None:
        waiter = self._send_waiter = self._loop.create_future()
        try:
            await waiter
        finally:
            self._send_waiter = None

    # ---- The end

    def end(self, flags: int = 0) -> None:
        """RESPONSE_END, once: the front frees the request's slot."""
        if self.ended:
            return
        self.ended = True
        self.complete = True
        start = self._take_start(None) if self._start is not None else b""
        self._channel.write(start + _pack(0, self.request_id, RESPONSE_END, flags, 0))
        self._wake_receive()

    @property
    def start_given(self) -> bool:
        """The app sent http.response.start (which may not have gone out yet)."""
        return self._start is not None

    def send_error_page(self, details: str) -> None:
        """The worker's own 500 page, for an app that failed before its response started."""
        body = _ERROR_PAGE.format(f"<pre>{html.escape(details)}</pre>" if details else "").encode("utf-8")
        self._start = b"500\0content-type\0text/html; charset=utf-8"
        self._may_add_length = True
        self.started = False
        frames = self._take_start(body) + _pack(len(body), self.request_id, RESPONSE_BODY, 0, 0) + body
        self.ended = self.complete = True
        self._channel.write(frames + _pack(0, self.request_id, RESPONSE_END, 0, 0))
        self._wake_receive()


def encode_fields(headers: Iterable[Any], what: str) -> bytes:
    """Header names and values as the front reads them: NUL-separated bytes."""
    fields: List[bytes] = []
    for header in headers:
        name, value = header
        fields.append(name)
        fields.append(value)
    try:
        payload = b"\0".join(fields)
    except TypeError:
        raise TypeError(f"{what} names and values must be bytes (www.rst), got {_first_not_bytes(fields)!r}") from None
    if payload.count(b"\0") != max(0, len(fields) - 1):  # a NUL inside a field would shift every field after it
        raise ValueError(f"a {what} name or value contains a NUL byte (RFC 9110 §5.5)")
    return payload


def _first_not_bytes(fields: List[Any]) -> Any:
    return next((field for field in fields if not isinstance(field, (bytes, bytearray))), None)


def encode_start(message: Dict[str, Any]) -> "tuple[bytes, bool]":
    """The RESPONSE_START payload of http.response.start, and whether a Content-Length may be added to it. The front
    validates names and values (tokens, no CR or LF, no hop-by-hop fields); Transfer-Encoding is the server's own
    (www.rst: the server must ignore it)."""
    status = message["status"]
    if type(status) is not int or not 100 <= status <= 999:
        raise ValueError(f"http.response.start status must be an int HTTP status, got {status!r}")
    fields = [b"%d" % status]
    may_add_length = status >= 200 and status != 204 and status != 304
    try:
        for name, value in message.get("headers", ()):
            lowered = name.lower()
            if lowered == b"content-length":
                may_add_length = False
            elif lowered == b"transfer-encoding" or lowered == b"trailer":
                continue  # the server's framing (www.rst); HTTP/2 trailers need no announcement
            fields.append(name)
            fields.append(value)
        payload = b"\0".join(fields)
    except (TypeError, AttributeError):
        raise TypeError(f"header names and values must be bytes (www.rst), got {_first_not_bytes(fields)!r} "
                        f"in {message.get('headers')!r}") from None
    if payload.count(b"\0") != len(fields) - 1:  # a NUL inside a field would shift every field after it
        raise ValueError("a header name or value contains a NUL byte (RFC 9110 §5.5)")
    return payload, may_add_length

