"""wsgi.input over a fake pull: reads that span chunks, CONTENT_LENGTH, and how much it pulls."""

from __future__ import annotations

import unittest
from typing import List, Optional

import support  # noqa: F401  (puts pyhost_worker on sys.path)
from pyhost_worker.wsgi_input import ClientDisconnected, WsgiInput


class FakePull:
    def __init__(self, chunks: List[bytes], then_disconnect: bool = False) -> None:
        self.chunks = list(chunks)
        self.calls = 0
        self.then_disconnect = then_disconnect

    def __call__(self) -> bytes:
        self.calls += 1
        if self.chunks:
            return self.chunks.pop(0)
        if self.then_disconnect:
            raise ClientDisconnected("client disconnected")
        return b""


def body(chunks: List[bytes], content_length: Optional[str] = None) -> WsgiInput:
    return WsgiInput(FakePull(chunks), content_length)


class WsgiInputTests(unittest.TestCase):
    def test_read_all(self) -> None:
        self.assertEqual(body([b"ab", b"cd", b"e"]).read(), b"abcde")
        self.assertEqual(body([b"ab", b"cd"]).read(None), b"abcd")

    def test_read_n_returns_exactly_n_until_the_end(self) -> None:
        stream = body([b"abc", b"defgh", b"ij"])
        self.assertEqual([stream.read(4) for _ in range(4)], [b"abcd", b"efgh", b"ij", b""])

    def test_read_zero_pulls_nothing(self) -> None:
        pull = FakePull([b"abc"])
        self.assertEqual(WsgiInput(pull, None).read(0), b"")
        self.assertEqual(pull.calls, 0)

    def test_readline_spans_chunks_and_keeps_the_newline(self) -> None:
        stream = body([b"one\ntw", b"o\n", b"thr", b"ee"])
        self.assertEqual([stream.readline() for _ in range(4)], [b"one\n", b"two\n", b"three", b""])

    def test_readline_with_a_size_stops_there(self) -> None:
        stream = body([b"abcdef\n", b"gh"])
        self.assertEqual([stream.readline(4), stream.readline(4), stream.readline(0), stream.readline(4)],
                         [b"abcd", b"ef\n", b"", b"gh"])

    def test_readline_of_exactly_the_available_bytes_does_not_pull(self) -> None:
        pull = FakePull([b"abcd", b"more"])
        self.assertEqual(WsgiInput(pull, None).readline(4), b"abcd")
        self.assertEqual(pull.calls, 1)

    def test_readlines_and_its_hint(self) -> None:
        self.assertEqual(body([b"a\nb", b"\nc"]).readlines(), [b"a\n", b"b\n", b"c"])
        stream = body([b"a\nb\nc\n"])
        self.assertEqual(stream.readlines(3), [b"a\n", b"b\n"])
        self.assertEqual(stream.readlines(-1), [b"c\n"])

    def test_iteration_yields_lines(self) -> None:
        self.assertEqual(list(body([b"x\ny", b"\n"])), [b"x\n", b"y\n"])

    def test_never_reads_past_content_length(self) -> None:
        pull = FakePull([b"12345", b"67890"])
        stream = WsgiInput(pull, "7")
        self.assertEqual(stream.read(), b"1234567")
        self.assertEqual(stream.read(1), b"")
        self.assertEqual(pull.calls, 2)

    def test_content_length_zero_pulls_nothing(self) -> None:
        pull = FakePull([b"unexpected"])
        self.assertEqual(WsgiInput(pull, "0").read(), b"")
        self.assertEqual(pull.calls, 0)

    def test_pulls_only_what_the_app_asks_for(self) -> None:
        pull = FakePull([b"x" * 65536] * 100)
        stream = WsgiInput(pull, None)
        stream.read(10)
        stream.read(65526)
        self.assertEqual(pull.calls, 1)
        stream.readline(1)
        self.assertEqual(pull.calls, 2)

    def test_end_of_body_is_remembered(self) -> None:
        pull = FakePull([b"ab"])
        stream = WsgiInput(pull, None)
        self.assertEqual(stream.read(), b"ab")
        self.assertEqual(stream.read(), b"")
        self.assertEqual(pull.calls, 2)

    def test_disconnect_is_an_oserror_from_the_read(self) -> None:
        stream = WsgiInput(FakePull([b"ab"], then_disconnect=True), None)
        self.assertEqual(stream.read(2), b"ab")
        with self.assertRaises(OSError) as raised:
            stream.read(1)
        self.assertEqual(str(raised.exception), "client disconnected")


if __name__ == "__main__":
    unittest.main()
