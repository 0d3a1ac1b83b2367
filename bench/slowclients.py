#!/usr/bin/python3
"""Slow clients for bench/run, against 127.0.0.1:PORT, each kind reconnecting when the server lets go of it:

- header dribblers (slowloris): send the start of a request, then one header byte every INTERVAL seconds, never
  finishing the headers;
- slow uploaders: send a POST with a large Content-Length, then its body at UPLOAD_RATE bytes a second (just above
  Kestrel's and most servers' minimum data rate, so they are not dropped);
- slow readers: ask for a large response and read it at READ_RATE bytes a second through a small receive buffer, so
  the kernel's buffers cannot hide how slowly they read.

Prints "ready N" once N connections are open (and the readers' responses have begun), then at the end one JSON line
of counts.

    slowclients.py PORT [--headers 500] [--uploaders 0] [--readers 0] [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import socket
import sys
from dataclasses import asdict, dataclass


@dataclass
class Counts:
    open: int = 0
    peak_open: int = 0
    opened: int = 0
    let_go: int = 0  # answered, closed or reset by the server
    failed_connects: int = 0
    bytes_sent: int = 0
    bytes_read: int = 0


class Held:
    """One connection of a client: counted as open from begin() until the server lets go of it."""

    def __init__(self, clients: "Clients", counts: Counts) -> None:
        self.clients, self.counts, self.counted = clients, counts, False

    def begin(self) -> Counts:
        self.counted = True
        self.counts.open += 1
        self.counts.peak_open = max(self.counts.peak_open, self.counts.open)
        if self.clients.total_open() >= self.clients.target:
            self.clients.all_open.set()
        return self.counts


class Clients:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.counts = {"headers": Counts(), "uploaders": Counts(), "readers": Counts()}
        self.target = args.headers + args.uploaders + args.readers
        self.all_open = asyncio.Event()

    def total_open(self) -> int:
        return sum(c.open for c in self.counts.values())

    async def connect(self, receive_buffer: int = 0) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer:
            # Before connect, so the window the server sees is small from the first byte (socket(7)).
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.setblocking(False)
        try:
            await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", self.args.port))
        except OSError:
            sock.close()
            raise
        # The stream's own buffer no larger than the socket's, so it does not read ahead of the client either.
        return await asyncio.open_connection(sock=sock, limit=receive_buffer or 2**16)

    async def hold(self, kind: str, run) -> None:
        """Keeps one client of a kind connected for the whole run: run(reader, writer, held) returns when the server
        lets go of it."""
        counts = self.counts[kind]
        while True:
            try:
                reader, writer = await self.connect(self.args.read_buffer if kind == "readers" else 0)
            except OSError:
                counts.failed_connects += 1
                await asyncio.sleep(self.args.interval)
                continue
            counts.opened += 1
            held = Held(self, counts)
            try:
                await run(reader, writer, held)
                counts.let_go += 1
            except OSError:
                counts.let_go += 1
            finally:
                if held.counted:
                    counts.open -= 1
                writer.close()

    async def header_dribbler(self, reader, writer, held: Held) -> None:
        counts = held.begin()
        writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        await writer.drain()
        while True:
            # A server that answers (408, 400) or closes shows up as readable data or EOF: the client is let go.
            try:
                await asyncio.wait_for(reader.read(4096), self.args.interval * random.uniform(0.5, 1.5))
                return
            except asyncio.TimeoutError:
                pass
            writer.write(b"x")
            await writer.drain()
            counts.bytes_sent += 1

    async def slow_uploader(self, reader, writer, held: Held) -> None:
        counts = held.begin()
        writer.write(f"POST {self.args.upload_path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream"
                     f"\r\nContent-Length: {self.args.upload_bytes}\r\n\r\n".encode())
        await writer.drain()
        tick = 0.1
        piece = b"u" * max(1, round(self.args.upload_rate * tick))
        answer = asyncio.ensure_future(reader.read(4096))
        try:
            sent = 0
            while sent < self.args.upload_bytes:
                done, _ = await asyncio.wait({answer}, timeout=tick * random.uniform(0.8, 1.2))
                if done:
                    return  # the server answered (408, 413, 400) or closed before the body ended
                writer.write(piece)
                await writer.drain()
                sent += len(piece)
                counts.bytes_sent += len(piece)
            await answer
        finally:
            answer.cancel()

    async def slow_reader(self, reader, writer, held: Held) -> None:
        writer.write(f"GET {self.args.read_path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        await writer.drain()
        # Counted once the response has begun: then a worker has produced it, and is held if nothing buffers it.
        first = await reader.read(1024)
        if not first:
            return
        counts = held.begin()
        counts.bytes_read += len(first)
        tick = 0.25
        size = max(1, round(self.args.read_rate * tick))
        while True:
            await asyncio.sleep(tick * random.uniform(0.8, 1.2))
            data = await reader.read(size)
            if not data:
                return
            counts.bytes_read += len(data)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("port", type=int)
    parser.add_argument("--headers", "--connections", type=int, default=500, help="header dribblers (slowloris)")
    parser.add_argument("--uploaders", type=int, default=0)
    parser.add_argument("--readers", type=int, default=0)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between a dribbler's header bytes")
    parser.add_argument("--upload-path", default="/upload")
    parser.add_argument("--upload-bytes", type=int, default=1_000_000, help="the Content-Length uploaders announce")
    parser.add_argument("--upload-rate", type=float, default=300.0, help="bytes a second per uploader")
    parser.add_argument("--read-path", default="/large")
    parser.add_argument("--read-rate", type=float, default=16384.0, help="bytes a second per reader")
    parser.add_argument("--read-buffer", type=int, default=16384, help="readers' SO_RCVBUF")
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    total = args.headers + args.uploaders + args.readers
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, total + 100)), hard))

    clients = Clients(args)
    tasks = []
    for kind, count, run in (("headers", args.headers, clients.header_dribbler),
                             ("uploaders", args.uploaders, clients.slow_uploader),
                             ("readers", args.readers, clients.slow_reader)):
        for _ in range(count):
            tasks.append(asyncio.create_task(clients.hold(kind, run)))
            await asyncio.sleep(0.002)  # 500 connections in about a second, not one burst against the listen backlog
    try:
        await asyncio.wait_for(clients.all_open.wait(), 5)
    except asyncio.TimeoutError:
        pass
    print(f"ready {clients.total_open()}", flush=True)
    await asyncio.sleep(args.seconds)
    open_at_end = clients.total_open()
    by_kind = {kind: {**asdict(c), "open_at_end": c.open} for kind, c in clients.counts.items()
               if getattr(args, kind)}
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    summary = {"open_at_end": open_at_end, "peak_open": sum(c.peak_open for c in clients.counts.values()),
               "opened": sum(c.opened for c in clients.counts.values()),
               "closed_by_server": sum(c.let_go for c in clients.counts.values()),
               "failed_connects": sum(c.failed_connects for c in clients.counts.values()), "kinds": by_kind}
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(130)
