"""The app PyHost serves when none is named: shows the request and the worker serving it; /stream streams."""

from __future__ import annotations

import html
import os
import platform
import sys
import time
from typing import Any, Callable, Dict, Iterable, Iterator, List, Tuple

_STYLE = """<style>
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:48rem;margin:2.5rem auto;padding:0 1rem;
color:#1f2328;background:#fafafa}
h1{font-size:1.7rem;margin:0}h1 span{color:#1a7f37}h2{font-size:1.05rem;margin:1.8rem 0 .4rem}
p{color:#57606a;margin:.3rem 0}a{color:#0969da}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #d0d7de;border-radius:6px}
th,td{text-align:left;vertical-align:top;padding:.35rem .7rem;border-top:1px solid #eaeef2}
tr:first-child th,tr:first-child td{border-top:0}th{width:13rem;font-weight:500;color:#57606a}
td{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:13px;word-break:break-all}
</style>"""

_STREAM_LINES = 10


def _native_to_text(value: str) -> str:
    """Environ strings hold raw bytes as latin-1 (PEP 3333 "Unicode Issues"); show them as the UTF-8 they were."""
    return value.encode("latin-1").decode("utf-8", "replace")


def _table(rows: List[Tuple[str, str]]) -> str:
    cells = "".join(f"<tr><th>{html.escape(name)}</th><td>{html.escape(value)}</td></tr>" for name, value in rows)
    return f"<table>{cells}</table>"


def _page(environ: Dict[str, Any]) -> bytes:
    path = _native_to_text(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""))
    request = [
        ("Method", environ.get("REQUEST_METHOD", "")),
        ("Path", path),
        ("Query", _native_to_text(environ.get("QUERY_STRING", "")) or "(none)"),
        ("Scheme", environ.get("wsgi.url_scheme", "")),
        ("Protocol", environ.get("SERVER_PROTOCOL", "")),
        ("Client", environ.get("REMOTE_ADDR", "")),
    ]
    headers = sorted(
        (key[5:].replace("_", "-").title(), value) for key, value in environ.items() if key.startswith("HTTP_")
    )
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):  # PEP 3333 keeps these two out of HTTP_*
        if environ.get(key):
            headers.append((key.replace("_", "-").title(), environ[key]))
    worker = [
        ("PyHost worker", os.environ.get("PYHOST_WORKER_ID", "?")),
        ("Process id", str(os.getpid())),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("Executable", sys.executable),
        ("Directory", os.getcwd()),
    ]
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>PyHost is running</title>'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">{_STYLE}</head><body>'
        "<h1>PyHost is <span>running</span></h1>"
        "<p>This is the demo app, served because no app was named. "
        '<a href="stream">/stream</a> sends a response line by line.</p>'
        f"<h2>Request</h2>{_table(request)}<h2>Headers</h2>{_table(headers)}<h2>Worker</h2>{_table(worker)}"
        "</body></html>"
    ).encode("utf-8")


def _stream() -> Iterator[bytes]:
    # Some browsers wait for about 1 KiB before they render anything; the padding gets the first lines shown.
    yield (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>PyHost stream</title>'
        f"{_STYLE}</head><body><h1>Streaming</h1><p>One line every 0.3 s, each its own chunk.</p>"
        f"<!--{' ' * 1024}-->\n"
    ).encode("utf-8")
    for number in range(1, _STREAM_LINES + 1):
        time.sleep(0.3)
        yield f"<p>line {number} of {_STREAM_LINES} at {time.strftime('%H:%M:%S')}</p>\n".encode("utf-8")
    yield b'<p><a href="./">back</a></p></body></html>'


def app(environ: Dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")])
    if environ.get("PATH_INFO", "").rstrip("/").endswith("/stream"):
        return _stream()  # a real generator: each line goes out as it is yielded
    return [_page(environ)]
