"""Import the WSGI app named by a spec, as gunicorn's import_app does:

    MODULE                  attribute `application` of MODULE
    MODULE:ATTR[.SUB...]    an attribute, dotted for nested objects
    MODULE:FACTORY(ARGS)    call FACTORY with literal arguments (parsed with ast, never evaluated as code)
    config:/ABS/FILE.ini#S  the [app:S] of a PasteDeploy ini file (`pyhost serve --paste FILE#S`), its [loggers] applied
"""

from __future__ import annotations

import ast
import importlib
import os
import sys
import traceback
from types import TracebackType
from typing import Any, Dict, List, Optional, Tuple

DEFAULT_ATTRIBUTE = "application"
PASTE_PREFIX = "config:"
SPEC_FORMS = "MODULE, MODULE:ATTR, MODULE:ATTR.SUB, MODULE:FACTORY() or MODULE:FACTORY(literal args)"

# (positional args, keyword args) of a factory call
Call = Tuple[List[Any], Dict[str, Any]]


class AppImportError(Exception):
    """The spec names nothing usable; `hint` says what to do about it."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


def _dotted_name(node: ast.expr) -> Optional[List[str]]:
    names: List[str] = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    names.append(node.id)
    names.reverse()
    return names


def parse_spec(spec: str) -> Tuple[str, List[str], Optional[Call]]:
    """Split a spec into module name, attribute path and factory call (None when there is no call)."""
    module, _, expression = spec.strip().partition(":")
    module = module.strip()
    expression = expression.strip() or DEFAULT_ATTRIBUTE
    if module.endswith(".py") and os.path.isfile(module):
        name = module[:-3].replace(os.sep, ".")
        raise AppImportError(f"{module!r} is a file name", f"name the module, not the file: '{name}:{expression}'")
    if not module or not all(part.isidentifier() for part in module.split(".")):
        raise AppImportError(f"{module!r} is not a module name", f"an app spec looks like {SPEC_FORMS}")
    try:
        node = ast.parse(expression, mode="eval").body
    except SyntaxError:
        raise AppImportError(f"cannot parse {expression!r}", f"an app spec looks like {SPEC_FORMS}") from None
    call: Optional[Call] = None
    if isinstance(node, ast.Call):
        try:
            if any(keyword.arg is None for keyword in node.keywords):
                raise ValueError("**kwargs")
            args = [ast.literal_eval(arg) for arg in node.args]
            kwargs = {str(keyword.arg): ast.literal_eval(keyword.value) for keyword in node.keywords}
        except (ValueError, TypeError, SyntaxError, RecursionError):
            raise AppImportError(
                f"the arguments in {expression!r} are not all literals",
                "factory arguments must be Python literals (strings, numbers, True/False/None, lists, dicts...)",
            ) from None
        call = (args, kwargs)
        node = node.func
    path = _dotted_name(node)
    if path is None:
        raise AppImportError(f"{expression!r} is not a name or a call", f"an app spec looks like {SPEC_FORMS}")
    return module, path, call


def paste_config_file(spec: str) -> Optional[str]:
    """The ini file of a PasteDeploy spec, or None for a module spec. `config:` followed by an absolute path cannot
    be a module spec (no attribute starts with '/'), so a module named `config` still loads as a module."""
    if not spec.startswith(PASTE_PREFIX) or not os.path.isabs(spec[len(PASTE_PREFIX):]):
        return None
    return spec[len(PASTE_PREFIX):].partition("#")[0]


def configure_paste_logging(config_file: str) -> bool:
    """Apply the ini's [loggers], [handlers] and [formatters] as pserve and gunicorn --paste do: fileConfig with
    %(here)s and %(__file__)s defined, leaving loggers that already exist alone. False when there is no [loggers]."""
    import configparser
    import logging.config

    parser = configparser.ConfigParser()
    parser.read([config_file])
    if not parser.has_section("loggers"):
        return False
    defaults = {"__file__": config_file, "here": os.path.dirname(config_file)}
    logging.config.fileConfig(config_file, defaults=defaults, disable_existing_loggers=False)
    return True


def load_paste_app(spec: str) -> Any:
    """The [app:...] a `config:` spec names, loaded by PasteDeploy itself (imported only here: the shim is stdlib only,
    and only --paste needs it). Its `use = egg:...` and `use = call:module:factory` forms are PasteDeploy's."""
    config_file = paste_config_file(spec)
    assert config_file is not None
    if not os.path.isfile(config_file):
        raise AppImportError(f"no such file: {config_file}", "give --paste the path of an existing ini file")
    configure_paste_logging(config_file)
    from paste.deploy import loadapp  # type: ignore[import-not-found]

    return loadapp(spec, relative_to=os.path.dirname(config_file))


def load_app(spec: str) -> Any:
    """The WSGI application named by spec. Whatever the app's import raises propagates unchanged."""
    if paste_config_file(spec) is not None:
        return load_paste_app(spec)
    module_name, path, call = parse_spec(spec)
    module = importlib.import_module(module_name)
    target: Any = module
    for depth, name in enumerate(path):
        try:
            target = getattr(target, name)
        except AttributeError:
            owner = f"module {module_name!r}" if depth == 0 else repr(".".join(path[:depth]))
            where = getattr(module, "__file__", None) or module_name
            raise AppImportError(
                f"cannot find {'.'.join(path)!r} in module {module_name!r} ({where})",
                f"{owner} has no attribute {name!r}; name it as MODULE:ATTR",
            ) from None
    name = ".".join(path)
    if call is not None:
        if not callable(target):
            raise AppImportError(
                f"{name!r} in module {module_name!r} is a {type(target).__name__}, not a factory",
                f"{name!r} is not callable, so it cannot be called as a factory; drop the ()",
            )
        args, kwargs = call
        try:
            target = target(*args, **kwargs)
        except TypeError as error:
            if error.__traceback__ is None or error.__traceback__.tb_next is not None:
                raise  # raised inside the factory: its traceback says more
            raise AppImportError(
                f"cannot call {module_name}:{name}: {error}",
                f"the factory {name!r} does not take these arguments; fix the call in the app spec",
            ) from None
        if not callable(target):
            raise AppImportError(
                f"the factory {module_name}:{name}() returned a {type(target).__name__}",
                f"the factory {name!r} must return the WSGI application (a callable), not {type(target).__name__}",
            )
    elif not callable(target):
        raise AppImportError(
            f"{module_name}:{name} is a {type(target).__name__}, not a WSGI application",
            f"{name!r} in module {module_name!r} is not callable; name the WSGI application (or a factory call) "
            "as MODULE:ATTR",
        )
    return target


def detect_interface(app: Any) -> str:
    """"asgi" for an ASGI 3 application: a coroutine function taking (scope, receive, send), or an object whose
    __call__ is one (FastAPI, Starlette, Django's ASGIHandler); "wsgi" otherwise. ASGI 2's double callable
    (app(scope) returning the coroutine function) cannot be told from a WSGI app without calling it: it reads as WSGI.
    The server will choose its interface with this when it serves ASGI too."""
    import inspect

    candidates = [app]
    call = getattr(type(app), "__call__", None) if not inspect.isroutine(app) and not inspect.isclass(app) else None
    if call is not None:
        candidates.append(getattr(app, "__call__", None))
    for candidate in candidates:
        try:
            target = inspect.unwrap(candidate) if candidate is not None else None
        except ValueError:  # a __wrapped__ loop
            target = candidate
        if target is None or not inspect.iscoroutinefunction(target):
            continue
        try:
            parameters = [
                parameter for parameter in inspect.signature(candidate).parameters.values()
                if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
            ]
        except (TypeError, ValueError):
            continue
        if len(parameters) == 3:
            return "asgi"
    return "wsgi"


def require_wsgi(spec: str, app: Any) -> None:
    """Stops the boot of an ASGI app with one clear line: PyHost serves WSGI only, for now."""
    if detect_interface(app) == "asgi":
        raise AppImportError(
            f"{spec} is an ASGI application (async, called with scope, receive, send); PyHost serves WSGI apps only for now",
            "serve a WSGI app (Django: myproject.wsgi:application, not asgi), or run this one under an ASGI server until "
            "PyHost serves ASGI",
        )


def _without_loader_frames(tb: Optional[TracebackType]) -> Optional[TracebackType]:
    """Drop the leading frames of this package and of importlib: the user's code starts after them. When no frame of
    the user's is left (the module itself is missing), keep them all: a traceback with no frame reads as no traceback."""
    own = (os.path.dirname(__file__) + os.sep, os.path.dirname(importlib.__file__ or "") + os.sep, "<frozen importlib")
    first = tb
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(own):
        tb = tb.tb_next
    return tb if tb is not None else first


def _hint(spec: str, error: BaseException) -> str:
    if isinstance(error, AppImportError):
        return error.hint
    config_file = paste_config_file(spec)
    if config_file is not None and type(error).__name__ == "PackageNotFoundError":
        return (
            f"{config_file} uses egg:{error.name}, and no distribution {error.name!r} is installed for "
            f"{sys.executable}; install the project (pip install -e .), or put the directory holding its "
            ".egg-info on --pythonpath"
        )
    if config_file is not None and isinstance(error, LookupError):
        return f"check the [app:...] section and its 'use =' line in {config_file}"
    if config_file is not None and isinstance(error, ModuleNotFoundError) and error.name:
        if error.name.split(".")[0] == "paste":
            return (
                f"--paste needs PasteDeploy, which is not installed for {sys.executable}; install it there "
                "(Debian: python3-pastedeploy), or run the app with the interpreter of its virtualenv"
            )
        return (
            f"the app of {config_file} imports {error.name!r}, which is not installed for {sys.executable}; "
            "install it there, or run the app with the interpreter of its virtualenv"
        )
    if isinstance(error, ModuleNotFoundError) and error.name:
        module = spec.strip().partition(":")[0].strip()
        if module == error.name or module.startswith(error.name + "."):
            return (
                f"no module named {error.name!r} in {os.getcwd()}; check --chdir / --pythonpath, "
                f"or the interpreter ({sys.executable})"
            )
        return (
            f"the app imports {error.name!r}, which is not installed for {sys.executable}; install it there, "
            "or run the app with the interpreter of its virtualenv"
        )
    if isinstance(error, SyntaxError):
        return f"fix the syntax error in {error.filename}, line {error.lineno}"
    if isinstance(error, SystemExit):
        return "the app called sys.exit() while it was being imported"
    if isinstance(error, ImportError):
        return f"an import inside the app failed; check its dependencies are installed for {sys.executable}"
    return f"the app raised {type(error).__name__} while it was being loaded; the traceback above shows where"


def describe_failure(spec: str, error: BaseException) -> str:
    """The BOOT_FAILED text: the traceback without the loader's frames, then one line starting `hint: `."""
    if isinstance(error, AppImportError):
        text = f"AppImportError: {error}\n"
    else:
        text = "".join(traceback.format_exception(type(error), error, _without_loader_frames(error.__traceback__)))
    return f"{text}hint: {_hint(spec, error)}"
