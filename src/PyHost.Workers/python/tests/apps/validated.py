"""An app behind wsgiref.validate.validator with warnings as errors: any PEP 3333 slip by the worker fails it."""

import warnings
from wsgiref.validate import validator

warnings.simplefilter("error")


def _stream():
    yield b"first "
    yield b"second"


def _inner(environ, start_response):
    path = environ["PATH_INFO"]
    errors = environ["wsgi.errors"]
    errors.write("validated app here\n")
    errors.writelines(["one\n", "two\n"])
    errors.flush()
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return _stream()
    if path == "/post":
        body = environ["wsgi.input"]
        first = body.readline()
        sized = body.readline(4)
        chunk = body.read(10)
        lines = body.readlines(5)
        rest = b"".join(body)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"|".join([first, sized, chunk, b"".join(lines), rest])]
    if path == "/file":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return environ["wsgi.file_wrapper"](open(__file__, "rb"))
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"validated"]


application = validator(_inner)
