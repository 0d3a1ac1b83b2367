"""A fake PyHost front for the tests: listens on a Unix socket, starts a real `python -m pyhost_worker`,
and speaks the frames of docs/protocol.md to it."""

from __future__ import annotations

import marshal
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
from typing import Callable, Dict, List, NamedTuple, Optional, Tuple

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.dirname(TESTS_DIR)
APPS_DIR = os.path.join(TESTS_DIR, "apps")
if PYTHON_DIR not in sys.path:
    sys.path.insert(0, PYTHON_DIR)

# The frame format is written out again here rather than imported, so the tests check the shim against the doc.
HEADER = struct.Struct("<IIBBH")
REQUEST, BODY, ABORT, STOP, PING, FORK, CREDIT, RECALL = 1, 2, 3, 4, 5, 6, 7, 8
CANCEL, WS_MESSAGE, WS_DISCONNECT = 9, 10, 11
HELLO, READY, BOOT_FAILED, RESPONSE_START, RESPONSE_BODY, RESPONSE_END, BODY_PULL, PONG = range(16, 24)
CHILD_EXITED, RETIRING = 24, 25
WS_ACCEPT, WS_SEND, WS_CLOSE, WS_CREDIT, RESPONSE_TRAILERS, RESPONSE_FILE, LOG = range(26, 33)
NO_BODY, BODY_END, BODY_ABORTED, APP_ERROR, NOT_STARTED = 1, 1, 2, 1, 2
SCOPE, TRAILERS, MESSAGE_TEXT, MESSAGE_MORE = 2, 4, 1, 2
RESPONSE_WINDOW = 1024 * 1024
WEBSOCKET_WINDOW = 1024 * 1024

TIMEOUT = 10.0


class Frame(NamedTuple):
    type: int
    request_id: int
    flags: int
    payload: bytes


class Exchange(NamedTuple):
    """What the worker sent back for one request."""

    frames: List[Frame]
    pulls: List[int]  # the byte counts of the BODY_PULLs

    @property
    def status(self) -> str:
        return self._start()[0]

    @property
    def headers(self) -> List[Tuple[str, str]]:
        return self._start()[1]

    def header(self, name: str) -> Optional[str]:
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return values[0] if values else None

    @property
    def body(self) -> bytes:
        return b"".join(frame.payload for frame in self.frames if frame.type == RESPONSE_BODY)

    @property
    def end_flags(self) -> int:
        assert self.frames[-1].type == RESPONSE_END
        return self.frames[-1].flags

    def _start(self) -> Tuple[str, List[Tuple[str, str]]]:
        starts = [frame for frame in self.frames if frame.type == RESPONSE_START]
        assert len(starts) == 1, self.frames
        fields = starts[0].payload.decode("latin-1").split("\0")
        return fields[0], list(zip(fields[1::2], fields[2::2]))


def make_environ(path: str = "/", method: str = "GET", query: str = "", **extra: str) -> Dict[str, str]:
    environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "REQUEST_URI": path + ("?" + query if query else ""),
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "HTTP_HOST": "localhost:8000",
    }
    environ.update(extra)
    return environ


def parse_frames(data: bytes) -> List[Frame]:
    frames = []
    pos = 0
    while pos < len(data):
        length, request_id, frame_type, flags, reserved = HEADER.unpack_from(data, pos)
        assert reserved == 0
        frames.append(Frame(frame_type, request_id, flags, data[pos + 12:pos + 12 + length]))
        pos += 12 + length
    assert pos == len(data), "trailing partial frame"
    return frames


def pack(frame_type: int, request_id: int, payload: bytes = b"", flags: int = 0) -> bytes:
    return HEADER.pack(len(payload), request_id, frame_type, flags, 0) + payload


class FakeFront:
    """One worker process and its connection. Use as a context manager."""

    def __init__(
        self, app: str, cwd: str = APPS_DIR, expect_ready: bool = True, command: Optional[List[str]] = None, **env: str
    ) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="pyhost-test-")
        self.socket_path = os.path.join(self._tmp.name, "workers.sock")
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(self.socket_path)
        self._listener.listen(1)
        self._listener.settimeout(TIMEOUT)
        self._log_path = os.path.join(self._tmp.name, "worker.log")
        variables = dict(os.environ)
        variables.update(
            PYHOST_SOCKET=self.socket_path,
            PYHOST_WORKER_ID="3",
            PYHOST_TOKEN="s3cret",
            PYHOST_APP=app,
            PYTHONPATH=PYTHON_DIR,
        )
        variables.update(env)
        with open(self._log_path, "wb") as log:
            self.process = subprocess.Popen(
                command or [sys.executable, "-m", "pyhost_worker"], cwd=cwd, env=variables, stdout=log, stderr=log
            )
        self.conn, _ = self._listener.accept()
        self.conn.settimeout(TIMEOUT)
        self._pending = b""
        self.logs: List[Frame] = []  # LOG frames (ASGI workers), kept aside from the request frames
        hello = self.read_frame()
        assert hello == Frame(HELLO, 0, 0, b"3:s3cret"), hello
        self.boot = self.read_frame()
        if expect_ready:
            assert self.boot.type == READY, (self.boot, self.log())

    def __enter__(self) -> "FakeFront":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()
        try:
            self.process.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._listener.close()
        self._tmp.cleanup()

    def log(self) -> str:
        """Everything the worker wrote to stdout and stderr so far."""
        with open(self._log_path, "rb") as log:
            return log.read().decode("utf-8", "replace")

    def wait_for_log(self, text: str, timeout: float = 5.0) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.log():
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared in the worker log:\n{self.log()}")
            time.sleep(0.02)
        return self.log()

    def send(self, frame_type: int, request_id: int, payload: bytes = b"", flags: int = 0) -> None:
        self.conn.sendall(pack(frame_type, request_id, payload, flags))

    def grant_credit(self, request_id: int, count: int) -> None:
        """As the front does for body bytes it took; a worker that already exited (after STOP) needs none."""
        try:
            self.send(CREDIT, request_id, struct.pack("<I", count))
        except (BrokenPipeError, ConnectionResetError):
            pass

    def read_frame(self) -> Frame:
        while True:
            if len(self._pending) >= 12:
                length = HEADER.unpack_from(self._pending)[0]
                if len(self._pending) >= 12 + length:
                    frame = parse_frames(self._pending[:12 + length])[0]
                    self._pending = self._pending[12 + length:]
                    if frame.type == LOG:
                        self.logs.append(frame)
                        continue
                    return frame
            data = self.conn.recv(1 << 20)
            if not data:
                raise EOFError(f"worker closed the socket; log:\n{self.log()}")
            self._pending += data

    def at_eof(self, timeout: float = 5.0) -> bool:
        """True once the worker's end of the socket is closed."""
        self.conn.settimeout(timeout)
        try:
            return self.conn.recv(1) == b""
        finally:
            self.conn.settimeout(TIMEOUT)

    def start_request(self, request_id: int, environ: Dict[str, str], eager_body: Optional[bytes] = None) -> None:
        data = pack(REQUEST, request_id, marshal.dumps(environ))
        if eager_body is not None:
            data += pack(BODY, request_id, eager_body, BODY_END)
        self.conn.sendall(data)

    def finish_request(self, request_id: int, body: bytes = b"", grant_credit: bool = True) -> Exchange:
        """Answers pulls from body and grants credit for every body frame (as a buffering front does), collecting
        frames up to RESPONSE_END."""
        frames: List[Frame] = []
        pulls: List[int] = []
        offset = 0
        while True:
            frame = self.read_frame()
            assert frame.request_id == request_id, frame
            if frame.type == RESPONSE_BODY and grant_credit:
                self.grant_credit(request_id, len(frame.payload))
            if frame.type == BODY_PULL:
                size = struct.unpack("<I", frame.payload)[0]
                pulls.append(size)
                chunk = body[offset:offset + size]
                offset += len(chunk)
                self.send(BODY, request_id, chunk, BODY_END if offset == len(body) else 0)
                continue
            frames.append(frame)
            if frame.type == RESPONSE_END:
                return Exchange(frames, pulls)

    def finish_requests(self, *request_ids: int) -> Dict[int, "Exchange"]:
        """Like finish_request for several requests whose frames may come in any order (pipelined, given back);
        bodies are not pulled."""
        frames: Dict[int, List[Frame]] = {request_id: [] for request_id in request_ids}
        ended: set = set()
        while len(ended) < len(request_ids):
            frame = self.read_frame()
            assert frame.request_id in frames and frame.request_id not in ended, frame
            if frame.type == RESPONSE_BODY:
                self.grant_credit(frame.request_id, len(frame.payload))
            frames[frame.request_id].append(frame)
            if frame.type == RESPONSE_END:
                ended.add(frame.request_id)
        return {request_id: Exchange(frames[request_id], []) for request_id in request_ids}

    def request(
        self, path: str = "/", request_id: int = 1, body: bytes = b"", eager: bool = False, **environ: str
    ) -> Exchange:
        extra = {"CONTENT_LENGTH": str(len(body))} if body else {}
        extra.update(environ)
        self.start_request(request_id, make_environ(path, **extra), body if eager else None)
        return self.finish_request(request_id, body)


def make_scope(path: str = "/", method: str = "GET", query: bytes = b"", kind: str = "http", **extra: object) -> Dict[str, object]:
    """An ASGI scope as the front writes it (docs/protocol.md "The ASGI scope payload")."""
    scope: Dict[str, object] = {
        "type": kind,
        "http_version": "1.1",
        "scheme": "http" if kind == "http" else "ws",
        "path": path,
        "raw_path": path.encode("utf-8"),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"localhost:8000")],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }
    if kind == "http":
        scope["method"] = method
    else:
        scope["subprotocols"] = []
    scope.update(extra)
    return scope


class AsgiFront(FakeFront):
    """A fake front for an ASGI worker: requests go as scopes, and LOG frames are waited for."""

    def start_scope(self, request_id: int, scope: Dict[str, object], flags: int = NO_BODY | SCOPE,
                    eager_body: Optional[bytes] = None) -> None:
        data = pack(REQUEST, request_id, marshal.dumps(scope), flags)
        if eager_body is not None:
            data += pack(BODY, request_id, eager_body, BODY_END)
        self.conn.sendall(data)

    def get(self, path: str, request_id: int, query: bytes = b"", flags: int = NO_BODY | SCOPE) -> Exchange:
        self.start_scope(request_id, make_scope(path, query=query), flags)
        return self.finish_request(request_id)

    def frames_until(self, predicate: "Callable[[Frame], bool]", limit: int = 10_000) -> List[Frame]:
        frames = []
        for _ in range(limit):
            frame = self.read_frame()
            frames.append(frame)
            if predicate(frame):
                return frames
        raise AssertionError(f"no such frame among {frames[:20]}")

    def wait_for_log_frame(self, text: str, timeout: float = 5.0) -> Frame:
        """The first LOG frame containing text; reads (and keeps aside) frames until it comes."""
        deadline = time.monotonic() + timeout
        while True:
            for frame in self.logs:
                if text in frame.payload.decode("utf-8", "replace"):
                    return frame
            if time.monotonic() > deadline:
                raise AssertionError(f"no LOG frame with {text!r}: {[f.payload[:200] for f in self.logs]}")
            self.conn.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                frame = self.read_frame()
            except socket.timeout:
                continue
            finally:
                self.conn.settimeout(TIMEOUT)
            self.stray.append(frame)

    @property
    def stray(self) -> List[Frame]:
        if not hasattr(self, "_stray"):
            self._stray: List[Frame] = []
        return self._stray
