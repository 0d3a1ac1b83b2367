"""The scenarios, in the order they run. Scenarios that share an app share one server start ("group"); within a
group the order matters: the hello baseline comes before the slow-client run that may leave a server unwell."""

from __future__ import annotations

from dataclasses import dataclass, field

from .servers import App

HELLO = App("hello", "app")


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    short: str  # the chart's label
    group: str  # scenarios of one group run against one server start
    kind: str  # "wrk", "latency", "slowloris", "openloop", "slowclients", "static", "scaling"
    app: App = HELLO
    path: str = "/"
    headers: tuple[str, ...] = ()
    post_bytes: int = 0
    connections: int = 64
    apptime_args: tuple[str, ...] = field(default=())  # how bench/apptime.py calls the app for the limit
    # When set, the scenario runs against these servers only (those selected, and PyHost's variants always).
    peers: tuple[str, ...] = ()


MiB = 1024 * 1024

SCENARIOS = [
    Scenario("hello", "Hello world, keep-alive, 64 connections", "hello\nkeep-alive", "hello", "wrk"),
    Scenario("hello-close", "Hello world, a new connection per request (Connection: close)", "hello\nConnection: close", "hello", "wrk",
             headers=("Connection: close",)),
    Scenario("latency", "Hello world at a fixed rate of half the server's own maximum", "hello at\nhalf load", "hello", "latency"),
    Scenario("slowloris", "Hello world, keep-alive, while 500 slow clients hold connections open", "hello with 500\nslow clients", "hello",
             "slowloris"),
    Scenario("mixed", "Open loop at a fixed rate: hello world with 1 request in 50 waiting 50 ms; the fast requests' latency",
             "1 in 50 slow:\nfast requests", "mixed", "openloop", App("mixed", "app"),
             peers=("pyhost", "pyhost-depth0", "gunicorn-sync", "nginx-gunicorn")),
    Scenario("slow-clients", "Hello world, keep-alive, while 50 slow uploaders (300 B/s) and 50 slow readers (of 8 MiB) are connected",
             "hello with 50 slow\nuploaders + readers", "slow-clients", "slowclients", App("busysite", "app"),
             peers=("pyhost", "nginx-gunicorn", "nginx-uwsgi", "gunicorn-sync")),
    Scenario("big", "A 100 KiB response", "100 KiB\nresponse", "big", "wrk", App("payloads", "big")),
    Scenario("echo", "A 1 MiB POST echoed back", "1 MiB POST\nechoed", "echo", "wrk", App("payloads", "echo"), post_bytes=MiB,
             apptime_args=("--method", "POST", "--body-bytes", str(MiB))),
    Scenario("stream", "A stream of 1,000 chunks of 16 bytes", "1,000-chunk\nstream", "stream", "wrk", App("payloads", "stream")),
    Scenario("flask", "Flask page rendered from a Jinja template", "Flask page", "flask", "wrk", App("flaskpage", "app")),
    Scenario("django", "Django view: a SQLite query rendered through a template", "Django page\n(SQLite)", "django", "wrk",
             App("djangobench.wsgi", "application")),
    Scenario("static-1k", "Static file of 1 KiB (PyHost's --static route vs nginx and Caddy)", "static\n1 KiB", "static", "static",
             path="/static/1k.bin"),
    Scenario("static-10m", "Static file of 10 MiB (PyHost's --static route vs nginx and Caddy)", "static\n10 MiB", "static", "static",
             path="/static/10m.bin"),
    Scenario("gzip-100k", "A 100 KiB HTML page, gzip level 1 on the fly (PyHost --compress vs nginx gzip on and Caddy encode)",
             "gzip 100 KiB\non the fly", "gzip", "static", path="/static/page100k.html", headers=("Accept-Encoding: gzip",)),
    Scenario("gzip-static-100k",
             "The same page with a precompressed .gz beside it (--static-precompressed vs nginx gzip_static and Caddy precompressed)",
             "gzip 100 KiB\nprecompressed", "gzip", "static", path="/static/page100k-pre.html", headers=("Accept-Encoding: gzip",)),
    Scenario("scaling", "Worker scaling: hello world, keep-alive, with 1, 2 and 4 workers", "scaling", "scaling", "scaling"),
]
BY_KEY = {s.key: s for s in SCENARIOS}
QUICK = ["hello", "mixed", "flask", "static-1k"]
QUICK_SERVERS = ["pyhost", "gunicorn-sync", "uwsgi-http11", "nginx-gunicorn", "nginx"]
# The mixed scenario: one request in SLOW_EVERY (at random, seeded) goes to SLOW_PATH, at this share of the mix's
# closed-loop capacity (measured on PyHost in the same run, unless bench/run --open-rate fixes it).
SLOW_PATH, SLOW_EVERY, OPEN_LOAD_SHARE = "/slow?ms=50", 50, 0.5
# The slow-clients scenario (issue 9): how many of each kind.
SLOW_UPLOADERS, SLOW_READERS = 50, 50
SCALING_WORKERS = (1, 2, 4)

# How long a server idles after its first scenario group before its memory is read again (bench/run's memory table).
IDLE_AFTER_LOAD_SECONDS = 12
