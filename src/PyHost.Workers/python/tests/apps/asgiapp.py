"""An ASGI app for the ASGI worker's tests: each path exercises one rule of asgiref's specs/www.rst and lifespan.rst."""

import asyncio
import json
import os
import time

EVENTS = []  # what the app saw, for /events


def _json(value):
    def default(item):
        if isinstance(item, bytes):
            return {"bytes": item.decode("latin-1")}
        if isinstance(item, tuple):
            return list(item)
        return repr(item)

    return json.dumps(value, default=default).encode()


async def _answer(send, body, status=200, headers=None):
    await send({"type": "http.response.start", "status": status,
                "headers": headers if headers is not None else [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


async def lifespan(scope, receive, send):
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if os.environ.get("ASGIAPP_STARTUP") == "fail":
                await send({"type": "lifespan.startup.failed", "message": "the database is not there"})
                return
            if os.environ.get("ASGIAPP_STARTUP") == "raise":
                raise RuntimeError("lifespan is not for me")
            scope["state"]["pool"] = "connection pool"
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            marker = os.environ.get("ASGIAPP_SHUTDOWN_MARKER")
            if marker:
                with open(marker, "w") as file:
                    file.write("shut down")
            await send({"type": "lifespan.shutdown.complete"})
            return


async def websocket(scope, receive, send):
    path = scope["path"]
    assert (await receive())["type"] == "websocket.connect"
    if path == "/ws/deny":
        await send({"type": "websocket.close"})
        return
    if path == "/ws/deny-with-page":
        await send({"type": "websocket.http.response.start", "status": 401, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "websocket.http.response.body", "body": b"who are you?"})
        return
    subprotocols = scope.get("subprotocols") or []
    await send({"type": "websocket.accept", "subprotocol": subprotocols[0] if subprotocols else None,
                "headers": [(b"x-accepted", b"yes")]})
    if path == "/ws/scope":
        await send({"type": "websocket.send", "text": _json({k: v for k, v in scope.items() if k != "state"}).decode()})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            EVENTS.append(["ws-disconnect", message["code"], message.get("reason", "")])
            return
        text = message.get("text")
        if text == "close":
            await send({"type": "websocket.close", "code": 4001, "reason": "asked to"})
            return
        if text is not None and text.startswith("big "):
            await send({"type": "websocket.send", "bytes": b"x" * int(text[4:])})
            continue
        await send({"type": "websocket.send", "text": text, "bytes": message.get("bytes")})


async def app(scope, receive, send):
    kind = scope["type"]
    if kind == "lifespan":
        await lifespan(scope, receive, send)
        return
    if kind == "websocket":
        await websocket(scope, receive, send)
        return
    path = scope["path"][len(scope.get("root_path", "")):]  # www.rst: path includes root_path
    if path == "/hello":
        await _answer(send, b"Hello, world!", headers=[(b"content-type", b"text/plain")])
    elif path == "/scope":
        first = await receive()
        await _answer(send, _json({"scope": scope, "first": first}))
    elif path == "/echo":
        chunks = []
        while True:
            message = await receive()
            chunks.append([len(message["body"]), message["more_body"]])
            if not message["more_body"]:
                break
        await _answer(send, _json(chunks))
    elif path == "/big":
        size = int(scope["query_string"] or b"3145728")
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", str(size).encode())]})
        await send({"type": "http.response.body", "body": b"b" * size})
        EVENTS.append(["big-sent", size])
    elif path == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        try:
            for index in range(int(scope["query_string"] or b"3")):
                await send({"type": "http.response.body", "body": b"chunk %d\n" % index, "more_body": True})
                await asyncio.sleep(0.05)
            await send({"type": "http.response.body", "body": b""})
        except OSError as error:
            EVENTS.append(["stream-send-raised", type(error).__name__])
        finally:
            EVENTS.append(["stream-finally"])
    elif path == "/burst":
        # 200 chunks in one turn of the loop (as an async generator that never awaits yields them), then one after
        # a pause.
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        for index in range(200):
            await send({"type": "http.response.body", "body": b"%03d," % index, "more_body": True})
        await asyncio.sleep(0.05)
        await send({"type": "http.response.body", "body": b"after", "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    elif path == "/head-first":
        # An empty body with more_body: the app wants its head out now, before any content (SSE does this).
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
        await send({"type": "http.response.body", "body": b"", "more_body": True})
        message = await receive()
        while message["type"] != "http.disconnect":
            message = await receive()
    elif path == "/wait-disconnect":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"waiting\n", "more_body": True})
        message = await receive()
        while message["type"] != "http.disconnect":
            message = await receive()
        EVENTS.append(["http-disconnect"])
    elif path == "/sleep":
        await asyncio.sleep(float(scope["query_string"] or b"3600"))
        await _answer(send, b"woke up")
    elif path == "/stubborn":
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                EVENTS.append(["ignored-cancel"])
    elif path == "/block":
        time.sleep(float(scope["query_string"] or b"1.5"))
        await _answer(send, b"blocked")
    elif path == "/error":
        raise ValueError("deliberate failure " + scope["query_string"].decode())
    elif path == "/error-after-start":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        raise ValueError("failed half way")
    elif path == "/no-response":
        return
    elif path == "/half-response":
        await send({"type": "http.response.start", "status": 200, "headers": []})
    elif path == "/half-body":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"half", "more_body": True})
    elif path == "/state":
        await _answer(send, _json(scope["state"]))
    elif path == "/trailers":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"trailer", b"x-checksum")],
                    "trailers": True})
        await send({"type": "http.response.body", "body": b"data"})
        await send({"type": "http.response.trailers", "headers": [(b"x-checksum", b"abc123")]})
    elif path == "/pathsend":
        file = scope["query_string"].decode()
        size = os.path.getsize(file)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(size).encode()), (b"content-type", b"application/octet-stream")]})
        await send({"type": "http.response.pathsend", "path": file})
    elif path == "/events":
        await _answer(send, _json(EVENTS))
    elif path == "/headers":
        await _answer(send, b"", headers=[(b"set-cookie", b"a=1"), (b"set-cookie", b"b=2"), (b"x-custom", b"v"),
                                           (b"transfer-encoding", b"chunked")])
    elif path == "/bad-header":
        await _answer(send, b"", headers=[(b"x-bad", b"a\0b")])
    elif path == "/send-after-end":
        await _answer(send, b"done")
        try:
            await send({"type": "http.response.body", "body": b"more"})
        except RuntimeError as error:
            EVENTS.append(["send-after-end", str(error)])
    else:
        await _answer(send, b"not found", status=404, headers=[(b"content-type", b"text/plain")])


class Asgi2App:
    """An ASGI 2 double callable: instantiated with the scope, then called with receive and send."""

    def __init__(self, scope):
        self.scope = scope

    async def __call__(self, receive, send):
        if self.scope["type"] == "http":
            await _answer(send, b"asgi2 " + self.scope["path"].encode(), headers=[])


class CallableObject:
    """An ASGI 3 app as an object whose __call__ is a coroutine function."""

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            await _answer(send, b"object", headers=[])


instance = CallableObject()


def not_asgi(scope, receive, send):
    """A plain function of three arguments is not an ASGI app to --interface auto (it is not a coroutine function), yet
    it returns the coroutine of one (as a sync decorator around an ASGI app does): --interface asgi serves it."""
    return instance(scope, receive, send)
