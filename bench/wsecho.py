#!/usr/bin/python3
"""WebSocket echo load: CLIENTS connections, each sending a 32-byte text message and waiting for its echo, for
SECONDS after WARMUP. Prints one JSON line: messages echoed, seconds, p50/p99 round trip, errors.

A hand-written client (RFC 6455 framing, no compression) on uvloop when there is one, so that the client costs little
next to the servers under test: every frame it sends is the same masked bytes, built once.

    bench/wsecho.py ws://127.0.0.1:8000/ CLIENTS SECONDS [WARMUP]
"""

import asyncio
import base64
import json
import os
import struct
import sys
import time
from urllib.parse import urlsplit

PAYLOAD = b"0123456789abcdef0123456789abcdef"


def masked_text_frame(payload: bytes) -> bytes:
    mask = os.urandom(4)
    masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + mask + masked


FRAME = masked_text_frame(PAYLOAD)
ECHO = bytes([0x81, len(PAYLOAD)]) + PAYLOAD  # what an unmasked server frame of the echo looks like


class Client:
    def __init__(self) -> None:
        self.count = 0
        self.rtts: list = []
        self.errors = 0

    async def run(self, host: str, port: int, path: str, until: float, record_from: float) -> None:
        try:
            reader, writer = await asyncio.open_connection(host, port)
            key = base64.b64encode(os.urandom(16)).decode()
            writer.write((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
            head = await reader.readuntil(b"\r\n\r\n")
            if b" 101 " not in head.split(b"\r\n", 1)[0]:
                raise ConnectionError(head.split(b"\r\n", 1)[0].decode())
            while True:
                now = time.monotonic()
                if now >= until:
                    break
                writer.write(FRAME)
                data = await reader.readexactly(len(ECHO))
                if data != ECHO:
                    raise ConnectionError(f"unexpected frame {data[:8]!r}")
                if now >= record_from:
                    self.count += 1
                    self.rtts.append(time.monotonic() - now)
            writer.write(bytes([0x88, 0x82]) + b"\0\0\0\0" + struct.pack(">H", 1000))
            writer.close()
        except (OSError, asyncio.IncompleteReadError, ConnectionError):
            self.errors += 1


async def main() -> None:
    url, clients, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    warmup = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0
    parts = urlsplit(url)
    start = time.monotonic()
    record_from = start + warmup
    until = record_from + seconds
    everyone = [Client() for _ in range(clients)]
    await asyncio.gather(*(client.run(parts.hostname, parts.port, parts.path or "/", until, record_from) for client in everyone))
    rtts = sorted(rtt for client in everyone for rtt in client.rtts)
    pick = lambda q: rtts[min(len(rtts) - 1, int(q * len(rtts)))] * 1000 if rtts else None  # noqa: E731
    print(json.dumps({"messages": sum(c.count for c in everyone), "seconds": seconds, "p50_ms": pick(0.5),
                      "p99_ms": pick(0.99), "errors": sum(c.errors for c in everyone)}))


if __name__ == "__main__":
    try:
        import uvloop  # type: ignore[import-not-found]

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main())
