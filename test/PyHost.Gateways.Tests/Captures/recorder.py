#!/usr/bin/python3
"""Records what a front server (nginx, Apache, lighttpd) sends to an uwsgi, SCGI or FastCGI backend.

Each connection's bytes are read until the request is complete (by the protocol's own framing) and written to
OUTDIR/<n>.bin in arrival order; then a minimal valid response is sent so the front server logs no error.
Used by capture.sh only: the committed .bin files are the test vectors, this script is how they were made.

    recorder.py uwsgi|scgi|fastcgi PORT OUTDIR
"""

from __future__ import annotations

import os
import socket
import socketserver
import struct
import sys

PROTOCOL, PORT, OUTDIR = sys.argv[1], int(sys.argv[2]), sys.argv[3]
BODY = b"recorded\n"


def content_length(pairs: dict[bytes, bytes]) -> int:
    value = pairs.get(b"CONTENT_LENGTH", b"")
    return int(value) if value.isdigit() else 0


def uwsgi_pairs(block: bytes) -> dict[bytes, bytes]:
    pairs, pos = {}, 0
    while pos < len(block):
        (klen,) = struct.unpack_from("<H", block, pos)
        key = block[pos + 2:pos + 2 + klen]
        pos += 2 + klen
        (vlen,) = struct.unpack_from("<H", block, pos)
        pairs[key] = block[pos + 2:pos + 2 + vlen]
        pos += 2 + vlen
    return pairs


def uwsgi_complete(data: bytes) -> bool:
    if len(data) < 4:
        return False
    size = struct.unpack_from("<H", data, 1)[0]
    if len(data) < 4 + size:
        return False
    return len(data) >= 4 + size + content_length(uwsgi_pairs(data[4:4 + size]))


def scgi_complete(data: bytes) -> bool:
    colon = data.find(b":")
    if colon < 0:
        return False
    size = int(data[:colon])
    if len(data) < colon + 1 + size + 1:
        return False
    items = data[colon + 1:colon + 1 + size].split(b"\0")
    pairs = dict(zip(items[0::2], items[1::2]))
    return len(data) >= colon + 2 + size + content_length(pairs)


def fastcgi_complete(data: bytes) -> bool:
    """Complete once an empty FCGI_STDIN record (type 5) has arrived."""
    pos = 0
    while pos + 8 <= len(data):
        _, kind, _, length, padding = struct.unpack_from(">BBHHB", data, pos)
        if pos + 8 + length + padding > len(data):
            return False
        if kind == 5 and length == 0:
            return True
        pos += 8 + length + padding
    return False


def fastcgi_record(kind: int, request_id: int, content: bytes) -> bytes:
    return struct.pack(">BBHHBx", 1, kind, request_id, len(content), 0) + content


class Recorder(socketserver.BaseRequestHandler):
    count = 0

    def handle(self) -> None:
        complete = {"uwsgi": uwsgi_complete, "scgi": scgi_complete, "fastcgi": fastcgi_complete}[PROTOCOL]
        data = b""
        self.request.settimeout(10)
        while not complete(data):
            chunk = self.request.recv(65536)
            if not chunk:
                break
            data += chunk
        if not data:
            return  # capture.sh probing the port
        Recorder.count += 1
        with open(os.path.join(OUTDIR, f"{Recorder.count}.bin"), "wb") as f:
            f.write(data)

        head = b"Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(BODY)
        if PROTOCOL == "uwsgi":
            self.request.sendall(b"HTTP/1.1 200 OK\r\n" + head + BODY)
        elif PROTOCOL == "scgi":
            self.request.sendall(b"Status: 200 OK\r\n" + head + BODY)
        else:
            request_id = struct.unpack_from(">H", data, 2)[0] if len(data) >= 4 else 1
            self.request.sendall(
                fastcgi_record(6, request_id, b"Status: 200 OK\r\n" + head + BODY)
                + fastcgi_record(6, request_id, b"")
                + fastcgi_record(3, request_id, b"\0\0\0\0\0\0\0\0"))
        try:
            self.request.shutdown(socket.SHUT_WR)
        except OSError:
            pass


class Server(socketserver.TCPServer):
    allow_reuse_address = True


if __name__ == "__main__":
    os.makedirs(OUTDIR, exist_ok=True)
    with Server(("127.0.0.1", PORT), Recorder) as server:
        server.serve_forever()
