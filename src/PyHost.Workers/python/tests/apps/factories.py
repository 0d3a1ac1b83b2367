"""App factories and nested objects, for the app spec forms."""


def _make(body):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [body]

    return app


application = _make(b"module default")
wsgi_app = _make(b"named attribute")


class Holder:
    app = staticmethod(_make(b"dotted attribute"))


holder = Holder()
settings = {"debug": True}


def create_app(name="default", debug=True, extra=None):
    return _make(f"factory {name} debug={debug} extra={extra}".encode())


def not_an_app():
    return "a string"
