"""The worker's end of its one socket to the front: buffered frame reads, whole writes, and the ways out."""

from __future__ import annotations

import os
import socket
import sys
import threading
from time import monotonic_ns
from typing import List, NoReturn, Optional

from .protocol import (
    EXIT_OK,
    EXIT_PROTOCOL_ERROR,
    GATHER_LIMIT,
    HEADER,
    PING,
    PONG,
    RESPONSE_BODY,
    Frame,
    FrameReader,
    ProtocolError,
    gathered_body_frame,
    pack_frame,
)

# A streamed response's small chunks that come in a burst, each within this long of the one before, are not
# written one by one (a system call here and a frame for the front each): they are gathered into one RESPONSE_BODY
# frame that a flusher thread writes as soon as it holds the GIL (at once while the app waits on I/O, within the
# interpreter's switch interval while it computes), or that the response's next frame takes along. PEP 3333
# ("Buffering and Streaming") allows it: transmission goes on while the app produces its next block. A chunk that
# comes after a pause is written at once, as before: an SSE event is not delayed.
BURST_NS = 100_000
_pack = HEADER.pack


def flush_stdio() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass


def front_gone() -> NoReturn:
    """The socket closed: the front is gone (maybe SIGKILLed), nobody will read an answer. Leave at once;
    a normal exit could hang joining the app's threads."""
    flush_stdio()
    os._exit(EXIT_OK)


def protocol_error(message: str) -> NoReturn:
    """The byte stream is out of step; nothing more on it can be trusted. Exit, even from inside the app."""
    try:
        sys.stderr.write(f"pyhost worker: protocol error: {message}\n")
    except (OSError, ValueError):
        pass
    flush_stdio()
    os._exit(EXIT_PROTOCOL_ERROR)


class Channel:
    """The one connection to the front; frame reads are buffered, every write is whole frames."""

    __slots__ = (
        "_sock",
        "_reader",
        "_recv_into",
        "_sendall",
        "_sendmsg",
        "_lock",
        "_flush_asked",
        "_flusher",
        "_gathered",
        "_gathered_size",
        "_gathered_id",
        "_last_chunk_ns",
    )

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._reader = FrameReader()
        # Bound once: these run on every request.
        self._recv_into = sock.recv_into
        self._sendall = sock.sendall
        self._sendmsg = sock.sendmsg
        # The burst's gathered chunks; once the flusher thread exists every write holds the lock (the flusher writes
        # too), and until then nothing is ever gathered, so a worker that never streams a burst takes no lock.
        self._lock = threading.Condition(threading.Lock())
        self._flush_asked = False
        self._flusher: Optional[threading.Thread] = None
        self._gathered: List[bytes] = []
        self._gathered_size = 0
        self._gathered_id = 0
        self._last_chunk_ns = 0

    def fileno(self) -> int:
        return self._sock.fileno()

    def close(self) -> None:
        self._sock.close()

    def detach(self) -> socket.socket:
        """The socket, for an event loop to drive from now on (nothing has been read from it yet)."""
        return self._sock

    def send(self, data: bytes) -> None:
        if self._flusher is not None:
            with self._lock:
                self._write(self._take_gathered() + data)   # a burst's chunks and the END: one write
        else:
            self._write(data)

    def _write(self, data: bytes) -> None:
        try:
            self._sendall(data)
        except OSError:
            front_gone()

    def send_body(self, request_id: int, chunk: bytes, start: bytes = b"") -> None:
        """A small body chunk: written at once (with the response's START frame, if given, which always is), or
        gathered with the rest of a burst (see BURST_NS)."""
        now = monotonic_ns()
        previous = self._last_chunk_ns
        self._last_chunk_ns = now
        if start or (now - previous > BURST_NS and not self._gathered):
            self.send(start + _pack(len(chunk), request_id, RESPONSE_BODY, 0, 0) + chunk)
            return
        if self._flusher is None:
            self._flusher = threading.Thread(target=self._flush_loop, name="pyhost-flusher", daemon=True)
            self._flusher.start()
        with self._lock:
            if self._gathered_id != request_id:
                self._write_gathered()
                self._gathered_id = request_id
            self._gathered.append(chunk)
            self._gathered_size += len(chunk)
            if self._gathered_size >= GATHER_LIMIT:
                self._write_gathered()
            elif not self._flush_asked:
                self._flush_asked = True
                self._lock.notify()

    def _flush_loop(self) -> None:
        lock = self._lock
        with lock:
            while True:
                while not self._flush_asked:
                    lock.wait()
                self._flush_asked = False
                self._write_gathered()

    def _write_gathered(self) -> None:
        """The gathered chunks as one frame; the lock is held."""
        if self._gathered:
            self._write(self._take_gathered())

    def _take_gathered(self) -> bytes:
        """The gathered chunks as one frame (empty if there are none), taken out; the lock is held."""
        if not self._gathered:
            return b""
        frame = gathered_body_frame(self._gathered_id, self._gathered_size, self._gathered)
        self._gathered = []
        self._gathered_size = 0
        return frame

    def send_parts(self, parts: List[bytes]) -> None:
        """Write several buffers with one sendmsg, so a big body chunk is not copied to join it."""
        if self._flusher is not None:
            with self._lock:
                self._write_gathered()
                self._write_parts(parts)
        else:
            self._write_parts(parts)

    def _write_parts(self, parts: List[bytes]) -> None:
        try:
            sent = self._sendmsg(parts)
            for part in parts:
                if sent >= len(part):
                    sent -= len(part)
                    continue
                self._sendall(memoryview(part)[sent:])  # the socket buffer filled up: finish the rest
                sent = 0
        except OSError:
            front_gone()

    def receive(self) -> Frame:
        """The next frame, waiting for it if needed (what a burst gathered goes first: the front may be waiting for
        it before it sends anything)."""
        if self._gathered:
            with self._lock:
                self._write_gathered()
        frame = self._next(0)
        assert frame is not None
        return frame

    def poll(self) -> Optional[Frame]:
        """A frame that has already arrived, or None; never waits."""
        return self._next(socket.MSG_DONTWAIT)

    def buffered(self) -> Optional[Frame]:
        """A frame already read from the socket, or None; never makes a syscall."""
        return self._next(-1)

    def _next(self, recv_flags: int) -> Optional[Frame]:
        reader = self._reader
        while True:
            try:
                frame = reader.next_frame()
            except ProtocolError as error:
                protocol_error(str(error))
            if frame is None:
                if recv_flags < 0:
                    return None
                try:
                    count = self._recv_into(reader.space(), 0, recv_flags)
                except BlockingIOError:
                    return None
                except OSError:
                    count = 0
                if not count:
                    front_gone()
                reader.received(count)
            elif frame[0] == PING:  # answered here, whatever the worker is doing
                self.send(pack_frame(PONG, frame[1], frame[3]))
            else:
                return frame
