#!/usr/bin/python3
"""A stand-in for Mongrel2, which Debian does not package, written from the Mongrel2 manual ("Handler ZeroMQ Format").

Like Mongrel2, it binds a PUSH socket (send_spec) that handlers PULL requests from, and a SUB socket (recv_spec),
subscribed to its own UUID, that handlers PUBlish responses to. Requests are "UUID ID PATH SIZE:HEADERS,SIZE:BODY,"
with tnetstring headers; responses are "UUID SIZE:ID ID, BODY", and an empty BODY closes the client's connection.

Driven by the test through stdin, one command a line, each answered on stdout:
    send ID METHOD URI BODY_BASE64|- [EXTRA_HEADERS_JSON] -> sent ID
    disconnect ID                                          -> sent ID
    raw BASE64                                             -> sent raw
    recv ID TIMEOUT_MS                                     -> frame ID BASE64 | close ID | timeout ID

    mongrel2_peer.py SEND_SPEC RECV_SPEC
"""
from __future__ import annotations

import base64
import collections
import json
import sys
import time

import zmq

SENDER = "54c6755b-9628-40a4-9a2d-cc82a816345e"


def tnetstring(value: object) -> bytes:
    if isinstance(value, dict):
        payload = b"".join(tnetstring(key) + tnetstring(item) for key, item in value.items())
        return b"%d:%s}" % (len(payload), payload)
    if isinstance(value, str):
        value = value.encode("utf-8")
    assert isinstance(value, bytes)
    return b"%d:%s," % (len(value), value)


def request(conn_id: str, method: str, uri: str, body: bytes, extra: dict[str, str]) -> bytes:
    path, _, query = uri.partition("?")
    headers = {
        "PATH": path, "x-forwarded-for": "127.0.0.1", "host": "mongrel2.test:6767", "user-agent": "mongrel2-peer",
        "METHOD": method, "VERSION": "HTTP/1.1", "URI": uri, "PATTERN": "/", "URL_SCHEME": "http", "REMOTE_ADDR": "127.0.0.1",
    }
    if query:
        headers["QUERY"] = query
    if body:
        headers["content-length"] = str(len(body))
        headers["content-type"] = "application/octet-stream"
    headers.update(extra)
    return f"{SENDER} {conn_id} {path} ".encode() + tnetstring(headers) + tnetstring(body)


def disconnect(conn_id: str) -> bytes:
    return f"{SENDER} {conn_id} @* ".encode() + tnetstring({"METHOD": "JSON", "PATH": "@*"}) + tnetstring(b'{"type":"disconnect"}')


def main() -> None:
    context = zmq.Context()
    requests = context.socket(zmq.PUSH)
    requests.bind(sys.argv[1])
    responses = context.socket(zmq.SUB)
    responses.setsockopt(zmq.SUBSCRIBE, SENDER.encode())
    responses.bind(sys.argv[2])
    queues: dict[str, collections.deque[bytes]] = collections.defaultdict(collections.deque)
    print("ready", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "send":
            extra = json.loads(words[5]) if len(words) > 5 else {}
            body = b"" if words[4] == "-" else base64.b64decode(words[4])
            requests.send(request(words[1], words[2], words[3], body, extra))
            print(f"sent {words[1]}", flush=True)
        elif words[0] == "disconnect":
            requests.send(disconnect(words[1]))
            print(f"sent {words[1]}", flush=True)
        elif words[0] == "raw":
            requests.send(base64.b64decode(words[1]))
            print("sent raw", flush=True)
        elif words[0] == "recv":
            conn_id, deadline = words[1], time.monotonic() + int(words[2]) / 1000
            while not queues[conn_id] and time.monotonic() < deadline:
                if responses.poll(max(1, int((deadline - time.monotonic()) * 1000))):
                    message = responses.recv()
                    sender, _, rest = message.partition(b" ")
                    size, _, rest = rest.partition(b":")
                    ids, body = rest[: int(size)], rest[int(size) + 2:]   # after "IDS, "
                    for one in ids.split(b" "):
                        queues[one.decode()].append(body)
            if queues[conn_id]:
                body = queues[conn_id].popleft()
                print(f"frame {conn_id} {base64.b64encode(body).decode()}" if body else f"close {conn_id}", flush=True)
            else:
                print(f"timeout {conn_id}", flush=True)


if __name__ == "__main__":
    main()
