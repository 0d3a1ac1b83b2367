"""Reads a gunicorn config file as gunicorn does and prints its module-level settings as JSON, for pyhost.

Run as: python -c "<this source>" CONFIG_FILE. Standard library only: it runs in the app's own interpreter.
Prints one JSON object to stdout:
  {"settings": {NAME: {"kind": KIND, "value": VALUE, "line": LINE}}, "error": null}
  {"settings": {}, "error": {"type": TYPE, "message": MESSAGE, "line": LINE, "traceback": TEXT}}
KIND is bool, int, float, str, none, list, dict, callable or other (VALUE is then its repr).
LINE is where the name was last bound at module level (0 if unknown).
"""
import ast
import importlib.machinery
import importlib.util
import json
import os
import sys
import traceback
import types
from typing import Any, Dict, List, Optional, Tuple


def binding_lines(source: str, path: str) -> Dict[str, int]:
    """The line of the last module-level statement binding each name, looking into if/try/with/for blocks."""
    lines: Dict[str, int] = {}

    def targets(node: ast.AST) -> List[str]:
        if isinstance(node, ast.Name):
            return [node.id]
        if isinstance(node, (ast.Tuple, ast.List)):
            return [name for element in node.elts for name in targets(element)]
        return []

    def visit(statements: List[ast.stmt]) -> None:
        for statement in statements:
            names: List[str] = []
            if isinstance(statement, ast.Assign):
                names = [name for target in statement.targets for name in targets(target)]
            elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
                names = targets(statement.target)
            elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names = [statement.name]
            elif isinstance(statement, (ast.Import, ast.ImportFrom)):
                names = [(alias.asname or alias.name).split(".")[0] for alias in statement.names]
            for name in names:
                lines[name] = statement.lineno
            for field in ("body", "orelse", "finalbody", "handlers"):
                block = getattr(statement, field, None)
                if isinstance(block, list):
                    visit([item for item in block if isinstance(item, ast.stmt)] +
                          [stmt for handler in block if isinstance(handler, ast.ExceptHandler) for stmt in handler.body])

    visit(ast.parse(source, filename=path).body)
    return lines


def describe(value: Any, depth: int = 0) -> Tuple[str, Any]:
    """The value as (kind, JSON value); callables and anything else by repr."""
    if isinstance(value, bool):
        return "bool", value
    if isinstance(value, int):
        return "int", int(value)
    if isinstance(value, float):
        return "float", value
    if isinstance(value, str):
        return "str", value
    if value is None:
        return "none", None
    if isinstance(value, (list, tuple, set, frozenset)) and depth < 4:
        return "list", [describe(item, depth + 1)[1] for item in value]
    if isinstance(value, dict) and depth < 4:
        return "dict", {str(key): describe(item, depth + 1)[1] for key, item in value.items()}
    if callable(value):
        return "callable", repr(value)
    return "other", repr(value)


def failure(error: BaseException, path: str) -> Dict[str, Any]:
    """The error with the config file's line, and a traceback that starts in the config file (not in this reader)."""
    line = 0
    frames = traceback.extract_tb(error.__traceback__)
    if isinstance(error, SyntaxError):
        line = error.lineno or 0
        frames = traceback.StackSummary.from_list([])
    else:
        first = next((index for index, frame in enumerate(frames) if os.path.abspath(frame.filename) == path), len(frames))
        frames = traceback.StackSummary.from_list(frames[first:])
        for frame in frames:
            if os.path.abspath(frame.filename) == path:
                line = frame.lineno or 0
    text = "".join(traceback.format_list(frames)) + "".join(traceback.format_exception_only(type(error), error))
    return {
        "type": type(error).__name__,
        "message": error.msg if isinstance(error, SyntaxError) and error.msg else str(error),
        "line": line,
        "traceback": ("Traceback (most recent call last):\n" + text) if frames else text,
    }


def read(path: str) -> Dict[str, Any]:
    path = os.path.abspath(path)
    try:
        with open(path, "rb") as file:
            source = file.read().decode("utf-8")
        lines = binding_lines(source, path)
        # As gunicorn's Application.get_config_from_filename: a module named __config__, any extension.
        loader = importlib.machinery.SourceFileLoader("__config__", path)
        spec = importlib.util.spec_from_file_location("__config__", path, loader=loader)
        assert spec is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["__config__"] = module
        loader.exec_module(module)
    except BaseException as error:  # a config file may raise anything, SystemExit included
        return {"settings": {}, "error": failure(error, path)}
    settings: Dict[str, Any] = {}
    for name, value in vars(module).items():
        if name.startswith("_") or isinstance(value, types.ModuleType):
            continue
        kind, described = describe(value)
        settings[name] = {"kind": kind, "value": described, "line": lines.get(name, 0)}
    return {"settings": settings, "error": None}


def main() -> None:
    output = sys.stdout
    sys.stdout = sys.stderr  # what the file prints must not mix with the JSON
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]  # gunicorn's console script does not put the current directory on sys.path
    result = read(sys.argv[1])
    json.dump(result, output)
    output.write("\n")
    output.flush()


if __name__ == "__main__":
    main()
