"""The response side in-process: header encoding, start_response rules, and how many writes a response takes."""

from __future__ import annotations

import contextlib
import marshal
import socket
import sys
import threading
import time
import unittest
from typing import Any, List

from support import HEADER, NO_BODY, RESPONSE_BODY, RESPONSE_END, RESPONSE_START, make_environ, parse_frames
from pyhost_worker.channel import Channel
from pyhost_worker.wsgi import Response, ResponseCredit, encode_start
from pyhost_worker.worker import Worker


class RecordingSocket:
    """The worker's end of a socketpair, counting the writes."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.writes: List[bytes] = []

    def sendall(self, data: bytes) -> None:
        self.writes.append(bytes(data))
        self.sock.sendall(data)

    def sendmsg(self, buffers: List[bytes]) -> int:
        self.writes.append(b"".join(buffers))
        return self.sock.sendmsg(buffers)

    def recv_into(self, buffer: Any, size: int = 0, flags: int = 0) -> int:
        return self.sock.recv_into(buffer, size, flags)


def hello(environ: Any, start_response: Any) -> List[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello, world!"]


def paused_generator(environ: Any, start_response: Any) -> Any:
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"one"
    time.sleep(0.01)   # far longer than a burst's gap (channel.BURST_NS)
    yield b"two"


def burst(environ: Any, start_response: Any) -> Any:
    start_response("200 OK", [("Content-Type", "text/plain")])
    for i in range(1000):
        yield b"%04d," % i


class WritesPerResponse(unittest.TestCase):
    def writes_for(self, app: Any) -> List[bytes]:
        worker_end, front_end = socket.socketpair()
        self.addCleanup(worker_end.close)
        self.addCleanup(front_end.close)
        recording = RecordingSocket(worker_end)
        Worker(Channel(recording), app, multiprocess=False, debug=False).handle(7, NO_BODY, marshal.dumps(make_environ("/")))
        return recording.writes

    def test_one_chunk_response_is_one_write_of_three_frames(self) -> None:
        writes = self.writes_for(hello)
        self.assertEqual(len(writes), 1)
        frames = parse_frames(writes[0])
        self.assertEqual([(frame.type, frame.request_id) for frame in frames],
                         [(RESPONSE_START, 7), (RESPONSE_BODY, 7), (RESPONSE_END, 7)])
        self.assertEqual(frames[0].payload, b"200 OK\0Content-Type\0text/plain\0Content-Length\x0013")

    def test_a_streamed_chunk_after_a_pause_is_written_at_once(self) -> None:
        writes = [[frame.type for frame in parse_frames(write)] for write in self.writes_for(paused_generator)]
        self.assertEqual(writes, [[RESPONSE_START, RESPONSE_BODY], [RESPONSE_BODY], [RESPONSE_END]])

    def test_a_burst_of_small_chunks_goes_out_in_a_few_writes_of_whole_frames(self) -> None:
        writes = self.writes_for(burst)
        frames = [frame for write in writes for frame in parse_frames(write)]  # each write holds whole frames
        self.assertEqual(b"".join(frame.payload for frame in frames if frame.type == RESPONSE_BODY),
                         b"".join(b"%04d," % i for i in range(1000)))
        self.assertEqual([frame.type for frame in frames][:2], [RESPONSE_START, RESPONSE_BODY])
        self.assertEqual(frames[-1].type, RESPONSE_END)
        self.assertLess(len(writes), 100, "1,000 chunks yielded back to back took a write each")

    def test_a_burst_followed_by_a_long_wait_is_written_during_the_wait(self) -> None:
        self.assert_burst_written_before_the_app_goes_on(lambda released: released.wait(10))   # an SSE app waiting

    def test_a_burst_followed_by_long_computing_is_written_while_the_app_computes(self) -> None:
        def compute(released: threading.Event) -> None:
            deadline = time.monotonic() + 10
            while not released.is_set() and time.monotonic() < deadline:
                sum(range(1000))   # holds the GIL but for the interpreter's switch interval

        self.assert_burst_written_before_the_app_goes_on(compute)

    def assert_burst_written_before_the_app_goes_on(self, then: Any) -> None:
        worker_end, front_end = socket.socketpair()
        self.addCleanup(worker_end.close)
        self.addCleanup(front_end.close)
        released = threading.Event()

        def burst_then_wait(environ: Any, start_response: Any) -> Any:
            start_response("200 OK", [("Content-Type", "text/event-stream")])
            yield b"data: 1\n\n"
            yield b"data: 2\n\n"
            yield b"data: 3\n\n"
            then(released)
            yield b"data: 4\n\n"

        worker = Worker(Channel(worker_end), burst_then_wait, multiprocess=False, debug=False)
        serving = threading.Thread(target=worker.handle, args=(7, NO_BODY, marshal.dumps(make_environ("/"))))
        serving.start()
        self.addCleanup(serving.join)
        self.addCleanup(released.set)
        front_end.settimeout(5)
        received = b""
        while b"data: 3" not in received:   # before the app's wait ends
            received += front_end.recv(65536)
        self.assertFalse(released.is_set())
        released.set()
        serving.join()
        front_end.settimeout(0.5)
        with contextlib.suppress(socket.timeout):
            while True:
                data = front_end.recv(65536)
                if not data:
                    break
                received += data
        frames = parse_frames(received)
        self.assertEqual(b"".join(frame.payload for frame in frames if frame.type == RESPONSE_BODY),
                         b"data: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\n")
        self.assertEqual(frames[-1].type, RESPONSE_END)


class StartResponseRules(unittest.TestCase):
    def setUp(self) -> None:
        self.sent: List[bytes] = []
        credit = ResponseCredit(lambda: self.fail("the response waited for credit"))
        self.response = Response(3, self.sent.append, lambda parts: self.sent.append(b"".join(parts)),
                                 self.send_body, credit)

    def send_body(self, request_id: int, chunk: bytes, start: bytes = b"") -> None:
        self.sent.append(start + HEADER.pack(len(chunk), request_id, RESPONSE_BODY, 0, 0) + chunk)

    def test_encode_start_joins_fields_with_nul_in_latin1(self) -> None:
        self.assertEqual(encode_start("200 OK", [("X-A", "caf\xe9")]), (b"200 OK\0X-A\0caf\xe9", True))

    def test_an_app_content_length_or_a_bodiless_status_stops_the_computed_one(self) -> None:
        self.assertFalse(encode_start("200 OK", [("CONTENT-LENGTH", "3")])[1])
        for status in ("101 Switching Protocols", "204 No Content", "304 Not Modified"):
            self.assertFalse(encode_start(status, [])[1], status)

    def test_bad_status_and_headers_are_refused(self) -> None:
        for status, headers, error in [
            (b"200 OK", [], TypeError),
            ("200", [], ValueError),
            ("OK 200", [], ValueError),
            ("200 OK", (("A", "b"),), TypeError),
            ("200 OK", [("A", "b", "c")], TypeError),
            ("200 OK", [("A", 1)], TypeError),
            ("200 OK", [("A", "\u20ac")], UnicodeEncodeError),
            ("200 O\0K", [], ValueError),
            ("200 OK", [("A\0", "b")], ValueError),
        ]:
            with self.subTest(status=status, headers=headers):
                with self.assertRaises(error):
                    encode_start(status, headers)

    def test_second_call_without_exc_info_is_an_error(self) -> None:
        self.response.start_response("200 OK", [])
        with self.assertRaises(AssertionError):
            self.response.start_response("200 OK", [])

    def test_exc_info_before_anything_was_sent_replaces_the_headers(self) -> None:
        self.response.start_response("200 OK", [])
        try:
            raise KeyError("x")
        except KeyError:
            self.response.start_response("500 Oops", [("X", "y")], sys.exc_info())
        self.response.send_whole(b"", True)
        self.assertEqual(parse_frames(self.sent[0])[0].payload, b"500 Oops\0X\0y\0Content-Length\x000")

    def test_exc_info_after_the_headers_were_sent_reraises_it(self) -> None:
        write = self.response.start_response("200 OK", [])
        write(b"sent")
        error = KeyError("original")
        with self.assertRaises(KeyError) as raised:
            self.response.start_response("500 Oops", [], (KeyError, error, None))
        self.assertIs(raised.exception, error)

    def test_write_before_start_response_is_an_error(self) -> None:
        with self.assertRaises(AssertionError):
            self.response.write(b"x")


if __name__ == "__main__":
    unittest.main()
