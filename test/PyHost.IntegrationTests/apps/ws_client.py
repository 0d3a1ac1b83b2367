"""A WebSocket client for the tests, on Debian's python3-websockets: `ws_client.py SCENARIO URL [ARG...]` runs one
scenario against a server and prints what happened as one JSON object, for a C# test to assert on. Every wait is
bounded; a scenario never hangs the suite."""

import asyncio
import base64
import json
import os
import resource
import struct
import sys
import time
import urllib.parse

import websockets

TIMEOUT = 10


def closed(error):
    received = getattr(error, "rcvd", None)
    return {"closed": True, "code": received.code if received else getattr(error, "code", None),
            "reason": received.reason if received else getattr(error, "reason", "")}


def connect(url, **options):
    """websockets.connect: `async with connect(...) as ws`, or `ws = await connect(...)`."""
    options.setdefault("max_size", None)
    options.setdefault("open_timeout", TIMEOUT)
    return websockets.connect(url, **options)


async def echo(url):
    async with connect(url, subprotocols=["first", "second"]) as ws:
        await ws.send("h\u00e9llo \U0001F600")
        text = await asyncio.wait_for(ws.recv(), TIMEOUT)
        await ws.send(b"\x00\xff\x80 binary")
        data = await asyncio.wait_for(ws.recv(), TIMEOUT)
        await ws.send("")
        empty = await asyncio.wait_for(ws.recv(), TIMEOUT)
        return {"subprotocol": ws.subprotocol, "accept_header": ws.response_headers.get("x-accept-header"),
                "extensions": ws.response_headers.get("Sec-WebSocket-Extensions"),
                "text": text, "bytes": data.hex(), "empty": empty}


async def fragments(url):
    async with connect(url) as ws:
        await ws.send(["frag", "men", "ted \u00e9"])  # one text message in three frames (RFC 6455 §5.4)
        text = await asyncio.wait_for(ws.recv(), TIMEOUT)
        await ws.send([b"\x01" * 70000, b"\x02" * 70000])
        data = await asyncio.wait_for(ws.recv(), TIMEOUT)
        return {"text": text, "bytes_length": len(data), "bytes_ends": [data[0], data[-1]]}


async def large(url, size):
    size = int(size)
    async with connect(url) as ws:
        payload = bytes(range(256)) * (size // 256)
        await ws.send(payload)
        echoed = await asyncio.wait_for(ws.recv(), TIMEOUT * 3)
        await ws.send(f"send-bytes {size}")
        sent = await asyncio.wait_for(ws.recv(), TIMEOUT * 3)
        return {"echo_equal": echoed == payload, "echo_length": len(echoed), "sent_length": len(sent),
                "sent_is_ab": sent == b"\xab" * size}


async def app_close(url, code, reason):
    async with connect(url) as ws:
        await ws.send(f"close {code} {reason}")
        try:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
            return {"closed": False}
        except websockets.ConnectionClosed as error:
            return closed(error)


async def client_close(url, code, reason):
    ws = await connect(url)
    await ws.send("hi")
    await asyncio.wait_for(ws.recv(), TIMEOUT)
    await asyncio.wait_for(ws.close(int(code), reason), TIMEOUT)
    return {"close_code": ws.close_code, "close_reason": ws.close_reason}


async def vanish(url):
    ws = await connect(url)
    await ws.send("hi")
    await asyncio.wait_for(ws.recv(), TIMEOUT)
    ws.transport.abort()  # no close frame: the TCP connection just goes
    return {"aborted": True}


async def too_big(url, size):
    async with connect(url) as ws:
        await ws.send(b"z" * int(size))
        try:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
            return {"closed": False}
        except websockets.ConnectionClosed as error:
            return closed(error)


async def scope(url):
    async with connect(url, subprotocols=["proto-a", "proto-b"], extra_headers=[("X-Repeat", "1"), ("X-Repeat", "2")]) as ws:
        return json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))


async def describe(url):
    async with connect(url) as ws:
        await ws.send("describe")
        return json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))


async def refused(url):
    try:
        async with connect(url):
            return {"refused": False}
    except websockets.InvalidStatusCode as error:
        headers = getattr(error, "headers", None)
        return {"refused": True, "status": error.status_code,
                "headers": {k.lower(): v for k, v in headers.raw_items()} if headers is not None else {}}


async def idle(url, count, seconds):
    """COUNT sockets opened and left idle for SECONDS; then each must still echo. Prints timings and open counts."""
    count, seconds = int(count), float(seconds)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sockets = []
    started = time.monotonic()
    semaphore = asyncio.Semaphore(200)

    async def open_one():
        async with semaphore:
            sockets.append(await connect(url, compression=None, ping_interval=None, max_queue=1))

    results = await asyncio.gather(*(open_one() for _ in range(count)), return_exceptions=True)
    failures = [repr(r) for r in results if isinstance(r, BaseException)]
    opened = time.monotonic() - started
    print(json.dumps({"phase": "open", "open": len(sockets), "failures": failures[:5], "seconds": opened}), flush=True)
    # Wait for the test to measure memory: it writes a line on stdin when done.
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    await asyncio.sleep(seconds)

    async def check(ws):
        async with semaphore:
            await ws.send("still there?")
            return await asyncio.wait_for(ws.recv(), TIMEOUT * 3) == "still there?"

    answers = await asyncio.gather(*(check(ws) for ws in sockets), return_exceptions=True)
    alive = sum(1 for answer in answers if answer is True)
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return {"phase": "done", "open": len(sockets), "alive": alive, "open_seconds": opened,
            "errors": [repr(a) for a in answers if a is not True][:5]}


async def greeting(url):
    async with connect(url) as ws:
        return {"greeting": await asyncio.wait_for(ws.recv(), TIMEOUT)}


async def hold(url, seconds):
    """Opens a socket and holds it until the server closes it (or SECONDS pass): prints the first message, then how
    and when it was closed."""
    started = time.monotonic()
    async with connect(url) as ws:
        greeting = await asyncio.wait_for(ws.recv(), TIMEOUT)
        print(json.dumps({"phase": "open", "greeting": greeting}), flush=True)
        try:
            await asyncio.wait_for(ws.recv(), float(seconds))
            return {"closed": False}
        except websockets.ConnectionClosed as error:
            result = closed(error)
            result["seconds"] = time.monotonic() - started
            return result
        except asyncio.TimeoutError:
            return {"closed": False, "seconds": time.monotonic() - started}


async def script(url, steps):
    """Runs STEPS (JSON: ["send", text], ["send-bytes", hex], ["recv"], ["close", code]) and returns what each gave;
    a server close ends the script with its code and reason."""
    transcript = []
    async with connect(url) as ws:
        transcript.append({"subprotocol": ws.subprotocol})
        try:
            for step in json.loads(steps):
                if step[0] == "send":
                    await ws.send(step[1])
                elif step[0] == "send-bytes":
                    await ws.send(bytes.fromhex(step[1]))
                elif step[0] == "recv":
                    message = await asyncio.wait_for(ws.recv(), TIMEOUT)
                    transcript.append({"text": message} if isinstance(message, str) else {"bytes": message.hex()})
                elif step[0] == "close":
                    await ws.close(int(step[1]))
                    transcript.append({"closed_by": "client", "code": ws.close_code})
        except websockets.ConnectionClosed as error:
            transcript.append(closed(error))
    return {"transcript": transcript}


# Opcodes of RFC 6455 §5.2 the raw scenarios use.
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


async def raw_open(url):
    """A WebSocket opened by hand (RFC 6455 §4.1), with no extension: the raw scenarios see every control frame and
    answer it, or not, themselves (python3-websockets always answers pings)."""
    parts = urllib.parse.urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
    if not head.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(f"no upgrade: {head!r}")
    return reader, writer


def raw_frame(opcode, payload):
    """One final client frame, masked as §5.3 requires; payloads of up to 125 bytes (control frames, short text)."""
    mask = os.urandom(4)
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def raw_read(reader):
    """The next frame from the server (unmasked, §5.1): (opcode, payload)."""
    first, second = await reader.readexactly(2)
    length = second & 0x7F
    if length == 126:
        length = struct.unpack("!H", await reader.readexactly(2))[0]
    elif length == 127:
        length = struct.unpack("!Q", await reader.readexactly(8))[0]
    return first & 0x0F, await reader.readexactly(length)


async def pings(url, answers, seconds):
    """Holds a raw socket for SECONDS, counting the server's pings and answering the first ANSWERS of them ("all": every
    one) with their pongs; then, if still open, sends a text and waits for its echo. Reports the pings, and how and
    when the socket closed."""
    answers, seconds = float("inf") if answers == "all" else int(answers), float(seconds)
    reader, writer = await raw_open(url)
    started = time.monotonic()
    result = {"pings": 0, "closed": False}

    def pinged(payload):
        result["pings"] += 1
        if result["pings"] <= answers:
            writer.write(raw_frame(PONG, payload))  # §5.5.3: the ping's application data

    try:
        while (left := seconds - (time.monotonic() - started)) > 0:
            try:
                opcode, payload = await asyncio.wait_for(raw_read(reader), left)
            except asyncio.TimeoutError:
                break
            if opcode == PING:
                pinged(payload)
            elif opcode == CLOSE:
                result.update(closed=True, code=struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None)
                break
        if not result["closed"]:
            writer.write(raw_frame(TEXT, b"still there?"))
            while True:
                opcode, payload = await asyncio.wait_for(raw_read(reader), TIMEOUT)
                if opcode == TEXT:
                    result["echo"] = payload.decode()
                    break
                if opcode == PING:
                    pinged(payload)
            writer.write(raw_frame(CLOSE, struct.pack("!H", 1000)))
    except (asyncio.IncompleteReadError, ConnectionError):
        result.update(closed=True, code=None)  # cut without a close frame
    result["seconds"] = time.monotonic() - started
    writer.close()
    return result


async def client_ping(url):
    """Sends a ping of its own and returns the payload of the pong that answers it (RFC 6455 §5.5.3)."""
    reader, writer = await raw_open(url)
    writer.write(raw_frame(PING, b"are you there?"))
    while True:
        opcode, payload = await asyncio.wait_for(raw_read(reader), TIMEOUT)
        if opcode == PONG:
            writer.write(raw_frame(CLOSE, struct.pack("!H", 1000)))
            writer.close()
            return {"pong": payload.decode()}


SCENARIOS = {
    "echo": echo, "fragments": fragments, "large": large, "app-close": app_close, "client-close": client_close,
    "vanish": vanish, "too-big": too_big, "scope": scope, "describe": describe, "refused": refused, "idle": idle,
    "hold": hold, "greeting": greeting, "script": script, "pings": pings, "client-ping": client_ping,
}


def main():
    scenario, url, *arguments = sys.argv[1:]
    try:
        result = asyncio.run(SCENARIOS[scenario](url, *arguments))
    except Exception as error:  # reported, for the test to show
        result = {"exception": f"{type(error).__name__}: {error}"}
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
