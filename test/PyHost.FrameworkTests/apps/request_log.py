"""Appends each request's path to $REQUEST_LOG, so a test can tell which requests reached a worker."""

import os


def application(environ, start_response):
    with open(os.environ["REQUEST_LOG"], "a") as log:
        log.write(environ["PATH_INFO"] + "\n")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"from the app"]
