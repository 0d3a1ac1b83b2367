"""The worker protocol of docs/protocol.md: frame constants, packing and an incremental frame reader.

Nothing here touches a socket, so a test can feed the reader every prefix of a frame.
"""

from __future__ import annotations

import struct
from typing import List, Optional, Tuple

# Front -> worker.
REQUEST = 1
BODY = 2
ABORT = 3
STOP = 4
PING = 5
FORK = 6  # to a zygote (--preload): fork a worker; payload "worker-id:token"
CREDIT = 7  # payload u32: this many more RESPONSE_BODY bytes may be sent for request_id
RECALL = 8  # give back request_id (0: every request) if it has not started: RESPONSE_END with NOT_STARTED
CANCEL = 9  # ASGI: cancel request_id's task (it ran past --timeout); the front already answered 504
WS_MESSAGE = 10  # a WebSocket message, or a piece of one (flag MESSAGE_MORE), from the client
WS_DISCONNECT = 11  # the client closed the WebSocket or went away: u16 code, UTF-8 reason

# Worker -> front.
HELLO = 16
READY = 17
BOOT_FAILED = 18
RESPONSE_START = 19
RESPONSE_BODY = 20
RESPONSE_END = 21
BODY_PULL = 22
PONG = 23
CHILD_EXITED = 24  # from a zygote: payload "pid status", status negative for a signal
RETIRING = 25  # request id 0, UTF-8 reason: this worker takes no more requests (e.g. over its memory limit)
WS_ACCEPT = 26  # websocket.accept: subprotocol, then header names and values, NUL-separated
WS_SEND = 27  # a WebSocket message, or a piece of one (flag MESSAGE_MORE), for the client; within the credit
WS_CLOSE = 28  # websocket.close: u16 code, UTF-8 reason
WS_CREDIT = 29  # u32: the app took this many message bytes; the front may send that many more
RESPONSE_TRAILERS = 30  # http.response.trailers: header names and values, NUL-separated
RESPONSE_FILE = 31  # http.response.pathsend: the UTF-8 path of a file the front sends as the whole body
LOG = 32  # flags = a logging level (10..50): a line for the front's log, about request_id (0: the worker)

# Flags.
NO_BODY = 1  # on REQUEST: the request has no body; nothing will be pulled
SCOPE = 2  # on REQUEST: the payload is an ASGI scope, not a CGI environ
TRAILERS = 4  # on REQUEST: the front can deliver response trailers (the http.response.trailers extension)
MESSAGE_TEXT = 1  # on WS_MESSAGE and WS_SEND: a text message (UTF-8); else binary
MESSAGE_MORE = 2  # on WS_MESSAGE and WS_SEND: more pieces of this message follow
BODY_END = 1
BODY_ABORTED = 2
APP_ERROR = 1  # on RESPONSE_END: the app raised after the response started
NOT_STARTED = 2  # on RESPONSE_END: the request was never run (withdrawn or recalled); the front may run it elsewhere

HEADER = struct.Struct("<IIBBH")  # length, request_id, type, flags, reserved
HEADER_SIZE = HEADER.size
MAX_PAYLOAD = 16 * 1024 * 1024

# Worker exit statuses the front tells apart.
EXIT_OK = 0
EXIT_PROTOCOL_ERROR = 3
EXIT_BOOT_FAILED = 4

PULL_SIZE = 65536
PULL_PAYLOAD = struct.pack("<I", PULL_SIZE)
CREDIT_PAYLOAD = struct.Struct("<I")

# Every request starts with this much response credit; CREDIT frames add to it (docs/protocol.md "Flow control").
RESPONSE_WINDOW = 1024 * 1024
# WebSocket message bytes the front may send for one socket before the worker grants more with WS_CREDIT.
WEBSOCKET_WINDOW = 1024 * 1024

# (type, request_id, flags, payload)
Frame = Tuple[int, int, int, bytes]


class ProtocolError(Exception):
    """The peer broke the frame format; the connection cannot be trusted any more."""


def pack_frame(frame_type: int, request_id: int, payload: bytes = b"", flags: int = 0) -> bytes:
    return HEADER.pack(len(payload), request_id, frame_type, flags, 0) + payload


# Small body chunks of one response that a worker gathers (the WSGI worker a burst, the ASGI worker a turn of its
# loop: docs/protocol.md, "Bursts of small chunks") go out as one frame once they reach this size.
GATHER_LIMIT = 64 * 1024


def gathered_body_frame(request_id: int, size: int, chunks: List[bytes]) -> bytes:
    """One RESPONSE_BODY frame of the gathered chunks (size: their total length)."""
    return HEADER.pack(size, request_id, RESPONSE_BODY, 0, 0) + b"".join(chunks)


class FrameReader:
    """Splits a byte stream into frames, in one reusable buffer that recv_into() writes straight into."""

    __slots__ = ("_capacity", "_buffer", "_view", "_start", "_end")

    def __init__(self, capacity: int = 256 * 1024) -> None:
        self._capacity = capacity
        self._buffer = bytearray(capacity)
        self._view = memoryview(self._buffer)
        self._start = 0  # first unparsed byte
        self._end = 0  # end of received bytes

    def space(self) -> memoryview:
        """The free tail of the buffer, for recv_into(); follow with received(n)."""
        if self._start == self._end:
            self._start = self._end = 0
            if len(self._buffer) > self._capacity:  # drop the room a huge frame needed
                self._reallocate(self._capacity)
            return self._view
        if len(self._buffer) - self._end < len(self._buffer) // 4:
            # Move the partial frame to the front; at least double the room if it fills half.
            self._reallocate(max(len(self._buffer), 2 * (self._end - self._start)))
        return self._view[self._end:]

    def received(self, count: int) -> None:
        self._end += count

    def feed(self, data: bytes) -> None:
        """Copy bytes in (for tests and callers that already hold the bytes)."""
        while data:
            space = self.space()
            count = min(len(space), len(data))
            space[:count] = data[:count]
            self.received(count)
            data = data[count:]

    def next_frame(self) -> Optional[Frame]:
        """The next complete frame, or None until more bytes arrive."""
        start = self._start
        available = self._end - start
        if available < HEADER_SIZE:
            self._make_room(HEADER_SIZE)
            return None
        length, request_id, frame_type, flags, reserved = HEADER.unpack_from(self._buffer, start)
        if length > MAX_PAYLOAD:
            raise ProtocolError(f"frame of {length} bytes is over the {MAX_PAYLOAD} byte limit")
        if reserved:
            raise ProtocolError(f"reserved header field is {reserved}, not 0")
        end = start + HEADER_SIZE + length
        if end > self._end:
            self._make_room(HEADER_SIZE + length)
            return None
        self._start = end
        return frame_type, request_id, flags, bytes(self._view[start + HEADER_SIZE:end])

    def _make_room(self, frame_size: int) -> None:
        """Make sure a frame of frame_size bytes fits from the parse position on."""
        if self._start + frame_size > len(self._buffer):
            self._reallocate(max(self._capacity, frame_size))

    def _reallocate(self, size: int) -> None:
        # A new buffer, not an in-place move: a live memoryview pins the old one's size.
        pending = self._view[self._start:self._end]
        buffer = bytearray(size)
        buffer[:len(pending)] = pending
        self._buffer = buffer
        self._view = memoryview(buffer)
        self._end -= self._start
        self._start = 0
