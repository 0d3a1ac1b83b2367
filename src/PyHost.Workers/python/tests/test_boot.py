"""Start-up: HELLO, then READY for every app spec form, or BOOT_FAILED with a traceback, a hint, and exit 4."""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
import unittest

from support import APPS_DIR, BOOT_FAILED, FakeFront

PASTE_INI = os.path.join(APPS_DIR, "pasteapp.ini")


class AppSpecForms(unittest.TestCase):
    def assert_serves(self, spec: str, body: bytes, **env: str) -> None:
        with FakeFront(spec, **env) as front:
            self.assertEqual(front.request("/").body, body)

    def test_module_alone_means_its_application_attribute(self) -> None:
        self.assert_serves("factories", b"module default")

    def test_module_and_attribute(self) -> None:
        self.assert_serves("factories:wsgi_app", b"named attribute")

    def test_dotted_attribute(self) -> None:
        self.assert_serves("factories:holder.app", b"dotted attribute")

    def test_factory_call_without_arguments(self) -> None:
        self.assert_serves("factories:create_app()", b"factory default debug=True extra=None")

    def test_factory_call_with_literal_arguments(self) -> None:
        self.assert_serves(
            'factories:create_app("prod", debug=False, extra={"a": [1, 2.5, None]})',
            b"factory prod debug=False extra={'a': [1, 2.5, None]}",
        )

    def test_no_app_serves_the_demo(self) -> None:
        with FakeFront("") as front:
            response = front.request("/", query="x=1", HTTP_USER_AGENT="tests")
            self.assertIn(b"PyHost is <span>running</span>", response.body)
            self.assertIn(b"tests", response.body)
            stream = front.request("/stream")
            self.assertGreaterEqual(len([frame for frame in stream.frames if frame.payload]), 10)

    def test_pythonpath_entries_come_first_in_order(self) -> None:
        with tempfile.TemporaryDirectory() as first, tempfile.TemporaryDirectory() as second:
            for directory, body in ((first, b"first"), (second, b"second")):
                with open(os.path.join(directory, "factories.py"), "w") as module:
                    module.write(
                        "def application(environ, start_response):\n"
                        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
                        f"    return [{body!r}]\n"
                    )
            self.assert_serves("factories", b"first", PYHOST_PYTHONPATH=os.pathsep.join([first, second]))

    def test_app_directory_is_importable_even_with_safe_path(self) -> None:
        if sys.version_info < (3, 11):
            self.skipTest("PYTHONSAFEPATH is new in Python 3.11")
        self.assert_serves("factories:wsgi_app", b"named attribute", PYTHONSAFEPATH="1")


# The worker's exit status after BOOT_FAILED: 4 when the module holds no usable app (the front then exits 4, as
# gunicorn's APP_LOAD_ERROR), 5 when the import itself failed (the front then exits 3, gunicorn's WORKER_BOOT_ERROR).
NO_APP = 4
IMPORT_FAILED = 5


class BootFailures(unittest.TestCase):
    def boot_failure(self, spec: str, status: int = NO_APP) -> str:
        with FakeFront(spec, expect_ready=False) as front:
            self.assertEqual(front.boot.type, BOOT_FAILED)
            self.assertEqual(front.process.wait(5), status)
            self.assertTrue(front.at_eof())
            text = front.boot.payload.decode("utf-8")
        self.assertTrue(text.splitlines()[-1].startswith("hint: "), text)
        return text

    def test_missing_module_hints_at_chdir_pythonpath_and_interpreter(self) -> None:
        text = self.boot_failure("no_such_module:app", IMPORT_FAILED)
        self.assertIn("ModuleNotFoundError: No module named 'no_such_module'", text)
        self.assertTrue(text.endswith(f"check --chdir / --pythonpath, or the interpreter ({sys.executable})"), text)
        self.assertIn("hint: no module named 'no_such_module' in ", text)
        # No frame of the user's to show: the whole traceback is kept, so it still reads as one.
        self.assertTrue(text.startswith("Traceback (most recent call last):"), text)

    def test_missing_dependency_of_the_app_names_the_dependency(self) -> None:
        text = self.boot_failure("needs_missing", IMPORT_FAILED)
        self.assertIn('File "', text)
        self.assertIn("needs_missing.py", text)
        self.assertIn("hint: the app imports 'pyhost_no_such_dependency', which is not installed for", text)

    def test_syntax_error_points_at_the_line(self) -> None:
        text = self.boot_failure("broken_syntax", IMPORT_FAILED)
        self.assertIn("SyntaxError", text)
        self.assertIn("broken_syntax.py, line 1", text.splitlines()[-1])

    def test_exception_in_the_module_body_shows_its_traceback(self) -> None:
        text = self.boot_failure("broken_body:app", IMPORT_FAILED)
        self.assertIn("RuntimeError: the app failed at import time", text)
        self.assertIn("broken_body.py", text)
        self.assertIn("hint: the app raised RuntimeError while it was being loaded", text)
        self.assertNotIn("pyhost_worker", text)  # the app's own frames are shown; the loader's are left out

    def test_missing_attribute(self) -> None:
        text = self.boot_failure("factories:nope")
        self.assertTrue(text.endswith("hint: module 'factories' has no attribute 'nope'; name it as MODULE:ATTR"), text)

    def test_module_alone_without_an_application_attribute(self) -> None:
        text = self.boot_failure("no_app")
        self.assertTrue(text.endswith("hint: module 'no_app' has no attribute 'application'; name it as MODULE:ATTR"))

    def test_file_name_instead_of_module_name(self) -> None:
        text = self.boot_failure("testapp.py")
        self.assertIn("hint: name the module, not the file: 'testapp:application'", text)

    def test_not_callable(self) -> None:
        text = self.boot_failure("factories:settings")
        self.assertIn("AppImportError: factories:settings is a dict, not a WSGI application", text)
        self.assertIn("hint: 'settings' in module 'factories' is not callable", text)

    def test_factory_returning_a_non_callable(self) -> None:
        self.assertIn("must return the WSGI application", self.boot_failure("factories:not_an_app()"))

    def test_factory_called_with_the_wrong_arguments(self) -> None:
        text = self.boot_failure("factories:create_app(1, 2, 3, 4)")
        self.assertIn("takes from 0 to 3 positional arguments but 4 were given", text)
        self.assertIn("hint: the factory 'create_app' does not take these arguments", text)

    def test_non_literal_factory_arguments_are_refused_not_evaluated(self) -> None:
        text = self.boot_failure("factories:create_app(__import__('os').getcwd())")
        self.assertIn("are not all literals", text)
        self.assertIn("hint: factory arguments must be Python literals", text)

    def test_unparsable_spec(self) -> None:
        self.assertIn("hint: an app spec looks like MODULE, MODULE:ATTR", self.boot_failure("factories:create_app("))


@unittest.skipUnless(importlib.util.find_spec("paste.deploy"), "PasteDeploy is not installed (Debian: python3-pastedeploy)")
class PasteDeploy(unittest.TestCase):
    """`pyhost serve --paste FILE#SECTION` reaches the worker as the spec `config:/abs/FILE#SECTION`."""

    def test_call_form_gets_the_ini_settings(self) -> None:
        with FakeFront(f"config:{PASTE_INI}#main") as front:
            self.assertEqual(front.request("/").body, f"hello from [app:main] (here={APPS_DIR})".encode())

    def test_egg_form_finds_the_entry_point_of_the_project_directory(self) -> None:
        with FakeFront(f"config:{PASTE_INI}#egg") as front:
            self.assertEqual(front.request("/").body, f"hello from [app:egg] (here={APPS_DIR})".encode())

    def test_the_ini_loggers_are_applied(self) -> None:
        with FakeFront(f"config:{PASTE_INI}#main") as front:
            front.request("/logged")
            log = front.wait_for_log("INI-LOGGING INFO pasteapp: serving /logged")
        self.assertNotIn("below the ini's level", log)

    def boot_failure(self, spec: str, status: int = IMPORT_FAILED) -> str:
        with FakeFront(spec, expect_ready=False) as front:
            self.assertEqual(front.boot.type, BOOT_FAILED)
            self.assertEqual(front.process.wait(5), status)  # PasteDeploy raised while loading the app, or no file
            return front.boot.payload.decode("utf-8")

    def test_a_missing_section_hints_at_the_ini(self) -> None:
        text = self.boot_failure(f"config:{PASTE_INI}#nope")
        self.assertIn("LookupError", text)
        self.assertTrue(text.endswith(f"hint: check the [app:...] section and its 'use =' line in {PASTE_INI}"), text)

    def test_a_missing_egg_hints_at_installing_the_project(self) -> None:
        text = self.boot_failure(f"config:{PASTE_INI}#missing_egg")
        self.assertIn("hint: " + PASTE_INI + " uses egg:pyhost_no_such_distribution", text)

    def test_a_missing_file_is_named(self) -> None:
        text = self.boot_failure("config:/nonexistent/site.ini", NO_APP)
        self.assertIn("no such file: /nonexistent/site.ini", text)


if __name__ == "__main__":
    unittest.main()
