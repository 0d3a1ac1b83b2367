"""The app the gateway interop tests serve through nginx, Apache and lighttpd: pep3333.py's apps, and a large body.

/bytes?n=N answers N bytes in 64 KiB pieces, byte i being i % 251, so the test can check every byte it got.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from wsgiref import validate

import pep3333
from pep3333 import Environ, StartResponse, query


def sized_bytes(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    size = int(query(environ)["n"])
    pattern = bytes(i % 251 for i in range(251 * 261))   # 65,511 bytes: a whole number of periods

    def pieces() -> Iterator[bytes]:
        sent = 0
        while sent < size:
            piece = pattern[: min(len(pattern), size - sent)]
            sent += len(piece)
            yield piece

    start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(size))])
    return pieces()


BYTES = validate.validator(sized_bytes)


def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    if path == "/bytes":
        return BYTES(environ, start_response)
    return pep3333.app(environ, start_response)
