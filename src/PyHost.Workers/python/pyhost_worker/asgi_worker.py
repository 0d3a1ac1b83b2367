"""The ASGI worker: one event loop (uvloop when there is one) running every request of this process as a task of its
own. The front sends as many requests at once as --worker-connections allows, multiplexed by request id on the one
socket (docs/protocol.md); frames are routed here to their request, and the app's messages become frames there."""

from __future__ import annotations

import asyncio
import marshal
import os
import platform
import signal
import socket
import struct
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, Mapping, NoReturn, Optional, Union

from .asgi import (
    ASGI_VERSION,
    DEBUG,
    ERROR,
    INFO,
    SPEC_VERSION,
    WARNING,
    AsgiApp,
    ClientDisconnected,
    app_traceback,
    awaiting_stack,
    main_thread_frame,
    request_line,
    scope_from_environ,
    thread_stack,
)
from .asgi_channel import LoopChannel, log_frame
from .asgi_http import HttpRequest
from .asgi_lifespan import Lifespan, LifespanFailed
from .asgi_websocket import CONNECTING, WebSocketConnection
from .channel import Channel, flush_stdio, protocol_error
from .protocol import (
    ABORT,
    APP_ERROR,
    BODY,
    BOOT_FAILED,
    CANCEL,
    CREDIT,
    EXIT_BOOT_FAILED,
    EXIT_OK,
    NO_BODY,
    NOT_STARTED,
    READY,
    RECALL,
    REQUEST,
    RESPONSE_END,
    RETIRING,
    SCOPE,
    STOP,
    TRAILERS,
    WS_DISCONNECT,
    WS_MESSAGE,
    Frame,
    pack_frame,
)

Connection = Union[HttpRequest, WebSocketConnection]
_u32 = struct.Struct("<I").unpack


def _line(connection: Connection) -> str:
    """The request as log lines name it, with the site the front's route table chose."""
    return request_line(connection.scope, connection.site)


# How long the event loop may go without running before the watchdog reports the call that blocks it.
BLOCKED_LOOP_SECONDS = 1.0
HEARTBEAT_SECONDS = 0.1


@dataclass(frozen=True)
class AsgiSettings:
    """The PYHOST_* variables the ASGI worker reads, once."""

    lifespan: str = "auto"
    loop: str = "auto"
    debug: bool = False
    memory_limit_mib: int = 0
    pathsend: bool = True  # off when the workers run as another user than the front: it must not read files for them
    blocked_loop_seconds: float = BLOCKED_LOOP_SECONDS

    @staticmethod
    def from_environment(env: Mapping[str, str]) -> "AsgiSettings":
        return AsgiSettings(
            lifespan=env.get("PYHOST_LIFESPAN", "auto") or "auto",
            loop=env.get("PYHOST_LOOP", "auto") or "auto",
            debug=env.get("PYHOST_DEBUG") == "1",
            memory_limit_mib=int(env.get("PYHOST_MAX_MEMORY_MIB", "0") or "0"),
            pathsend=not (env.get("PYHOST_USER") or env.get("PYHOST_GROUP")),
            blocked_loop_seconds=float(env.get("PYHOST_BLOCKED_LOOP_SECONDS", "") or BLOCKED_LOOP_SECONDS),
        )


class LoopUnavailable(Exception):
    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


def new_event_loop(choice: str) -> "tuple[asyncio.AbstractEventLoop, str]":
    """--loop auto|asyncio|uvloop: uvloop when it is importable (auto), or as asked."""
    if choice in ("auto", "uvloop"):
        try:
            import uvloop  # type: ignore[import-not-found]
        except ImportError:
            if choice == "uvloop":
                raise LoopUnavailable(
                    f"--loop uvloop, and uvloop cannot be imported by {sys.executable}",
                    "install uvloop for this interpreter (Debian: python3-uvloop), or use --loop auto or asyncio",
                ) from None
        else:
            return uvloop.new_event_loop(), "uvloop"
    return asyncio.new_event_loop(), "asyncio"


class AsgiWorker:
    """Routes the front's frames to the requests' tasks, and runs the worker's life: lifespan, serving, draining."""

    def __init__(self, sock: socket.socket, app: AsgiApp, settings: AsgiSettings,
                 loop: asyncio.AbstractEventLoop) -> None:
        self._app = app
        self._settings = settings
        self._loop = loop
        self._channel = LoopChannel(sock, loop, self._on_frame, self._front_closed)
        self._requests: Dict[int, Connection] = {}
        self._lifespan = Lifespan(app, settings.lifespan, self.log)
        self._retiring = False
        self._stopping = False
        self._stopped: "asyncio.Future[None]" = loop.create_future()
        self._memory_limit: Optional[Any] = None
        if settings.memory_limit_mib > 0:
            from .worker import MemoryLimit

            self._memory_limit = MemoryLimit(settings.memory_limit_mib)

    # ---- The life of the worker

    async def run(self, ready_payload: bytes) -> None:
        try:
            await self._lifespan.startup()
        except LifespanFailed as failure:
            report = f"{failure}\nhint: the app's lifespan startup failed; see its message above"
            self._channel.write(pack_frame(BOOT_FAILED, 0, report.encode("utf-8", "backslashreplace")))
            self._channel.flush()
            flush_stdio()
            os._exit(EXIT_BOOT_FAILED)
        self._channel.write(pack_frame(READY, 0, ready_payload))
        self._channel.start()
        self._loop.add_signal_handler(signal.SIGTERM, self._terminate)
        LoopWatchdog(self._loop, self._channel, self._running_request, self._settings.blocked_loop_seconds).start()
        await self._stopped
        await self._drain()
        await self._lifespan.shutdown()
        self._channel.flush()

    async def _drain(self) -> None:
        """Every task still running (background tasks after a response, requests of a worker being stopped) ends
        before the lifespan shutdown; SIGTERM cancels them."""
        while self._requests:
            tasks = {connection.task for connection in self._requests.values() if connection.task is not None}
            if not tasks:
                break
            await asyncio.wait(tasks)

    def _front_closed(self) -> None:
        """End of file: the front drained this worker (or died). Finish what runs, shut down, exit."""
        self._stop()

    def _stop(self) -> None:
        self._stopping = True
        if not self._stopped.done():
            self._stopped.set_result(None)

    def _terminate(self) -> None:
        """SIGTERM (the front's graceful timeout ran out): cancel what still runs, then shut down."""
        self._stop()
        for connection in list(self._requests.values()):
            if connection.task is not None and not connection.task.done():
                self.log(WARNING, f"{_line(connection)}: cancelled, the worker is being stopped",
                         connection.request_id)
                connection.task.cancel()

    def log(self, level: int, text: str, request_id: int = 0) -> None:
        """A line for the front's log, at this level (LOG frame); the front names the worker."""
        self._channel.write(log_frame(level, request_id, text))

    # ---- Frames

    def _on_frame(self, frame: Frame) -> None:
        frame_type, request_id, flags, payload = frame
        if frame_type == REQUEST:
            self._start(request_id, flags, payload)
            return
        connection = self._requests.get(request_id)
        if frame_type == CREDIT:
            if connection is not None and len(payload) == 4:
                connection.add_credit(_u32(payload)[0])
        elif frame_type == BODY:
            if connection is not None:
                connection.body_received(flags, payload)
        elif frame_type == WS_MESSAGE:
            if isinstance(connection, WebSocketConnection):
                connection.message_received(flags, payload)
        elif frame_type == ABORT:
            if connection is not None:
                connection.abort()
        elif frame_type == WS_DISCONNECT:
            if isinstance(connection, WebSocketConnection):
                connection.closed_by_client(payload)
        elif frame_type == CANCEL:
            if connection is not None:
                self._cancel(connection)
        elif frame_type == RECALL:
            pass  # every request starts as it comes: none waits here to be given back
        elif frame_type == STOP:
            self._stop()
        else:
            protocol_error(f"unexpected frame type {frame_type} (request id {request_id})")

    def _start(self, request_id: int, flags: int, payload: bytes) -> None:
        if request_id == 0 or request_id in self._requests:
            protocol_error(f"REQUEST {request_id} while a request with that id is in flight")
        if self._retiring or self._stopping:
            self._channel.write(pack_frame(RESPONSE_END, request_id, flags=NOT_STARTED))
            return
        try:
            scope = marshal.loads(payload)
        except (EOFError, ValueError, TypeError) as error:
            protocol_error(f"REQUEST payload is not a marshal dict: {error}")
        # The front's name of the site, for log lines only: the app's scope stays as ASGI has it.
        site = scope.pop("pyhost.site", None)
        if not flags & SCOPE:
            scope = scope_from_environ(scope)
        scope["asgi"] = {"version": ASGI_VERSION, "spec_version": SPEC_VERSION}
        state = self._lifespan.state
        scope["state"] = state.copy() if state else {}
        connection: Connection
        if scope["type"] == "http":
            extensions: Dict[str, Any] = {"http.response.pathsend": {}} if self._settings.pathsend else {}
            if flags & TRAILERS:
                extensions["http.response.trailers"] = {}
            scope["extensions"] = extensions
            connection = HttpRequest(request_id, scope, self._channel, self._loop, bool(flags & NO_BODY),
                                     bool(flags & TRAILERS))
            connection.site = site
            self._requests[request_id] = connection
            connection.task = self._loop.create_task(self._run_http(connection))
        else:
            scope["extensions"] = {"websocket.http.response": {}}
            connection = WebSocketConnection(request_id, scope, self._channel, self._loop)
            connection.site = site
            self._requests[request_id] = connection
            connection.task = self._loop.create_task(self._run_websocket(connection))

    # ---- Requests

    async def _run_http(self, request: HttpRequest) -> None:
        try:
            await self._app(request.scope, request.receive, request.send)
        except asyncio.CancelledError:
            if not request.cancelled and not self._stopping:
                raise
        except ClientDisconnected:
            pass  # www.rst: the server raised it; not an error
        except BaseException as error:  # noqa: B902 - whatever the app raises is answered and logged
            self._app_failed(request, error)
        else:
            if not request.complete:
                what = "completing" if request.start_given else "starting"
                if not request.started:  # nothing went out: a 500 page still can
                    self.log(ERROR, f"{_line(request)}: the ASGI app returned without {what} a response; "
                                    "answered 500", request.request_id)
                    request.send_error_page("")
                else:
                    self.log(ERROR, f"{_line(request)}: the ASGI app returned without completing its "
                                    "response; the connection is cut", request.request_id)
                    request.end(APP_ERROR)
        finally:
            self._finished(request)

    async def _run_websocket(self, websocket: WebSocketConnection) -> None:
        try:
            await self._app(websocket.scope, websocket.receive, websocket.send)
        except asyncio.CancelledError:
            if not websocket.cancelled and not self._stopping:
                raise
        except ClientDisconnected:
            pass
        except BaseException as error:  # noqa: B902
            self._app_failed(websocket, error)
        else:
            if not websocket.started:
                self.log(ERROR, f"{_line(websocket)}: the ASGI app returned without accepting or "
                                "closing the WebSocket; answered 500", websocket.request_id)
                websocket.end_with(b"500\0content-length\x000")
        finally:
            self._finished(websocket)

    def _app_failed(self, connection: Connection, error: BaseException) -> None:
        details = app_traceback(error)
        line = _line(connection)
        if connection.disconnected:
            # An app often fails on its way out once its client left (a send that raised, wrapped by its framework).
            self.log(INFO, f"{line}: the app raised after the client disconnected: {type(error).__name__}: {error}",
                     connection.request_id)
        else:
            self.log(ERROR, f"Exception in ASGI application handling {line}\n{details}", connection.request_id)
        if connection.ended:
            return
        if isinstance(connection, HttpRequest):
            if not connection.started:
                connection.send_error_page(details if self._settings.debug else "")
            else:
                connection.end(APP_ERROR)
        elif not connection.started:
            connection.end_with(b"500\0content-length\x000")
        else:
            connection.end(APP_ERROR)

    def _finished(self, connection: Connection) -> None:
        if not connection.ended:
            connection.end()
        del self._requests[connection.request_id]
        if self._memory_limit is not None and not self._retiring:
            reason = self._memory_limit.exceeded()
            if reason is not None:
                self._retiring = True
                self._channel.write(pack_frame(RETIRING, 0, reason.encode("utf-8")))

    def _cancel(self, connection: Connection) -> None:
        """CANCEL: the request ran past --timeout; the front answered 504. Where it was stuck goes to the log."""
        task = connection.task
        if task is None or task.done() or connection.cancelled:
            return
        connection.cancelled = True
        self.log(ERROR, f"{_line(connection)} ran past --timeout: its task is cancelled (the client got "
                        f"504 if nothing was sent yet). It was awaiting:\n{awaiting_stack(task).rstrip()}",
                 connection.request_id)
        task.cancel()

    def _running_request(self) -> str:
        """The request whose task runs now (the one blocking the loop), for the watchdog; "" if none."""
        try:
            task = asyncio.current_task(self._loop)
            if task is None:
                return ""
            for connection in list(self._requests.values()):
                if connection.task is task:
                    return _line(connection)
        except RuntimeError:  # the loop thread changed the dict meanwhile
            pass
        return ""


class LoopWatchdog:
    """Reports a blocked event loop while it is blocked: the loop beats every 0.1 s; when a beat is late by more than
    the threshold, a thread takes the loop thread's stack (the blocking call is its innermost frame) and puts it on
    the socket itself. The most common bug of async Python apps, which no other server reports."""

    def __init__(self, loop: asyncio.AbstractEventLoop, channel: LoopChannel, running: Callable[[], str],
                 threshold: float) -> None:
        self._loop = loop
        self._channel = channel
        self._running = running
        self._threshold = threshold
        self._beat = time.monotonic()
        self._reported: Optional[float] = None  # the beat whose lateness was reported

    def start(self) -> None:
        self._loop.call_soon(self._heartbeat)
        threading.Thread(target=self._watch, name="pyhost-loop-watchdog", daemon=True).start()

    def _heartbeat(self) -> None:
        now = time.monotonic()
        if self._reported is not None and self._reported == self._beat:
            self._channel.write(log_frame(WARNING, 0, f"the event loop runs again after {now - self._beat:.1f} s"))
        self._beat = now
        self._loop.call_later(HEARTBEAT_SECONDS, self._heartbeat)

    def _watch(self) -> None:
        while True:
            time.sleep(HEARTBEAT_SECONDS)
            beat = self._beat
            late = time.monotonic() - beat
            if late < self._threshold or self._reported == beat:
                continue
            self._reported = beat
            running = self._running()
            who = f" by {running}" if running else ""
            self._channel.log_from_thread(
                WARNING, 0,
                f"the event loop has been blocked for {late:.1f} s{who}: a blocking call in a coroutine holds up "
                f"every request of this worker. The blocking call:\n{thread_stack(main_thread_frame()).rstrip()}",
            )


def ready_payload(interface_detail: str) -> bytes:
    # A stack file as the WSGI worker has one: the admin API's stack dump works for ASGI workers too.
    from .stacks import ready_payload as payload, register_stack_dump
    return payload(os.getpid(), platform.python_version(), register_stack_dump(), interface_detail)


def serve_asgi(channel: Channel, app: AsgiApp, settings: AsgiSettings) -> NoReturn:
    """Serve on this channel until the front closes it: lifespan startup, READY, requests, lifespan shutdown."""
    try:
        loop, loop_name = new_event_loop(settings.loop)
    except LoopUnavailable as error:
        report = f"LoopUnavailable: {error}\nhint: {error.hint}"
        channel.send(pack_frame(BOOT_FAILED, 0, report.encode("utf-8")))
        flush_stdio()
        os._exit(EXIT_BOOT_FAILED)
    asyncio.set_event_loop(loop)
    worker = AsgiWorker(channel.detach(), app, settings, loop)
    try:
        loop.run_until_complete(worker.run(ready_payload(f"asgi {loop_name}")))
    finally:
        flush_stdio()
    os._exit(EXIT_OK)
