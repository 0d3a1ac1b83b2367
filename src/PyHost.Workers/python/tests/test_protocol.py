"""The frame reader, fed byte by byte, in bulk, and with frames bigger than its buffer."""

from __future__ import annotations

import unittest

import support  # noqa: F401  (puts pyhost_worker on sys.path)
from pyhost_worker.protocol import (
    HEADER,
    MAX_PAYLOAD,
    PING,
    REQUEST,
    FrameReader,
    ProtocolError,
    pack_frame,
)


class FrameReaderTests(unittest.TestCase):
    def test_pack_frame_writes_the_documented_header(self) -> None:
        self.assertEqual(pack_frame(REQUEST, 7, b"abc", 2), b"\x03\0\0\0\x07\0\0\0\x01\x02\0\0abc")

    def test_every_prefix_of_a_frame_is_incomplete(self) -> None:
        frame = pack_frame(PING, 9, b"payload", 1)
        for cut in range(len(frame)):
            with self.subTest(cut=cut):
                reader = FrameReader(capacity=64)
                reader.feed(frame[:cut])
                self.assertIsNone(reader.next_frame())
                reader.feed(frame[cut:])
                self.assertEqual(reader.next_frame(), (PING, 9, 1, b"payload"))
                self.assertIsNone(reader.next_frame())

    def test_several_frames_in_one_read(self) -> None:
        reader = FrameReader()
        reader.feed(pack_frame(REQUEST, 1, b"a") + pack_frame(PING, 0) + pack_frame(REQUEST, 2, b"bc"))
        self.assertEqual(reader.next_frame(), (REQUEST, 1, 0, b"a"))
        self.assertEqual(reader.next_frame(), (PING, 0, 0, b""))
        self.assertEqual(reader.next_frame(), (REQUEST, 2, 0, b"bc"))
        self.assertIsNone(reader.next_frame())

    def test_payload_is_bytes_that_outlive_the_buffer(self) -> None:
        reader = FrameReader(capacity=32)
        reader.feed(pack_frame(REQUEST, 1, b"first"))
        first = reader.next_frame()
        reader.feed(pack_frame(REQUEST, 2, b"second"))
        reader.next_frame()
        self.assertEqual(first, (REQUEST, 1, 0, b"first"))
        self.assertIs(type(first[3]), bytes)

    def test_frames_bigger_than_the_buffer_and_straddling_its_end(self) -> None:
        reader = FrameReader(capacity=64)
        payloads = [bytes([n]) * size for n, size in enumerate([10, 50, 1000, 3, 60, 100_000, 0, 40])]
        stream = b"".join(pack_frame(REQUEST, n + 1, payload) for n, payload in enumerate(payloads))
        received = []
        for start in range(0, len(stream), 37):  # reads that cut frames anywhere
            reader.feed(stream[start:start + 37])
            frame = reader.next_frame()
            while frame is not None:
                received.append(frame[3])
                frame = reader.next_frame()
        self.assertEqual(received, payloads)

    def test_oversized_length_is_a_protocol_error(self) -> None:
        reader = FrameReader()
        reader.feed(HEADER.pack(MAX_PAYLOAD + 1, 1, REQUEST, 0, 0))
        with self.assertRaises(ProtocolError):
            reader.next_frame()

    def test_reserved_field_must_be_zero(self) -> None:
        reader = FrameReader()
        reader.feed(HEADER.pack(0, 1, REQUEST, 0, 1))
        with self.assertRaises(ProtocolError):
            reader.next_frame()


if __name__ == "__main__":
    unittest.main()
