"""The worker's end of its one socket to the front: buffered frame reads, whole writes, and the ways out."""

from __future__ import annotations

import os
import socket
import sys
from typing import List, NoReturn, Optional

from .protocol import EXIT_OK, EXIT_PROTOCOL_ERROR, PING, PONG, Frame, FrameReader, ProtocolError, pack_frame


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

    __slots__ = ("_sock", "_reader", "_recv_into", "_sendall", "_sendmsg")

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._reader = FrameReader()
        # Bound once: these run on every request.
        self._recv_into = sock.recv_into
        self._sendall = sock.sendall
        self._sendmsg = sock.sendmsg

    def fileno(self) -> int:
        return self._sock.fileno()

    def close(self) -> None:
        self._sock.close()

    def detach(self) -> socket.socket:
        """The socket, for an event loop to drive from now on (nothing has been read from it yet)."""
        return self._sock

    def send(self, data: bytes) -> None:
        try:
            self._sendall(data)
        except OSError:
            front_gone()

    def send_parts(self, parts: List[bytes]) -> None:
        """Write several buffers with one sendmsg, so a big body chunk is not copied to join it."""
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
        """The next frame, waiting for it if needed."""
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
