"""App spec parsing, without importing anything."""

from __future__ import annotations

import unittest

import support  # noqa: F401  (puts pyhost_worker on sys.path)
import functools
from typing import Any

from pyhost_worker.loader import AppImportError, detect_interface, parse_spec, paste_config_file, require_wsgi


class ParseSpecTests(unittest.TestCase):
    def test_spec_forms(self) -> None:
        for spec, parsed in [
            ("myproject.wsgi", ("myproject.wsgi", ["application"], None)),
            ("app:app", ("app", ["app"], None)),
            ("app:", ("app", ["application"], None)),
            (" app : server.wsgi_app ", ("app", ["server", "wsgi_app"], None)),
            ("app:create_app()", ("app", ["create_app"], ([], {}))),
            ('app:create_app("prod", debug=False)', ("app", ["create_app"], (["prod"], {"debug": False}))),
            ("app:make(1, [2, 3], {'a': (4,)}, b=-5.5)", ("app", ["make"], ([1, [2, 3], {"a": (4,)}], {"b": -5.5}))),
        ]:
            with self.subTest(spec=spec):
                self.assertEqual(parse_spec(spec), parsed)

    def test_refused_specs(self) -> None:
        for spec in ["", ":app", "my-project:app", "app:1", "app:a[0]", "app:f(x)", "app:f(*a)",
                     "app:f(**k)", "app:f()()", "app:f(__import__('os'))", "app:lambda: 0"]:
            with self.subTest(spec=spec):
                with self.assertRaises(AppImportError) as raised:
                    parse_spec(spec)
                self.assertTrue(raised.exception.hint)


class PasteSpecTests(unittest.TestCase):
    def test_config_with_an_absolute_path_is_a_paste_spec(self) -> None:
        self.assertEqual(paste_config_file("config:/srv/site/development.ini#main"), "/srv/site/development.ini")
        self.assertEqual(paste_config_file("config:/srv/site/production.ini"), "/srv/site/production.ini")

    def test_a_module_named_config_is_still_a_module(self) -> None:
        for spec in ["config", "config:app", "config:create_app()", "configuration:app"]:
            with self.subTest(spec=spec):
                self.assertIsNone(paste_config_file(spec))


if __name__ == "__main__":
    unittest.main()


async def asgi_function(scope: Any, receive: Any, send: Any) -> None:
    pass


class AsgiApplication:
    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        pass


class WsgiApplication:
    def __call__(self, environ: Any, start_response: Any) -> Any:
        return []


def wsgi_function(environ: Any, start_response: Any) -> Any:
    return []


async def two_parameter_coroutine(environ: Any, start_response: Any) -> None:
    pass


def asgi2_double_callable(scope: Any) -> Any:  # ASGI 2: cannot be told from WSGI without calling it
    return asgi_function


@functools.wraps(asgi_function)
async def decorated_asgi_function(scope: Any, receive: Any, send: Any) -> None:
    await asgi_function(scope, receive, send)


class DetectInterfaceTests(unittest.TestCase):
    def test_asgi_callables(self) -> None:
        for app in [asgi_function, AsgiApplication(), decorated_asgi_function]:
            with self.subTest(app=app):
                self.assertEqual(detect_interface(app), "asgi")

    def test_wsgi_and_undecidable_callables(self) -> None:
        for app in [wsgi_function, WsgiApplication(), two_parameter_coroutine, asgi2_double_callable, AsgiApplication, print]:
            with self.subTest(app=app):
                self.assertEqual(detect_interface(app), "wsgi")

    def test_an_asgi_app_is_refused_with_a_hint(self) -> None:
        with self.assertRaises(AppImportError) as raised:
            require_wsgi("main:app", AsgiApplication())
        self.assertIn("main:app is an ASGI application", str(raised.exception))
        self.assertIn("WSGI", raised.exception.hint)
        require_wsgi("main:app", wsgi_function)
