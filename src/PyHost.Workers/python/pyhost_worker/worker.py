"""The worker process: connect to the front, say HELLO, import the app, then serve its requests: a WSGI app one at a
time (here), an ASGI app on an event loop (asgi_worker)."""

from __future__ import annotations

import collections
import faulthandler
import marshal
import os
import platform
import signal
import socket
import sys
import threading
import time
from typing import Any, Deque, Dict, List, MutableMapping, Optional, Tuple

from . import loader
from .stacks import ready_payload, register_stack_dump
from .channel import Channel, flush_stdio, protocol_error
from .protocol import (
    ABORT,
    BODY,
    BODY_ABORTED,
    BODY_END,
    BODY_PULL,
    BOOT_FAILED,
    CREDIT,
    CREDIT_PAYLOAD,
    EXIT_BOOT_FAILED,
    EXIT_OK,
    HELLO,
    NO_BODY,
    NOT_STARTED,
    PULL_PAYLOAD,
    READY,
    RECALL,
    REQUEST,
    RESPONSE_END,
    RESPONSE_WINDOW,
    RETIRING,
    STOP,
    Frame,
    pack_frame,
)
from .wsgi import Response, ResponseCredit, WsgiApp, run_app, wsgi_keys
from .zygote import run_zygote
from .wsgi_input import EMPTY_INPUT, ClientDisconnected, WsgiInput

DEMO_APP = "pyhost_worker.demo:app"
# BOOT_FAILED because the app's import raised (or the worker could not become its user): the front exits 3 for it,
# gunicorn's WORKER_BOOT_ERROR; EXIT_BOOT_FAILED (4) is for a module that holds no usable WSGI app, APP_LOAD_ERROR.
EXIT_IMPORT_FAILED = 5


# How often a streaming response looks for an ABORT from the front between its chunks.
ABORT_CHECK_INTERVAL_NS = 1_000_000
_monotonic_ns = time.monotonic_ns


class Worker:
    """Serves the requests of one channel one at a time, in the order they came. The front may send a REQUEST
    while another runs (pipelining, docs/protocol.md): it waits in `_pending` until its turn, and can be taken
    back by ABORT or RECALL as long as it has not started."""

    def __init__(
        self,
        channel: Channel,
        app: WsgiApp,
        multiprocess: bool,
        debug: bool,
        multithread: bool = False,
        memory_limit: Optional[MemoryLimit] = None,
    ) -> None:
        self._channel = channel
        self._send = channel.send
        self._send_parts = channel.send_parts
        self._send_body = channel.send_body
        self._app = app
        self._debug = debug
        self._wsgi_keys = wsgi_keys(multiprocess, multithread)
        self._memory_limit = memory_limit
        self._stopping = False
        self._retiring = False  # RETIRING sent: every request from now on is given back
        self._pending: Deque[Tuple[int, int, bytes]] = collections.deque()  # (request id, flags, environ) not started
        self._early_body: Dict[int, List[Frame]] = {}  # BODY frames that came before their request started
        self._request_id = 0  # the request in flight; 0 between requests
        self._body: Deque[bytes] = collections.deque()  # BODY chunks not yet taken by wsgi.input
        self._body_end = False
        self._pull_pending = False
        self._aborted = False
        self._abort_checked_ns = 0  # when _client_gone() last looked at the socket
        self._credit = ResponseCredit(self._wait_for_credit)

    def serve(self) -> None:
        """Until STOP; the end of the socket exits the process from inside the channel."""
        receive = self._channel.receive
        pending = self._pending
        while not self._stopping:
            if not pending:
                self._on_frame(receive())
                self._take_buffered_frames()  # what came with it (its eager BODY, an ABORT), without a syscall
            else:
                self._take_arrived_frames()  # it waited while another ran: an ABORT or RECALL may have come since
            if pending:
                request_id, flags, payload = pending.popleft()
                self.handle(request_id, flags, payload)

    def handle(self, request_id: int, flags: int, payload: bytes) -> None:
        """One REQUEST: build the environ, run the app, send the response."""
        if request_id == 0:
            protocol_error("REQUEST with request id 0")
        self._request_id = request_id
        self._body.clear()
        self._pull_pending = self._aborted = False
        self._body_end = bool(flags & NO_BODY)
        self._credit.available = RESPONSE_WINDOW
        try:
            environ = marshal.loads(payload)
            environ.update(self._wsgi_keys)
        except (EOFError, ValueError, TypeError, AttributeError) as error:
            protocol_error(f"REQUEST payload is not a marshal dict: {error}")
        if self._body_end:
            environ["wsgi.input"] = EMPTY_INPUT
        else:
            early = self._early_body.pop(request_id, None)
            if early is not None:
                for frame in early:
                    self._on_frame(frame)
            environ["wsgi.input"] = WsgiInput(self._pull_body, environ.get("CONTENT_LENGTH"))
        response = Response(request_id, self._send, self._send_parts, self._send_body, self._credit)
        run_app(self._app, environ, response, self._client_gone, self._debug)
        self._request_id = 0
        if self._memory_limit is not None and not self._retiring:
            reason = self._memory_limit.exceeded()
            if reason is not None:
                self.retire(reason)

    def retire(self, reason: str) -> None:
        """Takes no more requests: tells the front why, and gives back those that wait here."""
        self._retiring = True
        self._send(pack_frame(RETIRING, 0, reason.encode("utf-8")))
        self._give_back(0)

    def _give_back(self, request_id: int) -> None:
        """RESPONSE_END(NOT_STARTED) for a waiting request (0: for all of them); the front runs it elsewhere."""
        kept = [waiting for waiting in self._pending if request_id not in (0, waiting[0])]
        for waiting in self._pending:
            if request_id in (0, waiting[0]):
                self._early_body.pop(waiting[0], None)
                self._send(pack_frame(RESPONSE_END, waiting[0], flags=NOT_STARTED))
        self._pending.clear()
        self._pending.extend(kept)

    def _on_frame(self, frame: Frame) -> None:
        frame_type, request_id, flags, payload = frame
        if frame_type == CREDIT:
            if request_id == self._request_id and len(payload) == 4:
                self._credit.available += CREDIT_PAYLOAD.unpack(payload)[0]
            # else: for a request that already ended
        elif frame_type == REQUEST:
            if request_id == 0 or request_id == self._request_id or any(w[0] == request_id for w in self._pending):
                protocol_error(f"REQUEST {request_id} while a request with that id is in flight")
            if self._retiring:
                self._send(pack_frame(RESPONSE_END, request_id, flags=NOT_STARTED))
            else:
                self._pending.append((request_id, flags, payload))
        elif frame_type == BODY or frame_type == ABORT:
            if request_id != self._request_id:
                if any(waiting[0] == request_id for waiting in self._pending):
                    if frame_type == ABORT:
                        self._give_back(request_id)  # withdrawn before it started: never run
                    else:
                        self._early_body.setdefault(request_id, []).append(frame)
                # else: for a finished request (an unread eager BODY, an ABORT that crossed our RESPONSE_END)
                return
            if frame_type == ABORT or flags & BODY_ABORTED:
                self._aborted = True
                return
            self._pull_pending = False
            if payload:
                self._body.append(payload)
            if flags & BODY_END:
                self._body_end = True
        elif frame_type == RECALL:
            self._give_back(request_id)
        elif frame_type == STOP:
            self._stopping = True  # seen by serve() once the request in flight is done
        else:
            protocol_error(f"unexpected frame type {frame_type} (request id {request_id})")

    def _pull_body(self) -> bytes:
        """The next request body chunk for wsgi.input, b"" at the end; asks the front for it if needed."""
        looked = False
        while True:
            if self._aborted:
                raise ClientDisconnected("client disconnected")
            if self._body:
                return self._body.popleft()
            if self._body_end:
                return b""
            if not looked:  # an eager BODY that already arrived needs no pull
                looked = True
                self._take_arrived_frames()
                continue
            if not self._pull_pending:  # one pull in flight at most: memory stays bounded
                self._pull_pending = True
                self._send(pack_frame(BODY_PULL, self._request_id, PULL_PAYLOAD))
            self._on_frame(self._channel.receive())

    def _wait_for_credit(self) -> None:
        """The response used up its credit: wait for the front to accept more (or for the client to leave)."""
        if self._aborted:
            raise ClientDisconnected("client disconnected")
        self._on_frame(self._channel.receive())
        if self._aborted:
            raise ClientDisconnected("client disconnected")

    def _take_buffered_frames(self) -> None:
        """Handles the frames already read from the socket, without a syscall."""
        buffered = self._channel.buffered
        frame = buffered()
        while frame is not None:
            self._on_frame(frame)
            frame = buffered()

    def _take_arrived_frames(self) -> None:
        """Handles the frames that already arrived, without waiting for more."""
        poll = self._channel.poll
        frame = poll()
        while frame is not None:
            self._on_frame(frame)
            frame = poll()

    def _client_gone(self) -> bool:
        """Between response chunks: did an ABORT for this request arrive? The socket is looked at once a millisecond
        at most: a look is a recv() (and an exception when nothing came) that cost more than a small chunk's own
        write, and a generator that runs on for a millisecond after its client left loses nothing."""
        now = _monotonic_ns()
        if now - self._abort_checked_ns >= ABORT_CHECK_INTERVAL_NS:
            self._abort_checked_ns = now
            self._take_arrived_frames()
        return self._aborted


class MemoryLimit:
    """--max-worker-memory, checked by the worker itself after each request: it knows its resident size from one
    pread() of /proc/self/statm, so a leaking worker stops taking requests at once instead of at the next
    check of the front's clock."""

    def __init__(self, limit_mib: int) -> None:
        self._limit_bytes = limit_mib * 1024 * 1024
        self._limit_mib = limit_mib
        self._page_size = os.sysconf("SC_PAGE_SIZE")
        self._statm = os.open("/proc/self/statm", os.O_RDONLY | os.O_CLOEXEC)

    def resident_bytes(self) -> int:
        return int(os.pread(self._statm, 128, 0).split()[1]) * self._page_size

    def exceeded(self) -> Optional[str]:
        """Why the worker must retire, or None."""
        resident = self.resident_bytes()
        if resident <= self._limit_bytes:
            return None
        return f"uses {resident // (1024 * 1024)} MiB, over --max-worker-memory {self._limit_mib} MiB"


def _setup_process() -> None:
    # Ctrl-C in a terminal reaches the whole process group; the front decides what happens to workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The front asks for every thread's stack before it kills a worker that ran past its timeout.
    if hasattr(signal, "SIGUSR1") and sys.stderr is not None:
        faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True)
    # fd 1 and 2 are pipes into the front's log: flush every line so an app's print() shows promptly.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(line_buffering=True)


def _start_watchdog() -> None:
    """Exit when the front dies even while a request hangs: the socket's end is only seen between reads."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(EXIT_OK)

    threading.Thread(target=watch, name="pyhost-watchdog", daemon=True).start()


def _extend_sys_path(pythonpath: str) -> None:
    """PYHOST_PYTHONPATH first, in order, then the app directory (the cwd), which `python -m` put on sys.path
    unless PYTHONSAFEPATH told it not to. The runtime directory holding this package stays: nothing else is in it."""
    cwd = os.getcwd()
    if "" not in sys.path and cwd not in sys.path:
        sys.path.insert(0, cwd)
    sys.path[:0] = [os.path.abspath(entry) for entry in pythonpath.split(os.pathsep) if entry]


def _connect(path: str) -> Channel:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    return Channel(sock)


def _drop_privileges(user: str, group: str) -> None:
    """--user/--group: the front drops to them once its sockets are bound, so a worker normally starts as that user
    already and only sets HOME and USER; a front that could not drop (not root) leaves the drop to the worker, which
    then fails with a clear error. Done after the worker connected and before the app is imported."""
    import grp
    import pwd

    entry = (pwd.getpwuid(int(user)) if user.isdigit() else pwd.getpwnam(user)) if user else None
    gid = (int(group) if group.isdigit() else grp.getgrnam(group).gr_gid) if group else (entry.pw_gid if entry else None)
    if gid is not None and (os.getgid() != gid or os.getegid() != gid):
        os.setgroups([gid])
        os.setgid(gid)
    if entry is not None:
        if os.getuid() != entry.pw_uid or os.geteuid() != entry.pw_uid:
            os.setuid(entry.pw_uid)
        os.environ["HOME"] = entry.pw_dir
        os.environ["USER"] = os.environ["LOGNAME"] = entry.pw_name


# The variables the front sets for the worker (docs/protocol.md). A PYHOST_* variable the user gave with -e is the
# app's and stays.
SETTINGS = (
    "PYHOST_SOCKET", "PYHOST_TOKEN", "PYHOST_WORKER_ID", "PYHOST_APP", "PYHOST_PYTHONPATH", "PYHOST_DEBUG",
    "PYHOST_MULTIPROCESS", "PYHOST_THREADS", "PYHOST_ZYGOTE", "PYHOST_USER", "PYHOST_GROUP", "PYHOST_PROC_NAME",
    "PYHOST_MAX_MEMORY_MIB", "PYHOST_INTERFACE", "PYHOST_LIFESPAN", "PYHOST_LOOP", "PYHOST_BLOCKED_LOOP_SECONDS",
)


def _take_settings(env: MutableMapping[str, str]) -> Dict[str, str]:
    """The worker's settings, removed from the environment once read: the token and the socket are secrets of the
    worker's channel, and none of them is the app's business, nor its subprocesses'."""
    return {key: env.pop(key) for key in SETTINGS if key in env}


def _set_process_name(name: str) -> None:
    """--name: the kernel's process name (comm, 15 bytes), what ps, top and pgrep show; as the front sets its own."""
    if not name:
        return
    try:
        with open("/proc/self/comm", "wb") as comm:
            comm.write(name.encode("utf-8")[:15])
    except OSError:
        pass


def _serve_more_threads(count: int, socket_path: str, hello: bytes, ready: bytes, app: WsgiApp, multiprocess: bool,
                        debug: bool, memory_limit: Optional[MemoryLimit]) -> None:
    """--threads: each more request slot is a thread with its own channel, so the front dispatches to it like to a
    worker of its own, and one slow request never holds up another's frames."""
    def serve_one() -> None:
        channel = _connect(socket_path)
        channel.send(pack_frame(HELLO, 0, hello) + pack_frame(READY, 0, ready))
        Worker(channel, app, multiprocess, debug, multithread=True, memory_limit=memory_limit).serve()
        os._exit(EXIT_OK)  # STOP or end of file on any channel ends the process, as on the first

    for index in range(count):
        threading.Thread(target=serve_one, name=f"pyhost-request-{index + 2}", daemon=True).start()


def main() -> int:
    env = _take_settings(os.environ)
    socket_path = env.get("PYHOST_SOCKET")
    if not socket_path:
        sys.stderr.write("pyhost worker: PYHOST_SOCKET is not set; PyHost starts this module itself\n")
        return 2
    _setup_process()
    _set_process_name(env.get("PYHOST_PROC_NAME", ""))
    # A process group of its own: a Ctrl-C or a signal to the front's group is the front's to pass on.
    try:
        os.setpgid(0, 0)
    except OSError:
        pass
    if env.get("PYHOST_ZYGOTE") != "1":
        _start_watchdog()  # a zygote watches its parent itself: it must stay single-threaded to fork
    try:
        channel = _connect(socket_path)
    except OSError as error:
        sys.stderr.write(f"pyhost worker: cannot connect to {socket_path}: {error}\n")
        return 1
    hello = f"{env.get('PYHOST_WORKER_ID', '0')}:{env.get('PYHOST_TOKEN', '')}".encode("ascii")
    channel.send(pack_frame(HELLO, 0, hello))

    user, group = env.get("PYHOST_USER", ""), env.get("PYHOST_GROUP", "")
    if user or group:
        from . import demo  # noqa: F401  (imported while the runtime directory is still readable)

        try:
            _drop_privileges(user, group)
        except (KeyError, OSError) as error:
            report = f"cannot run as user {user or '-'} group {group or '-'}: {error}\nhint: check --user/--group"
            channel.send(pack_frame(BOOT_FAILED, 0, report.encode("utf-8")))
            flush_stdio()
            os._exit(EXIT_IMPORT_FAILED)
    _extend_sys_path(env.get("PYHOST_PYTHONPATH", ""))
    spec = env.get("PYHOST_APP") or DEMO_APP
    app: Any
    try:
        app = loader.load_app(spec)
        interface = loader.choose_interface(app, env.get("PYHOST_INTERFACE", "auto"))
    except BaseException as error:  # anything the app's import does, sys.exit() included
        report = loader.describe_failure(spec, error)
        channel.send(pack_frame(BOOT_FAILED, 0, report.encode("utf-8", "backslashreplace")))
        flush_stdio()
        # gunicorn's statuses: 4 when the module holds no usable app, another (3 at the front) when importing it
        # failed. Not sys.exit: threads the app's import started must not keep us alive.
        os._exit(EXIT_BOOT_FAILED if isinstance(error, loader.AppImportError) else EXIT_IMPORT_FAILED)
    zygote = env.get("PYHOST_ZYGOTE") == "1"
    if interface == loader.ASGI:
        return _serve_asgi(channel, app, socket_path, zygote, env)
    ready = ready_payload(os.getpid(), platform.python_version(), register_stack_dump())
    channel.send(pack_frame(READY, 0, ready))

    multiprocess, debug = env.get("PYHOST_MULTIPROCESS") == "1", env.get("PYHOST_DEBUG") == "1"
    threads = max(1, int(env.get("PYHOST_THREADS", "1") or "1"))
    memory_limit_mib = int(env.get("PYHOST_MAX_MEMORY_MIB", "0") or "0")

    def serve(first: Channel, hello: bytes, ready: bytes) -> None:
        # Made after a fork, in the process that serves: /proc/self is then this process.
        memory_limit = MemoryLimit(memory_limit_mib) if memory_limit_mib > 0 else None
        if threads > 1:
            _serve_more_threads(threads - 1, socket_path, hello, ready, app, multiprocess, debug, memory_limit)
        Worker(first, app, multiprocess, debug, multithread=threads > 1, memory_limit=memory_limit).serve()

    if zygote:
        def serve_forked_worker(worker_id: str, token: str) -> None:
            _start_watchdog()  # its parent is now the zygote: it leaves when the zygote does
            child_hello = f"{worker_id}:{token}".encode("ascii")
            child_ready = ready_payload(os.getpid(), platform.python_version(), register_stack_dump())
            child = _connect(socket_path)
            child.send(pack_frame(HELLO, 0, child_hello) + pack_frame(READY, 0, child_ready))
            serve(child, child_hello, child_ready)

        run_zygote(channel, serve_forked_worker)
        return EXIT_OK
    serve(channel, hello, ready)
    return EXIT_OK


def _serve_asgi(channel: Channel, app: Any, socket_path: str, zygote: bool, env: Dict[str, str]) -> int:
    """An ASGI app: one event loop per process (asgi_worker), with its lifespan run before READY. Imported only here,
    so a WSGI worker never loads asyncio."""
    from .asgi_worker import AsgiSettings, serve_asgi

    app = loader.as_asgi3(app)
    settings = AsgiSettings.from_environment(env)
    if not zygote:
        serve_asgi(channel, app, settings)
    # --preload: the zygote imported the app and serves nothing; each forked child runs its own loop and lifespan.
    channel.send(pack_frame(READY, 0, f"{os.getpid()} {platform.python_version()} asgi".encode("utf-8")))

    def serve_forked_worker(worker_id: str, token: str) -> None:
        _start_watchdog()
        child = _connect(socket_path)
        child.send(pack_frame(HELLO, 0, f"{worker_id}:{token}".encode("ascii")))
        serve_asgi(child, app, settings)

    run_zygote(channel, serve_forked_worker)
    return EXIT_OK
