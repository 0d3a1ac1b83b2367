"""An exception in the iterable's close() (PEP 3333) costs the client nothing: the response is complete first."""

from __future__ import annotations

import contextlib
import io
import unittest
from typing import Any, Iterator, List

from support import APP_ERROR, HEADER, RESPONSE_BODY, RESPONSE_END, RESPONSE_START, make_environ
from pyhost_worker.wsgi import Response, ResponseCredit, run_app


class ClosingIterable:
    """Yields its chunks, then close() records the call and raises (or not)."""

    def __init__(self, chunks: List[bytes], close_raises: bool, fail_at: int = -1) -> None:
        self.chunks = chunks
        self.close_raises = close_raises
        self.fail_at = fail_at
        self.closed = 0

    def __iter__(self) -> Iterator[bytes]:
        for index, chunk in enumerate(self.chunks):
            if index == self.fail_at:
                raise RuntimeError("iteration failed")
            yield chunk

    def close(self) -> None:
        self.closed += 1
        if self.close_raises:
            raise OSError("cleanup failed in close()")


class Frames:
    """The frames run_app sends, decoded as they come, in order."""

    def __init__(self) -> None:
        self.items: List[tuple[int, int, bytes]] = []

    def send(self, data: bytes) -> None:
        self._parse(bytes(data))

    def send_parts(self, parts: List[Any]) -> None:
        self._parse(b"".join(bytes(part) for part in parts))

    def send_body(self, request_id: int, chunk: bytes, start: bytes = b"") -> None:
        self._parse(start + HEADER.pack(len(chunk), request_id, RESPONSE_BODY, 0, 0) + chunk)

    def _parse(self, data: bytes) -> None:
        while data:
            length, _, frame_type, flags, _ = HEADER.unpack_from(data)
            self.items.append((frame_type, flags, data[HEADER.size:HEADER.size + length]))
            data = data[HEADER.size + length:]

    @property
    def types(self) -> List[int]:
        return [frame_type for frame_type, _, _ in self.items]


def _no_wait() -> None:
    raise AssertionError("the response waited for credit")


def run(iterable: ClosingIterable) -> tuple[Frames, str]:
    def app(environ: Any, start_response: Any) -> ClosingIterable:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return iterable

    frames = Frames()
    log = io.StringIO()
    with contextlib.redirect_stderr(log):
        run_app(app, make_environ("/closing", query="x=1"), Response(3, frames.send, frames.send_parts, frames.send_body, ResponseCredit(_no_wait)), lambda: False, False)
    return frames, log.getvalue()


class CloseErrors(unittest.TestCase):
    def test_close_raising_after_the_last_chunk_still_ends_the_response_normally(self) -> None:
        iterable = ClosingIterable([b"first ", b"second"], close_raises=True)

        frames, log = run(iterable)

        self.assertEqual(frames.types, [RESPONSE_START, RESPONSE_BODY, RESPONSE_BODY, RESPONSE_END])
        self.assertEqual(frames.items[-1][1], 0, "the end frame must not carry APP_ERROR: the response is whole")
        self.assertEqual(b"".join(payload for kind, _, payload in frames.items if kind == RESPONSE_BODY), b"first second")
        self.assertEqual(iterable.closed, 1)
        self.assertIn("Error closing the response of GET /closing?x=1\nTraceback (most recent call last):", log)
        self.assertIn("OSError: cleanup failed in close()", log)
        self.assertNotIn("Error handling request", log)

    def test_close_is_called_once_after_the_end_frame_went_out(self) -> None:
        seen_at_close: List[int] = []
        frames = Frames()

        class RecordsFramesAtClose(ClosingIterable):
            def close(self) -> None:
                seen_at_close.extend(frames.types)
                super().close()

        iterable = RecordsFramesAtClose([b"data"], close_raises=False)

        def app(environ: Any, start_response: Any) -> ClosingIterable:
            start_response("200 OK", [])
            return iterable

        run_app(app, make_environ("/"), Response(1, frames.send, frames.send_parts, frames.send_body, ResponseCredit(_no_wait)), lambda: False, False)

        self.assertEqual(seen_at_close, [RESPONSE_START, RESPONSE_BODY, RESPONSE_END])
        self.assertEqual(iterable.closed, 1)

    def test_close_raising_after_the_iteration_failed_logs_both_and_ends_with_app_error(self) -> None:
        iterable = ClosingIterable([b"partial", b"never"], close_raises=True, fail_at=1)

        frames, log = run(iterable)

        self.assertEqual(frames.types, [RESPONSE_START, RESPONSE_BODY, RESPONSE_END])
        self.assertEqual(frames.items[-1][1], APP_ERROR)
        self.assertEqual(iterable.closed, 1)
        self.assertIn("OSError: cleanup failed in close()", log)
        self.assertIn("Error handling request GET /closing?x=1", log)
        self.assertIn("RuntimeError: iteration failed", log)


if __name__ == "__main__":
    unittest.main()
