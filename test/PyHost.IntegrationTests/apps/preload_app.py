"""An app that holds 60 MB made at import time, and says which code version and process answered."""

import os

HELD = [bytes([i % 256]) * 1024 for i in range(60_000)]  # about 60 MB, shared copy-on-write under --preload
VERSION = "one"


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"{VERSION} {os.getpid()} {len(HELD)}".encode()]
