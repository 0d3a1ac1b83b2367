"""The ASGI benchmark apps (bench/run-asgi): each server under test serves these same objects.

    starlette_hello   Starlette, a route answering plain text
    fastapi_json      FastAPI, a typed path parameter and a pydantic response model (a typical JSON endpoint)
    stream            Starlette's StreamingResponse: 1,000 chunks of 16 bytes
    websocket_echo    a plain ASGI WebSocket echo: what the server costs per message, not a framework
"""

from typing import List

from fastapi import FastAPI
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Route


async def hello(request):
    return PlainTextResponse("Hello, world!")


async def chunks(request):
    async def body():
        chunk = b"0123456789abcde\n"
        for _ in range(1000):
            yield chunk

    return StreamingResponse(body(), media_type="text/plain")


starlette_hello = Starlette(routes=[Route("/", hello)])
stream = Starlette(routes=[Route("/", chunks)])


class Item(BaseModel):
    id: int
    name: str
    price: float
    tags: List[str]
    in_stock: bool


fastapi_json = FastAPI()


@fastapi_json.get("/", response_model=Item)
async def item() -> Item:
    return Item(id=42, name="hammer", price=9.5, tags=["tools", "hardware"], in_stock=True)


async def websocket_echo(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})
        return
    await receive()
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        await send({"type": "websocket.send", "text": message.get("text"), "bytes": message.get("bytes")})
