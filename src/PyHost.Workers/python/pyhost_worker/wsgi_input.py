"""wsgi.input: the request body, pulled from the front one chunk at a time (PEP 3333 "Input and Error Streams")."""

from __future__ import annotations

from typing import Callable, Iterator, List, Optional


class ClientDisconnected(OSError):
    """The client went away while the app was reading the request body."""


def _parse_length(value: Optional[str]) -> Optional[int]:
    if value and value.isdigit():
        return int(value)
    return None  # unknown: read until the front says END (wsgi.input_terminated)


class WsgiInput:
    """Holds at most one pulled chunk beyond what the app asked for, so a huge upload streams in bounded memory."""

    __slots__ = ("_pull", "_chunk", "_pos", "_remaining")

    def __init__(self, pull: Callable[[], bytes], content_length: Optional[str]) -> None:
        self._pull = pull  # the next chunk, b"" at the end; raises ClientDisconnected
        self._chunk = b""
        self._pos = 0
        self._remaining = _parse_length(content_length)  # bytes not yet pulled; None = unknown

    def _fill(self) -> bool:
        """Replace the used-up chunk with the next one; False at the end of the body."""
        remaining = self._remaining
        if remaining == 0:
            return False
        chunk = self._pull()
        if not chunk:
            self._remaining = 0
            return False
        if remaining is not None:
            if len(chunk) > remaining:
                chunk = chunk[:remaining]  # never read past CONTENT_LENGTH
            self._remaining = remaining - len(chunk)
        self._chunk = chunk
        self._pos = 0
        return True

    def read(self, size: Optional[int] = -1) -> bytes:
        """Up to size bytes (all of the rest if size is negative or None); fewer only at the end of the body."""
        want = -1 if size is None or size < 0 else size
        parts: List[bytes] = []
        while True:
            chunk, pos = self._chunk, self._pos
            available = len(chunk) - pos
            if 0 <= want <= available:
                self._pos = pos + want
                parts.append(chunk[pos:pos + want])
                break
            if available:
                parts.append(chunk[pos:] if pos else chunk)
                if want > 0:
                    want -= available
            self._pos = len(chunk)
            if not self._fill():
                break
        return b"".join(parts)

    def readline(self, size: Optional[int] = -1) -> bytes:
        """One line with its b"\\n", or at most size bytes of it."""
        limit = -1 if size is None or size < 0 else size
        parts: List[bytes] = []
        while limit:
            chunk, pos = self._chunk, self._pos
            end = chunk.find(b"\n", pos) + 1
            complete = end > 0
            if not complete:
                end = len(chunk)
            if 0 <= limit < end - pos:
                end = pos + limit
                complete = True
            if end > pos:
                parts.append(chunk[pos:end])
                if limit > 0:
                    limit -= end - pos
            self._pos = end
            if complete or limit == 0 or not self._fill():
                break
        return b"".join(parts)

    def readlines(self, hint: Optional[int] = -1) -> List[bytes]:
        """Lines until their total size reaches hint (all lines if hint is negative, 0 or None)."""
        lines: List[bytes] = []
        total = 0
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)
            total += len(line)
            if hint is not None and 0 < hint <= total:
                return lines

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


# A request without a body (REQUEST flagged NO_BODY) shares this one: it holds no state, it only ever reads b"".
EMPTY_INPUT = WsgiInput(lambda: b"", "0")
