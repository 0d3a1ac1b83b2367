"""App spec parsing, without importing anything."""

from __future__ import annotations

import unittest

import support  # noqa: F401  (puts pyhost_worker on sys.path)
from pyhost_worker.loader import AppImportError, parse_spec, paste_config_file


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
