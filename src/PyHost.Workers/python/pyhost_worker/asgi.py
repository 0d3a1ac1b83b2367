"""What every ASGI connection shares: the scope as the worker completes it, the exception send() raises once the
client is gone, and how a task's stack is shown (asgiref specs/asgi.rst, www.rst, lifespan.rst)."""

from __future__ import annotations

import asyncio
import os
import sys
from types import FrameType
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from .wsgi_input import ClientDisconnected as _InputDisconnected

AsgiApp = Callable[[Dict[str, Any], Callable[[], Awaitable[Dict[str, Any]]], Callable[[Dict[str, Any]], Awaitable[None]]],
                   Awaitable[None]]

ASGI_VERSION = "3.0"
# www.rst 2.5: the reason in websocket.disconnect; 2.4: send() raises once the connection is closed.
SPEC_VERSION = "2.5"
LIFESPAN_SPEC_VERSION = "2.0"

# Python logging levels, carried in the LOG frame's flags.
DEBUG, INFO, WARNING, ERROR = 10, 20, 30, 40


class ClientDisconnected(_InputDisconnected):
    """send() after the client went away (www.rst "Disconnected Client - send exception": a subclass of OSError,
    which the server does not log as an error)."""


def request_line(scope: Dict[str, Any], site: Optional[str] = None) -> str:
    """"GET /path?query", or "WebSocket /path", with " (site blog)" when the front named a site other than a
    command line's one ("default"), for log lines."""
    target = scope.get("path", "")
    query = scope.get("query_string", b"")
    if query:
        target += "?" + query.decode("latin-1")
    line = f"WebSocket {target}" if scope.get("type") == "websocket" else f"{scope.get('method', '-')} {target}"
    return f"{line} (site {site})" if site and site != "default" else line


def scope_from_environ(environ: Dict[str, str]) -> Dict[str, Any]:
    """The ASGI scope of a request that came as a CGI environ: from a gateway listener (uwsgi, FastCGI, SCGI) that has
    nothing more to give. www.rst "WSGI Compatibility" read backwards; `path` includes `root_path` as it says."""
    headers: List[Tuple[bytes, bytes]] = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers.append((key[5:].replace("_", "-").lower().encode("latin-1"), value.encode("latin-1")))
    for key, name in (("CONTENT_TYPE", b"content-type"), ("CONTENT_LENGTH", b"content-length")):
        if environ.get(key):
            headers.append((name, environ[key].encode("latin-1")))
    root_path = environ.get("SCRIPT_NAME", "")
    path_bytes = (root_path + environ.get("PATH_INFO", "")).encode("latin-1")
    uri = environ.get("REQUEST_URI") or environ.get("RAW_URI")
    raw_path = uri.partition("?")[0].encode("latin-1") if uri else path_bytes
    protocol = environ.get("SERVER_PROTOCOL", "HTTP/1.1")
    scheme = environ.get("wsgi.url_scheme") or ("https" if environ.get("HTTPS", "").lower() in ("on", "1") else "http")
    client = None
    if environ.get("REMOTE_ADDR"):
        client = (environ["REMOTE_ADDR"], int(environ.get("REMOTE_PORT") or 0))
    server = None
    if environ.get("SERVER_NAME"):
        port = environ.get("SERVER_PORT")
        server = (environ["SERVER_NAME"], int(port) if port and port.isdigit() else None)
    return {
        "type": "http",
        "http_version": protocol.partition("/")[2] or "1.1",
        "method": environ.get("REQUEST_METHOD", "GET"),
        "scheme": scheme,
        "path": path_bytes.decode("utf-8", "replace"),
        "raw_path": raw_path,
        "query_string": environ.get("QUERY_STRING", "").encode("latin-1"),
        "root_path": root_path.encode("latin-1").decode("utf-8", "replace"),
        "headers": headers,
        "client": client,
        "server": server,
    }


# ---- Where a task waits

_OWN_DIRECTORIES = (os.path.dirname(asyncio.__file__) + os.sep, os.path.dirname(__file__) + os.sep)


def _format_frame(frame: FrameType, lineno: Optional[int] = None) -> str:
    import linecache

    code = frame.f_code
    line = lineno if lineno is not None else frame.f_lineno
    text = f'  File "{code.co_filename}", line {line}, in {code.co_name}\n'
    source = linecache.getline(code.co_filename, line, frame.f_globals).strip()
    if source:
        text += f"    {source}\n"
    return text


def _own(frame: FrameType) -> bool:
    """A frame of the interpreter's start, of asyncio, or of this package: not the app's."""
    filename = frame.f_code.co_filename
    return filename.startswith(_OWN_DIRECTORIES) or filename.startswith("<frozen")


def awaiting_stack(task: "asyncio.Task[Any]") -> str:
    """Where a suspended task is waiting, outermost first: its coroutine, the coroutine that one awaits, and so on
    down to the future at the bottom (Task.get_stack() gives only the outermost frame of a suspended coroutine).
    A task awaited on the way is followed into; the worker's own frames at the top are left out."""
    frames: List[FrameType] = []
    tail = ""
    awaitable: Any = task.get_coro()
    while awaitable is not None and len(frames) < 200:
        if isinstance(awaitable, asyncio.Task):
            awaitable = awaitable.get_coro()
            continue
        frame = getattr(awaitable, "cr_frame", None) or getattr(awaitable, "gi_frame", None) \
            or getattr(awaitable, "ag_frame", None)
        if frame is None:
            if type(awaitable).__name__ != "FutureIter":  # `await future`: the frame above already says so
                tail = f"  awaiting {_describe(awaitable)}\n"
            break
        frames.append(frame)
        following = getattr(awaitable, "cr_await", None)
        if following is None:
            following = getattr(awaitable, "gi_yieldfrom", None)
        if isinstance(following, asyncio.Future) and not isinstance(following, asyncio.Task):
            tail = f"  awaiting {_describe(following)}\n"
            break
        awaitable = following
    while frames and _own(frames[0]) and len(frames) > 1:
        frames.pop(0)
    return "".join(_format_frame(frame) for frame in frames) + tail or "  (no frame: the task had not started)\n"


def _describe(awaitable: Any) -> str:
    text = repr(awaitable)
    return text if len(text) < 300 else text[:297] + "..."


def thread_stack(frame: Optional[FrameType]) -> str:
    """A running thread's stack, innermost last, without the frames of the worker and its loop at the top of it."""
    frames: List[FrameType] = []
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back
    frames.reverse()
    start = next((index for index, each in enumerate(frames) if not _own(each)), 0)
    return "".join(_format_frame(each) for each in frames[start:])


def app_traceback(error: BaseException) -> str:
    """The traceback of an app's exception, from the app's first frame on."""
    import traceback

    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None and _own(tb.tb_frame):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(error), error, tb)).rstrip()


def main_thread_frame() -> Optional[FrameType]:
    import threading

    return sys._current_frames().get(threading.main_thread().ident or 0)
