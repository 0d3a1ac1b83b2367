"""ASGI 3 applications in the two shapes --interface auto must recognize at import: a coroutine function, and an
object whose __call__ is one (as Starlette, FastAPI and Django's ASGIHandler are)."""
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
