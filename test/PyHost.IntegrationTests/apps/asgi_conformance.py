"""The app of the ASGI conformance suite (test/PyHost.IntegrationTests/Asgi): the same file is served by PyHost, by
uvicorn and by hypercorn, and each path shows one rule of asgiref's specs/www.rst and lifespan.rst. What the app saw
(scopes, messages, disconnects) comes back as JSON, bytes as {"b": latin-1 text}, so a test compares servers."""

import asyncio
import json
import os

OBSERVED = []  # what the app saw outside a response: /observed returns it
STATE_AT_STARTUP = {}


def plain(value):
    """JSON for scope and message values: bytes are tagged, tuples become lists."""
    if isinstance(value, (bytes, bytearray)):
        return {"b": bytes(value).decode("latin-1")}
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    try:
        return [plain(item) for item in value]  # www.rst: headers are any iterable of pairs
    except TypeError:
        return repr(value)


async def answer(send, value, status=200, headers=()):
    body = json.dumps(plain(value)).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), *headers]})
    await send({"type": "http.response.body", "body": body})


async def lifespan(scope, receive, send):
    if os.environ.get("CONFORMANCE_STARTUP") == "raise":
        # An app that knows only http and websocket, as many do: lifespan.rst lets a server take that for "unsupported".
        raise RuntimeError("conformance app knows no lifespan scope")
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            OBSERVED.append({"event": "startup", "scope": plain(scope)})
            if "state" in scope:
                scope["state"]["opened_at_startup"] = "a connection pool"
            if os.environ.get("CONFORMANCE_STARTUP") == "fail":
                await send({"type": "lifespan.startup.failed", "message": "conformance startup failed on purpose"})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            marker = os.environ.get("CONFORMANCE_SHUTDOWN_MARKER")
            if marker:
                with open(marker, "w") as file:
                    file.write("lifespan.shutdown")
            await send({"type": "lifespan.shutdown.complete"})
            return


def route_path(scope):
    """The path below the mount: www.rst's path still holds root_path, which the app strips (as Starlette does)."""
    return scope["path"][len(scope.get("root_path", "")):]


async def websocket(scope, receive, send):
    path = route_path(scope)
    connect = await receive()
    if path == "/ws/scope":
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": json.dumps({"scope": plain(scope), "connect": plain(connect)})})
        await send({"type": "websocket.close"})
        return
    if path == "/ws/deny":
        await send({"type": "websocket.close"})
        return
    if path == "/ws/deny-response":
        await send({"type": "websocket.http.response.start", "status": 418, "headers": [(b"x-denied", b"yes")]})
        await send({"type": "websocket.http.response.body", "body": b"no socket for you"})
        return
    subprotocols = scope.get("subprotocols") or []
    await send({"type": "websocket.accept", "subprotocol": subprotocols[-1] if subprotocols else None,
                "headers": [(b"x-accept-header", b"present")]})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            OBSERVED.append({"event": "websocket.disconnect", "path": path, "code": message.get("code"),
                             "reason": message.get("reason", "")})
            return
        text, data = message.get("text"), message.get("bytes")
        if text is not None and text.startswith("close "):
            _, code, reason = text.split(" ", 2)
            await send({"type": "websocket.close", "code": int(code), "reason": reason})
            return
        if text is not None and text.startswith("send-bytes "):
            await send({"type": "websocket.send", "bytes": b"\xab" * int(text.split(" ")[1])})
            continue
        if text is not None and text == "describe":
            await send({"type": "websocket.send", "text": json.dumps(plain(message))})
            continue
        if text is not None:
            await send({"type": "websocket.send", "text": text})
        else:
            await send({"type": "websocket.send", "bytes": data})


async def http(scope, receive, send):
    path = route_path(scope)
    if path.startswith("/scope"):
        await answer(send, {"scope": scope, "first_message": await receive()})
    elif path == "/body":
        messages = []
        body = b""
        while True:
            message = await receive()
            messages.append({"type": message["type"], "length": len(message.get("body", b"")),
                             "more_body": message.get("more_body", False)})
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        await answer(send, {"messages": messages, "length": len(body), "sum": sum(body) % 65536})
    elif path == "/headers":
        await send({"type": "http.response.start", "status": 201, "headers": [
            (b"x-first", b"1"), (b"set-cookie", b"a=1; Path=/"), (b"x-latin1", b"caf\xe9"),
            (b"set-cookie", b"b=2; Path=/"), (b"x-last", b"3")]})
        await send({"type": "http.response.body", "body": b"headers"})
    elif path == "/app-transfer-encoding":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"transfer-encoding", b"chunked"),
                                                                              (b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"the server frames this", "more_body": False})
    elif path == "/no-length":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        for index in range(3):
            await send({"type": "http.response.body", "body": b"part %d;" % index, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    elif path == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
        for index in range(4):
            await send({"type": "http.response.body", "body": b"data: %d\n\n" % index, "more_body": True})
            await asyncio.sleep(0.3)
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    elif path == "/after-response":
        await answer(send, {"ok": True})
        message = await receive()
        OBSERVED.append({"event": "after-response", "message": plain(message)})
    elif path == "/until-disconnect":
        tag = scope["query_string"].decode()
        await receive()  # the (empty) request body
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        try:
            await send({"type": "http.response.body", "body": b"streaming\n", "more_body": True})
            message = await receive()
            OBSERVED.append({"event": "receive-after-client-left", "tag": tag, "message": plain(message)})
            try:
                for _ in range(50):
                    await send({"type": "http.response.body", "body": b"more\n", "more_body": True})
                    await asyncio.sleep(0.05)
                OBSERVED.append({"event": "send-after-client-left", "tag": tag, "raised": None})
            except OSError as error:
                OBSERVED.append({"event": "send-after-client-left", "tag": tag, "raised": "OSError",
                                 "type": type(error).__name__})
        finally:
            OBSERVED.append({"event": "finally", "tag": tag})
    elif path == "/error-before-start":
        raise RuntimeError("conformance: failed before the response started")
    elif path == "/error-after-start":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]})
        await send({"type": "http.response.body", "body": b"only part of it", "more_body": True})
        raise RuntimeError("conformance: failed after the response started")
    elif path == "/no-response":
        return
    elif path == "/state":
        await answer(send, scope.get("state", "no state key"))
    elif path == "/observed":
        await answer(send, OBSERVED)
    elif path == "/method":
        await answer(send, {"method": scope["method"]})
    else:
        await answer(send, {"error": "no such path", "path": path}, status=404)


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        await lifespan(scope, receive, send)
    elif scope["type"] == "websocket":
        await websocket(scope, receive, send)
    else:
        await http(scope, receive, send)
