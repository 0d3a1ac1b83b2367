"""One WebSocket of an ASGI app (asgiref specs/www.rst "WebSocket"). The front does the handshake once the app
accepts, and fragmentation, ping/pong, compression and the size limit; here messages arrive whole in receive() and
leave through send() within the socket's credit, like a response body."""

from __future__ import annotations

import asyncio
import collections
import struct
from typing import Any, Deque, Dict, List, Optional, Tuple

from .asgi import ClientDisconnected
from .asgi_channel import LoopChannel
from .asgi_http import BODY_FRAME_LIMIT, encode_fields, encode_start
from .protocol import (
    HEADER,
    MESSAGE_MORE,
    MESSAGE_TEXT,
    RESPONSE_BODY,
    RESPONSE_END,
    RESPONSE_START,
    RESPONSE_WINDOW,
    WEBSOCKET_WINDOW,
    WS_ACCEPT,
    WS_CLOSE,
    WS_CREDIT,
    WS_SEND,
)

_pack = HEADER.pack
_CODE = struct.Struct("<H")

CONNECTING, OPEN, CLOSING, REFUSED = "connecting", "open", "closing", "refused"


class WebSocketConnection:
    """The state of one WebSocket: its handshake, the messages the app has not taken, and its credit both ways."""

    __slots__ = (
        "request_id", "scope", "task", "cancelled", "_channel", "_loop", "state", "_connect_delivered", "_messages",
        "_pieces", "_pieces_text", "_consumed", "_receive_waiter", "_send_waiter", "credit", "disconnected",
        "close_code", "close_reason", "ended", "_response_started", "site",
    )

    def __init__(self, request_id: int, scope: Dict[str, Any], channel: LoopChannel,
                 loop: asyncio.AbstractEventLoop) -> None:
        self.request_id = request_id
        self.scope = scope
        self.site: Optional[str] = None  # the site whose route chose the app, for log lines
        self.task: Optional["asyncio.Task[None]"] = None
        self.cancelled = False
        self._channel = channel
        self._loop = loop
        self.state = CONNECTING
        self._connect_delivered = False
        self._messages: Deque[Tuple[int, Dict[str, Any]]] = collections.deque()  # (size in bytes, message)
        self._pieces: List[bytes] = []  # a message still arriving in pieces
        self._pieces_text = False
        self._consumed = 0  # message bytes the app took and the front was not told of
        self._receive_waiter: Optional["asyncio.Future[None]"] = None
        self._send_waiter: Optional["asyncio.Future[None]"] = None
        self.credit = RESPONSE_WINDOW
        self.disconnected = False
        self.close_code = 1005  # RFC 6455 §7.4.1: no status code was present
        self.close_reason = ""
        self.ended = False
        self._response_started = False  # websocket.http.response.start sent

    # ---- Frames from the front

    def message_received(self, flags: int, payload: bytes) -> None:
        if self._pieces or flags & MESSAGE_MORE:
            if not self._pieces:
                self._pieces_text = bool(flags & MESSAGE_TEXT)
            self._pieces.append(payload)
            if flags & MESSAGE_MORE:
                return
            payload = b"".join(self._pieces)
            text = self._pieces_text
            self._pieces = []
        else:
            text = bool(flags & MESSAGE_TEXT)
        if text:
            # The front checked the UTF-8 (RFC 6455 §8.1 makes it close with 1007 otherwise).
            message = {"type": "websocket.receive", "text": payload.decode("utf-8", "replace")}
        else:
            message = {"type": "websocket.receive", "bytes": payload}
        self._messages.append((len(payload), message))
        self._wake_receive()

    def closed_by_client(self, payload: bytes) -> None:
        """The client closed the socket (with its code), or went away (1006), or the front closed it (1009, 1012)."""
        if len(payload) >= 2:
            self.close_code = _CODE.unpack_from(payload)[0]
            self.close_reason = payload[2:].decode("utf-8", "replace")
        self.abort()

    def abort(self) -> None:
        self.disconnected = True
        self._wake_receive()
        waiter = self._send_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def add_credit(self, count: int) -> None:
        self.credit += count
        waiter = self._send_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def body_received(self, flags: int, payload: bytes) -> None:
        pass  # an upgrade request has no body

    def _wake_receive(self) -> None:
        waiter = self._receive_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # ---- receive()

    async def receive(self) -> Dict[str, Any]:
        if not self._connect_delivered:
            self._connect_delivered = True
            return {"type": "websocket.connect"}
        while True:
            if self._messages:
                size, message = self._messages.popleft()
                self._took(size)
                return message
            if self.disconnected:
                return {"type": "websocket.disconnect", "code": self.close_code, "reason": self.close_reason}
            waiter = self._receive_waiter = self._loop.create_future()
            try:
                await waiter
            finally:
                self._receive_waiter = None

    def _took(self, size: int) -> None:
        """The app took a message: past half the window, the front may send that much more."""
        self._consumed += size
        if self._consumed >= WEBSOCKET_WINDOW // 2 and not self.ended:
            self._channel.write(_pack(4, self.request_id, WS_CREDIT, 0, 0) + self._consumed.to_bytes(4, "little"))
            self._consumed = 0

    # ---- send()

    async def send(self, message: Dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "websocket.send":
            if self.state != OPEN:
                raise self._unexpected(kind)
            if self.disconnected:
                raise ClientDisconnected("the WebSocket is closed")
            text = message.get("text")
            if text is not None:
                await self._send_message(text.encode("utf-8"), MESSAGE_TEXT)
            else:
                data = message.get("bytes")
                if data is None:
                    raise ValueError("websocket.send needs 'bytes' or 'text'")
                await self._send_message(bytes(data), 0)
        elif kind == "websocket.accept":
            if self.state != CONNECTING or self._response_started:
                raise self._unexpected(kind)
            if self.disconnected:
                raise ClientDisconnected("the client went away before the handshake")
            self.state = OPEN
            subprotocol = message.get("subprotocol") or ""
            headers = list(message.get("headers") or ())
            fields = subprotocol.encode("ascii")
            if headers:
                fields += b"\0" + encode_fields(headers, "header")
            self._channel.write(_pack(len(fields), self.request_id, WS_ACCEPT, 0, 0) + fields)
        elif kind == "websocket.close":
            if self.state == CONNECTING and not self._response_started:
                # www.rst: a close before accept refuses the handshake with 403.
                self.state = REFUSED
                self.end_with(b"403\0content-length\x000")
                return
            if self.state != OPEN:
                raise self._unexpected(kind)
            self.state = CLOSING
            if self.disconnected:
                return
            code = message.get("code", 1000) or 1000
            reason = (message.get("reason") or "").encode("utf-8")[:123]  # RFC 6455 §5.5: 125 bytes with the code
            payload = _CODE.pack(code) + reason
            self._channel.write(_pack(len(payload), self.request_id, WS_CLOSE, 0, 0) + payload)
        elif kind == "websocket.http.response.start":
            if self.state != CONNECTING or self._response_started:
                raise self._unexpected(kind)
            start, _ = encode_start(message)
            self._response_started = True
            self.state = REFUSED
            self._channel.write(_pack(len(start), self.request_id, RESPONSE_START, 0, 0) + start)
        elif kind == "websocket.http.response.body":
            if not self._response_started or self.ended:
                raise self._unexpected(kind)
            body = message.get("body", b"")
            for offset in range(0, len(body), BODY_FRAME_LIMIT):
                piece = body[offset:offset + BODY_FRAME_LIMIT]
                while self.credit < len(piece) and not self.disconnected:
                    await self._wait_send()
                self.credit -= len(piece)
                self._channel.write(_pack(len(piece), self.request_id, RESPONSE_BODY, 0, 0) + piece)
            if not message.get("more_body", False):
                self.end()
        else:
            raise RuntimeError(f"Unexpected ASGI message {kind!r} for a WebSocket")

    def _unexpected(self, kind: str) -> RuntimeError:
        return RuntimeError(f"Unexpected ASGI message {kind!r} for a WebSocket in state {self.state}")

    async def _send_message(self, data: bytes, flags: int) -> None:
        """One message, as pieces that each fit the credit (the front sends them as fragments of one message)."""
        size = len(data)
        channel = self._channel
        if size <= self.credit and size <= BODY_FRAME_LIMIT:
            self.credit -= size
            if size < 32 * 1024:
                channel.write(_pack(size, self.request_id, WS_SEND, flags, 0) + data)
            else:
                channel.write_parts(_pack(size, self.request_id, WS_SEND, flags, 0), data)
        else:
            view = memoryview(data)
            offset = 0
            while True:
                while self.credit <= 0:
                    if self.disconnected:
                        raise ClientDisconnected("the WebSocket is closed")
                    await self._wait_send()
                if self.disconnected:
                    raise ClientDisconnected("the WebSocket is closed")
                piece = min(size - offset, self.credit, BODY_FRAME_LIMIT)
                self.credit -= piece
                more = MESSAGE_MORE if offset + piece < size else 0
                channel.write_parts(_pack(piece, self.request_id, WS_SEND, flags | more, 0), view[offset:offset + piece])
                offset += piece
                if not more:
                    break
        if channel.paused:
            await channel.drain()

    async def _wait_send(self) -> None:
        waiter = self._send_waiter = self._loop.create_future()
        try:
            await waiter
        finally:
            self._send_waiter = None

    # ---- The end

    def end_with(self, start: bytes) -> None:
        """A whole HTTP answer instead of the handshake (403, or the app's own 500)."""
        if self.ended:
            return
        self.ended = True
        self._channel.write(_pack(len(start), self.request_id, RESPONSE_START, 0, 0) + start
                            + _pack(0, self.request_id, RESPONSE_END, 0, 0))
        self._wake_receive()

    def end(self, flags: int = 0) -> None:
        if self.ended:
            return
        self.ended = True
        self._channel.write(_pack(0, self.request_id, RESPONSE_END, flags, 0))

    @property
    def started(self) -> bool:
        """Whether the front has an answer under way (an accepted socket, or an HTTP response)."""
        return self.state != CONNECTING or self._response_started
