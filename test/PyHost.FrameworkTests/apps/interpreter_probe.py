"""Says which interpreter runs it, and whether Debian's Flask is importable there (a --system-site-packages venv)."""

import json
import sys


def application(environ, start_response):
    try:
        import flask

        flask_file = flask.__file__
    except ImportError:
        flask_file = None
    body = json.dumps({"prefix": sys.prefix, "base_prefix": sys.base_prefix, "executable": sys.executable, "flask": flask_file})
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body.encode()]
