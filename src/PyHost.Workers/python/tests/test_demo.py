"""The bundled demo app passes wsgiref's validator with warnings as errors."""

from __future__ import annotations

import inspect
import unittest
import warnings
from typing import Any, List
from unittest import mock
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import support  # noqa: F401  (puts pyhost_worker on sys.path)
from pyhost_worker import demo


def run(path: str) -> bytes:
    environ: dict = {"QUERY_STRING": "q=<b>", "HTTP_X_TEST": "<script>"}
    setup_testing_defaults(environ)
    environ["PATH_INFO"] = path
    started: List[Any] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = validator(demo.app)(environ, lambda status, headers, exc_info=None: started.append(status))
        try:
            return b"".join(result)
        finally:
            result.close()


class DemoTests(unittest.TestCase):
    def test_page_shows_the_request_escaped(self) -> None:
        page = run("/some/path")
        self.assertIn(b"PyHost is <span>running</span>", page)
        self.assertIn(b"/some/path", page)
        self.assertIn(b"q=&lt;b&gt;", page)
        self.assertIn(b"X-Test", page)
        self.assertNotIn(b"<script>", page)

    def test_stream_is_a_generator(self) -> None:
        environ: dict = {}
        setup_testing_defaults(environ)
        environ["PATH_INFO"] = "/stream"
        self.assertTrue(inspect.isgenerator(demo.app(environ, lambda *args: None)))
        with mock.patch.object(demo.time, "sleep"):
            self.assertIn(b"line 10 of 10", run("/stream"))


if __name__ == "__main__":
    unittest.main()
