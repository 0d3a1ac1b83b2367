"""Per-request overhead of the worker's serve loop with a hello-world app (a benchmark, not a test).

This process runs the real Worker.serve() over one end of a socketpair; a forked child plays the front in lock step
(REQUEST, read up to RESPONSE_END, next), as the real front does with one worker. Prints the round trip and the
worker process's own CPU time (user + system, so its syscalls count) per request.

    cd src/PyHost.Workers/python && python3 tests/bench_loop.py [requests]
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

from pyhost_worker.channel import Channel  # noqa: E402
from pyhost_worker.worker import Worker  # noqa: E402

HEADER = struct.Struct("<IIBBH")
REQUEST, STOP, RESPONSE_END = 1, 4, 21

# What the front sends for `curl http://127.0.0.1:8000/`-like requests: 17 keys.
ENVIRON = {
    "REQUEST_METHOD": "GET",
    "SCRIPT_NAME": "",
    "PATH_INFO": "/",
    "QUERY_STRING": "",
    "REQUEST_URI": "/",
    "SERVER_NAME": "127.0.0.1",
    "SERVER_PORT": "8000",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "REMOTE_ADDR": "127.0.0.1",
    "REMOTE_PORT": "51234",
    "wsgi.url_scheme": "http",
    "HTTP_HOST": "127.0.0.1:8000",
    "HTTP_USER_AGENT": "curl/8.5.0",
    "HTTP_ACCEPT": "*/*",
    "HTTP_ACCEPT_ENCODING": "gzip, deflate",
    "HTTP_CONNECTION": "keep-alive",
    "HTTP_X_REQUEST_ID": "8c4b1a52-0f0e-4d7e-9a52-3d3f2d1c6e11",
}


def hello(environ: dict, start_response: object) -> list:
    start_response("200 OK", [("Content-Type", "text/plain")])  # type: ignore[operator]
    return [b"Hello, world!"]


def front(sock: socket.socket, count: int) -> float:
    """Lock-step requests; returns seconds taken."""
    payload = marshal.dumps(ENVIRON)
    buffer = bytearray(1 << 16)
    started = time.perf_counter()
    for request_id in range(1, count + 1):
        sock.sendall(HEADER.pack(len(payload), request_id, REQUEST, 0, 0) + payload)
        data = b""
        pos = 0
        done = False
        while not done:
            data += buffer[:sock.recv_into(buffer)]
            while len(data) - pos >= 12:
                length, _, frame_type, _, _ = HEADER.unpack_from(data, pos)
                if len(data) - pos < 12 + length:
                    break
                pos += 12 + length
                done = frame_type == RESPONSE_END
    elapsed = time.perf_counter() - started
    sock.sendall(HEADER.pack(0, 0, STOP, 0, 0))
    return elapsed


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    worker_end, front_end = socket.socketpair()
    child = os.fork()
    if child == 0:
        worker_end.close()
        elapsed = front(front_end, count)
        print(f"round trip (worker + a Python fake front): {elapsed / count * 1e6:.1f} µs/request")
        sys.stdout.flush()
        os._exit(0)
    front_end.close()
    before = resource.getrusage(resource.RUSAGE_SELF)
    Worker(Channel(worker_end), hello, multiprocess=False, debug=False).serve()
    after = resource.getrusage(resource.RUSAGE_SELF)
    os.waitpid(child, 0)
    user = after.ru_utime - before.ru_utime
    system = after.ru_stime - before.ru_stime
    print(
        f"worker CPU: {(user + system) / count * 1e6:.1f} µs/request "
        f"(user {user / count * 1e6:.1f} + system {system / count * 1e6:.1f}), {count} requests, "
        f"Python {sys.version.split()[0]}"
    )


if __name__ == "__main__":
    main()
