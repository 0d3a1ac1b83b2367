"""Per-request overhead of the ASGI worker with a hello-world ASGI app (a benchmark, not a test).

This process runs the real AsgiWorker on one end of a socketpair; a forked child plays the front, keeping
CONCURRENCY requests in flight as the front does for many clients. Prints the worker process's own CPU time
(user + system) per request.

    cd src/PyHost.Workers/python && python3 tests/bench_asgi_loop.py [requests] [concurrency] [asyncio|uvloop] [profile]
"""

from __future__ import annotations

import marshal
import os
import resource
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pyhost_worker.asgi_worker import AsgiSettings, AsgiWorker, new_event_loop  # noqa: E402

HEADER = struct.Struct("<IIBBH")
REQUEST, RESPONSE_END, READY = 1, 21, 17
NO_BODY, SCOPE = 1, 2

# What the front sends for a curl-like request.
SCOPE_PAYLOAD = {
    "type": "http",
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": "/",
    "raw_path": b"/",
    "query_string": b"",
    "root_path": "",
    "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"curl/8.5.0"), (b"accept", b"*/*")],
    "client": ("127.0.0.1", 51234),
    "server": ("127.0.0.1", 8000),
}


async def hello(scope: dict, receive: object, send: object) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})  # type: ignore[operator]
    await send({"type": "http.response.body", "body": b"Hello, world!"})  # type: ignore[operator]


def front(sock: socket.socket, count: int, concurrency: int) -> float:
    payload = marshal.dumps(SCOPE_PAYLOAD)
    buffer = bytearray(1 << 20)
    data = b""
    pos = 0
    while True:  # READY
        data += buffer[:sock.recv_into(buffer)]
        if len(data) >= 12 and HEADER.unpack_from(data)[2] == READY:
            data = data[12 + HEADER.unpack_from(data)[0]:]
            break
    started = time.perf_counter()
    sent = ended = 0
    while ended < count:
        batch = b""
        while sent < count and sent - ended < concurrency:
            sent += 1
            batch += HEADER.pack(len(payload), sent, REQUEST, NO_BODY | SCOPE, 0) + payload
        if batch:
            sock.sendall(batch)
        data = data[pos:] + buffer[:sock.recv_into(buffer)]
        pos = 0
        while len(data) - pos >= 12:
            length, _, frame_type, _, _ = HEADER.unpack_from(data, pos)
            if len(data) - pos < 12 + length:
                break
            pos += 12 + length
            if frame_type == RESPONSE_END:
                ended += 1
    return time.perf_counter() - started


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    concurrency = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    loop_choice = sys.argv[3] if len(sys.argv) > 3 else "auto"
    worker_end, front_end = socket.socketpair()
    child = os.fork()
    if child == 0:
        worker_end.close()
        elapsed = front(front_end, count, concurrency)
        print(f"{count / elapsed:,.0f} requests/s through a Python fake front")
        sys.stdout.flush()
        os._exit(0)
    front_end.close()
    loop, name = new_event_loop(loop_choice)
    worker = AsgiWorker(worker_end, hello, AsgiSettings(lifespan="off"), loop)
    before = resource.getrusage(resource.RUSAGE_SELF)
    if len(sys.argv) > 4:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        loop.run_until_complete(worker.run(b"1 3.11 asgi"))
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    else:
        loop.run_until_complete(worker.run(b"1 3.11 asgi"))
    after = resource.getrusage(resource.RUSAGE_SELF)
    os.waitpid(child, 0)
    user = after.ru_utime - before.ru_utime
    system = after.ru_stime - before.ru_stime
    print(f"worker CPU on {name}: {(user + system) / count * 1e6:.1f} µs/request "
          f"(user {user / count * 1e6:.1f} + system {system / count * 1e6:.1f}), {count} requests, "
          f"{concurrency} at once, Python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
