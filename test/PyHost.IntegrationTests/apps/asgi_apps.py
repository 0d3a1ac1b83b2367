"""ASGI applications in the shapes --interface auto must recognize at import: a coroutine function, an object whose
__call__ is one (as Starlette, FastAPI and Django's ASGIHandler are) and an ASGI 2 double callable; and one it cannot,
which only --interface asgi (or uvicorn's gunicorn worker class) serves."""
from __future__ import annotations

from typing import Any


async def _hello(scope: dict[str, Any], receive: Any, send: Any, shape: bytes) -> None:
    if scope["type"] != "http":
        return  # lifespan: nothing to start
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"asgi " + shape})


async def function_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await _hello(scope, receive, send, b"function")


class Application:
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await _hello(scope, receive, send, b"instance")


instance_app = Application()


class DoubleCallableApp:
    """ASGI 2 ("Legacy Applications"): the class is called with the scope, its instance with receive and send."""

    def __init__(self, scope: dict[str, Any]) -> None:
        self.scope = scope

    async def __call__(self, receive: Any, send: Any) -> None:
        await _hello(self.scope, receive, send, b"double callable")


def sync_function_app(scope: dict[str, Any], receive: Any, send: Any) -> Any:
    """Not a coroutine function, so --interface auto takes it for WSGI, yet it returns an ASGI app's coroutine (as a
    sync decorator around an ASGI app does): ASGI only when the server is told so."""
    return _hello(scope, receive, send, b"sync function")
