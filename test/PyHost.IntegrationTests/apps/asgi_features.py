"""An ASGI app for what PyHost adds around the spec: the per-request timeout, back-pressure, pathsend, trailers,
WebSockets that cost no worker, supervision. The generation (GENERATION in the environment, or the file
$ASGI_FEATURES_DIR/generation) tells which code a worker runs."""

import asyncio
import json
import mimetypes
import os
import time

STATE = {"sent": {}, "seen": [], "running": 0, "peak": 0, "release": {}}
DIRECTORY = os.environ.get("ASGI_FEATURES_DIR", "")


def generation():
    path = os.path.join(DIRECTORY, "generation")
    if DIRECTORY and os.path.exists(path):
        with open(path) as file:
            return file.read().strip()
    return "1"


GENERATION = generation()


async def answer(send, value, status=200):
    body = json.dumps(value).encode()
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        if scope["path"].startswith("/ws/greet"):
            await send({"type": "websocket.send", "text": f"generation {GENERATION} pid {os.getpid()}"})
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                STATE["seen"].append({"disconnect": message["code"]})
                return
            await send({"type": "websocket.send", "text": message.get("text"), "bytes": message.get("bytes")})
    path = scope["path"]
    query = scope["query_string"].decode()
    if path == "/hello":
        await answer(send, {"generation": GENERATION, "pid": os.getpid()})
    elif path == "/hang":
        await asyncio.sleep(3600)  # the coroutine that never answers: --timeout cancels it here
    elif path == "/slow":
        await asyncio.sleep(float(query or "1"))
        await answer(send, {"slept": float(query or "1"), "pid": os.getpid()})
    elif path == "/concurrent":
        # Counts the requests running at once (--worker-connections caps them) and says when this one began.
        STATE["running"] += 1
        STATE["peak"] = max(STATE["peak"], STATE["running"])
        started = time.monotonic()
        try:
            await asyncio.sleep(float(query or "1"))
        finally:
            STATE["running"] -= 1
        await answer(send, {"started": started, "peak": STATE["peak"]})
    elif path == "/tick":
        # A stream that lasts longer than --timeout but keeps sending: it is never cut.
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        for index in range(int(query or "6")):
            await send({"type": "http.response.body", "body": b"tick %d\n" % index, "more_body": True})
            await asyncio.sleep(0.5)
        await send({"type": "http.response.body", "body": b"done\n"})
    elif path == "/stubborn":
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                STATE["seen"].append({"ignored": "CancelledError"})
    elif path == "/flood":
        # Streams as fast as send() lets it, and counts what send() took: back-pressure keeps that near the window.
        tag, total = query.split(",")
        STATE["sent"][tag] = 0
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/octet-stream")]})
        chunk = b"f" * 65536
        try:
            while STATE["sent"][tag] < int(total):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                STATE["sent"][tag] += len(chunk)
            await send({"type": "http.response.body", "body": b""})
        except OSError:
            pass
    elif path == "/hold-body":
        # Takes no body until /release?TAG: meanwhile the upload must wait in the client, not pile up on the way.
        await STATE["release"].setdefault(query, asyncio.Event()).wait()
        received = 0
        while True:
            message = await receive()
            received += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await answer(send, {"received": received, "last": message["type"]})
    elif path == "/release":
        STATE["release"].setdefault(query, asyncio.Event()).set()
        await answer(send, {"released": query})
    elif path == "/sent":
        await answer(send, STATE["sent"].get(query, -1))
    elif path == "/block":
        time.sleep(float(query or "1.5"))
        await answer(send, {"blocked": True})
    elif path == "/file":
        size = os.path.getsize(query)
        content_type = mimetypes.guess_type(query)[0] or "application/octet-stream"
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(size).encode()), (b"content-type", content_type.encode())]})
        await send({"type": "http.response.pathsend", "path": query})
    elif path == "/file-unchecked":
        # Names the file without looking: whether it can be sent is the front's to find out.
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/octet-stream")]})
        await send({"type": "http.response.pathsend", "path": query})
    elif path == "/file-long-name":
        # Names a file the front cannot open (a name of LENGTH bytes, over NAME_MAX) in a RESPONSE_FILE frame larger
        # than the front's read buffer: RESPONSE_START is always read before RESPONSE_FILE has fully arrived.
        name = os.path.join(DIRECTORY, "n" * int(query))
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/octet-stream")]})
        await send({"type": "http.response.pathsend", "path": name})
    elif path == "/extensions":
        await answer(send, sorted(scope.get("extensions", {})))
    elif path == "/trailers":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")], "trailers": True})
        await send({"type": "http.response.body", "body": b"body before trailers"})
        await send({"type": "http.response.trailers", "headers": [(b"x-checksum", b"sha256-abc")]})
    elif path == "/seen":
        await answer(send, STATE["seen"])
    elif path == "/error":
        raise RuntimeError("asgi feature failure " + query)
    elif path == "/memory":
        global HOG
        HOG = b"m" * (int(query) * 1024 * 1024)
        await answer(send, {"held_mib": int(query), "pid": os.getpid()})
    else:
        await answer(send, {"error": "no such path"}, status=404)
