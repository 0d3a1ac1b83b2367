"""The app of the configuration tests: it says which app it is ($APP_NAME), which process served, and where the
request was mounted, so a test sees routes, mounts, reloads and worker counts from the outside."""
import json
import os


def app(environ, start_response):
    body = json.dumps({
        "app": os.environ.get("APP_NAME", "?"),
        "version": os.environ.get("APP_VERSION", "1"),
        "pid": os.getpid(),
        "script_name": environ["SCRIPT_NAME"],
        "path_info": environ["PATH_INFO"],
        "host": environ.get("HTTP_HOST"),
        "method": environ["REQUEST_METHOD"],
    }).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
