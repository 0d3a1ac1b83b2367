"""The worker's socket on an event loop: frames are read as the socket becomes readable and handed on one by one;
frames written during one turn of the loop go out together in one system call.

Writes are whole frames, under a lock, so the watchdog thread can put a LOG frame on the socket while the loop is
blocked (which is when it has something to say). The kernel's socket buffer plus a bounded backlog here is all the
buffering: past the high-water mark, senders wait in drain() (asyncio's own transports would buffer without bound).
"""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Callable, List

from .channel import protocol_error
from .protocol import (
    GATHER_LIMIT,
    HEADER,
    LOG,
    PING,
    PONG,
    Frame,
    FrameReader,
    ProtocolError,
    gathered_body_frame,
    pack_frame,
)

# Bytes that may wait here for the socket before senders of body and messages are held back.
HIGH_WATER = 1024 * 1024
# The most buffers one sendmsg() takes (IOV_MAX is 1024 on Linux).
MAX_PARTS = 512

_pack = HEADER.pack


class LoopChannel:
    """One connection to the front, driven by the event loop of this process."""

    __slots__ = (
        "_sock", "_fd", "_loop", "_reader", "_on_frame", "_on_closed", "_out", "_flush_scheduled", "_backlog",
        "_writer_added", "_lock", "_drain_waiters", "_closed", "_recv_into", "_sendmsg", "_send", "_body_id",
        "_body_parts", "_body_size",
    )

    def __init__(self, sock: socket.socket, loop: asyncio.AbstractEventLoop, on_frame: Callable[[Frame], None],
                 on_closed: Callable[[], None]) -> None:
        sock.setblocking(False)
        self._sock = sock
        self._fd = sock.fileno()
        self._loop = loop
        self._reader = FrameReader()
        self._on_frame = on_frame
        self._on_closed = on_closed
        self._out: List[bytes] = []  # frames written this turn of the loop
        self._flush_scheduled = False
        self._backlog = bytearray()  # bytes the socket did not take yet; guarded by _lock
        self._writer_added = False
        self._lock = threading.Lock()
        self._drain_waiters: List["asyncio.Future[None]"] = []
        self._closed = False
        self._recv_into = sock.recv_into
        self._sendmsg = sock.sendmsg
        self._send = sock.send
        # Small body chunks of one response written in this turn of the loop: one frame for the front to forward, not
        # one per chunk (a StreamingResponse's async generator yields many in a turn).
        self._body_id = 0  # the response whose chunks _body_parts gathers
        self._body_parts: List[bytes] = []
        self._body_size = 0

    def start(self) -> None:
        self._loop.add_reader(self._fd, self._readable)

    # ---- Reading

    def _readable(self) -> None:
        reader = self._reader
        try:
            count = self._recv_into(reader.space())
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            count = 0
        if not count:
            self._lost()
            return
        reader.received(count)
        on_frame = self._on_frame
        try:
            frame = reader.next_frame()
            while frame is not None:
                if frame[0] == PING:
                    self.write(pack_frame(PONG, frame[1], frame[3]))
                else:
                    on_frame(frame)
                frame = reader.next_frame()
        except ProtocolError as error:
            protocol_error(str(error))

    def _lost(self) -> None:
        """The front closed the socket (it drained this worker, or it is gone): writes are dropped from now on."""
        if self._closed:
            return
        self._closed = True
        self._out.clear()
        self._body_parts = []
        self._body_size = 0
        if threading.current_thread() is threading.main_thread():
            self._loop.remove_reader(self._fd)
            self._loop.call_soon(self._on_closed)
        else:
            self._loop.call_soon_threadsafe(self._loop.remove_reader, self._fd)
            self._loop.call_soon_threadsafe(self._on_closed)

    @property
    def closed(self) -> bool:
        return self._closed

    # ---- Writing

    def write(self, frames: bytes) -> None:
        """Queue whole frames; they go out at the end of this turn of the loop. Once the front is gone they are
        dropped, so the worker can still run its lifespan shutdown."""
        if self._closed:
            return
        if self._body_parts:
            self._close_body()
        self._out.append(frames)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def write_frame(self, frame_type: int, request_id: int, payload: bytes = b"", flags: int = 0) -> None:
        self.write(_pack(len(payload), request_id, frame_type, flags, 0) + payload)

    def write_parts(self, header: bytes, payload: "bytes | memoryview") -> None:
        """A frame whose payload is large: queued as two buffers, so sendmsg() takes it without a copy."""
        if self._closed:
            return
        if self._body_parts:
            self._close_body()
        self._out.append(header)
        self._out.append(payload)  # type: ignore[arg-type]
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def write_body(self, request_id: int, chunk: bytes) -> None:
        """A small RESPONSE_BODY chunk, gathered with the chunks of the same response written before it in this turn
        of the loop into one frame (up to GATHER_LIMIT)."""
        if self._closed:
            return
        if self._body_id != request_id or self._body_size >= GATHER_LIMIT:
            if self._body_parts:
                self._close_body()
            self._body_id = request_id
        self._body_parts.append(chunk)
        self._body_size += len(chunk)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _close_body(self) -> None:
        """The gathered chunks, as one frame in the queue."""
        self._out.append(gathered_body_frame(self._body_id, self._body_size, self._body_parts))
        self._body_parts = []
        self._body_size = 0

    def flush(self) -> None:
        """Send what was queued now, not at the end of this turn (before the process exits)."""
        self._flush()

    def _flush(self) -> None:
        self._flush_scheduled = False
        if self._body_parts and not self._closed:
            self._close_body()
        out = self._out
        if not out or self._closed:
            return
        self._out = []
        with self._lock:
            self._send_locked(out)

    def _send_locked(self, parts: List[bytes]) -> None:
        if self._backlog:
            for part in parts:
                self._backlog += part
            return
        while parts:
            batch = parts[:MAX_PARTS]
            try:
                sent = self._sendmsg(batch)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                self._lost()
                return
            for index, part in enumerate(batch):
                size = len(part)
                if sent >= size:
                    sent -= size
                    continue
                # The socket is full: keep the rest, and send it when it drains.
                self._backlog += memoryview(part)[sent:]
                for rest in batch[index + 1:]:
                    self._backlog += rest
                for rest in parts[MAX_PARTS:]:
                    self._backlog += rest
                self._add_writer()
                return
            parts = parts[MAX_PARTS:]

    def _add_writer(self) -> None:
        if self._writer_added:
            return
        self._writer_added = True
        if threading.current_thread() is threading.main_thread():
            self._loop.add_writer(self._fd, self._writable)
        else:
            self._loop.call_soon_threadsafe(self._loop.add_writer, self._fd, self._writable)

    def _writable(self) -> None:
        with self._lock:
            backlog = self._backlog
            try:
                sent = self._send(backlog)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self._backlog.clear()
                sent = 0
                self._lost()
            del backlog[:sent]
            if backlog:
                return
            self._writer_added = False
            self._loop.remove_writer(self._fd)
        waiters, self._drain_waiters = self._drain_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    @property
    def paused(self) -> bool:
        """True while more than HIGH_WATER bytes wait for the socket: senders of bulk data await drain()."""
        return len(self._backlog) > HIGH_WATER

    async def drain(self) -> None:
        while len(self._backlog) > HIGH_WATER:
            waiter = self._loop.create_future()
            self._drain_waiters.append(waiter)
            await waiter

    # ---- From another thread

    def log_from_thread(self, level: int, request_id: int, text: str) -> None:
        """A LOG frame from the watchdog thread, at once, even while the loop is blocked."""
        with self._lock:
            self._send_locked([log_frame(level, request_id, text)])


def log_frame(level: int, request_id: int, text: str) -> bytes:
    payload = text.encode("utf-8", "backslashreplace")
    return _pack(len(payload), request_id, LOG, level, 0) + payload
