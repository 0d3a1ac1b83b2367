#!/usr/bin/python3
"""Slow clients for bench/run: holds N connections to 127.0.0.1:PORT open, each sending the start of a request and
then one header byte every INTERVAL seconds, never finishing the headers. A connection the server closes is opened
again. Prints "ready N" once N connections are open, and at the end one JSON line of counts.

    slowloris.py PORT [--connections 500] [--interval 1] [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sys


class Counts:
    def __init__(self) -> None:
        self.open = self.peak_open = self.opened = self.closed_by_server = self.failed_connects = 0


async def slow_client(port: int, interval: float, counts: Counts, all_open: asyncio.Event, target: int) -> None:
    while True:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            counts.failed_connects += 1
            await asyncio.sleep(interval)
            continue
        counts.opened += 1
        counts.open += 1
        counts.peak_open = max(counts.peak_open, counts.open)
        if counts.open >= target:
            all_open.set()
        try:
            writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            await writer.drain()
            while True:
                # A server that answers (408, 400) or closes shows up here as readable data or EOF.
                try:
                    data = await asyncio.wait_for(reader.read(4096), interval * random.uniform(0.5, 1.5))
                    if not data:
                        break
                    break  # it answered something; this connection no longer holds anything
                except asyncio.TimeoutError:
                    pass
                writer.write(b"x")
                await writer.drain()
        except OSError:
            pass
        finally:
            counts.open -= 1
            counts.closed_by_server += 1
            writer.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("port", type=int)
    parser.add_argument("--connections", type=int, default=500)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.connections + 100)), hard))

    counts, all_open = Counts(), asyncio.Event()
    tasks = []
    for _ in range(args.connections):
        tasks.append(asyncio.create_task(slow_client(args.port, args.interval, counts, all_open, args.connections)))
        await asyncio.sleep(0.002)  # 500 connections in about a second, not one burst against the listen backlog
    try:
        await asyncio.wait_for(all_open.wait(), 5)
    except asyncio.TimeoutError:
        pass
    print(f"ready {counts.open}", flush=True)
    await asyncio.sleep(args.seconds)
    open_at_end = counts.open
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    print(json.dumps({"open_at_end": open_at_end, "peak_open": counts.peak_open, "opened": counts.opened,
                      "closed_by_server": counts.closed_by_server - open_at_end,
                      "failed_connects": counts.failed_connects}), flush=True)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(130)
