"""The response side in-process: header encoding, start_response rules, and how many writes a response takes."""

from __future__ import annotations

import marshal
import socket
import sys
import unittest
from typing import Any, List

from support import NO_BODY, RESPONSE_BODY, RESPONSE_END, RESPONSE_START, make_environ, parse_frames
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


def generator(environ: Any, start_response: Any) -> Any:
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"one"
    yield b"two"


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

    def test_streamed_response_is_one_write_per_chunk_then_the_end(self) -> None:
        writes = [[frame.type for frame in parse_frames(write)] for write in self.writes_for(generator)]
        self.assertEqual(writes, [[RESPONSE_START, RESPONSE_BODY], [RESPONSE_BODY], [RESPONSE_END]])


class StartResponseRules(unittest.TestCase):
    def setUp(self) -> None:
        self.sent: List[bytes] = []
        credit = ResponseCredit(lambda: self.fail("the response waited for credit"))
        self.response = Response(3, self.sent.append, lambda parts: self.sent.append(b"".join(parts)), credit)

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
