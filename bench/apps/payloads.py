"""Apps for the payload scenarios: a 100 KiB response, a 1 MiB POST echoed back, a stream of 1,000 small chunks."""

BIG = b"x" * (100 * 1024)
CHUNK = b"0123456789abcde\n"  # 16 bytes
CHUNKS = 1000


def big(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(BIG)))])
    return [BIG]


def echo(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(body)))])
    return [body]


def stream(environ, start_response):
    # No Content-Length: each yield is one chunk the server must pass on as the app produces it (PEP 3333).
    start_response("200 OK", [("Content-Type", "text/plain")])
    return (CHUNK for _ in range(CHUNKS))
