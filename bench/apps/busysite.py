"""The slow-clients scenario's site: normal traffic at / (hello world), an upload form's target at /upload (reads the
whole body, answers its length) and a large download at /large (8 MiB in 64 KiB pieces, more than the kernel's
socket buffers hold, so a worker that writes it to a slow reader waits unless something buffers it)."""

from hello import BODY

PIECE = b"x" * (64 * 1024)
LARGE_PIECES = 128


def app(environ, start_response):
    path = environ.get("PATH_INFO")
    if path == "/upload":
        stream, left, total = environ["wsgi.input"], int(environ.get("CONTENT_LENGTH") or 0), 0
        while left > 0:
            data = stream.read(min(left, 65536))
            if not data:
                break
            total += len(data)
            left -= len(data)
        body = str(total).encode()
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]
    if path == "/large":
        start_response("200 OK", [("Content-Type", "application/octet-stream"),
                                  ("Content-Length", str(len(PIECE) * LARGE_PIECES))])
        return (PIECE for _ in range(LARGE_PIECES))
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))])
    return [BODY]
