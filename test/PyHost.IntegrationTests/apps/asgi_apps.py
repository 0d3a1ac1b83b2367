"""ASGI 3 applications, which PyHost does not serve yet: it must say so at boot and exit 4, not answer 500s."""
from __future__ import annotations

from typing import Any


async def function_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})


class Application:
    """As Starlette, FastAPI and Django's ASGIHandler are: an object with an async __call__."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})


instance_app = Application()
