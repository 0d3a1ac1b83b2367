"""The servers under test: how each one is started on a loopback port with a given app and worker count, how it is
told apart into front and Python workers, and how it is stopped (by the pids bench/run started, never by name).

Every peer runs with its documented defaults, except where a default would cap it below what an operator tuning a
benchmark would allow (keep-alive request limits, nginx's request buffering of the 1 MiB POST); each is said below.
"""

from __future__ import annotations

import ctypes
import http.client
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from . import procs

PYTHON = "/usr/bin/python3"
_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


def _die_with_bench() -> None:
    # If bench/run itself is killed (SIGKILL leaves no chance for cleanup), its servers get SIGTERM from the kernel.
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass(frozen=True)
class App:
    """A WSGI app under bench/apps, as MODULE:ATTR, and the path that answers 200 once it is up."""

    module: str
    attr: str
    ready_path: str = "/"

    @property
    def spec(self) -> str:
        return f"{self.module}:{self.attr}"


@dataclass
class Context:
    apps: Path  # bench/apps
    pyhost: Path  # a private copy of artifacts/pyhost, so a rebuild by someone else mid-run changes nothing
    tmp: Path  # the run's temp dir (world-readable: Apache's and nginx's workers run as www-data/nobody)
    env: dict[str, str]  # environment every app gets (the Django database path)
    static_dir: Path  # files for the static scenarios, served at /static/
    compress: bool = False  # the gzip scenarios: on-the-fly gzip and precompressed siblings on, on both sides


# nginx's default gzip_comp_level, and what PyHost is given for the gzip scenarios: the same work on both sides.
GZIP_LEVEL = 1


@dataclass
class Launch:
    argv: list[str]
    stop_signal: int = signal.SIGTERM
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Running:
    server: "Server"
    port: int
    workers: int
    launches: list[Launch]
    popens: list[subprocess.Popen]
    dir: Path
    is_worker: procs.WorkerTest = lambda p: False

    @property
    def roots(self) -> list[int]:
        return [p.pid for p in self.popens]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def log_tail(self, lines: int = 15) -> str:
        out = []
        for log in sorted(self.dir.glob("*.log")):
            text = log.read_text(errors="replace").strip().splitlines()[-lines:]
            if text:
                out.append(f"--- {log.name}\n" + "\n".join(text))
        return "\n".join(out)

    def stop(self, timeout: float = 10.0) -> None:
        """Signals each process bench/run started, waits, then SIGKILLs whatever of their tree is left."""
        tree = [(p.pid, p.start_ticks) for p in procs.tree(self.roots)]
        for popen, launch in reversed(list(zip(self.popens, self.launches))):
            if popen.poll() is None:
                try:
                    popen.send_signal(launch.stop_signal)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + timeout
        for popen in self.popens:
            try:
                popen.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for _ in range(2):
            left = [pid for pid, start in tree if (p := procs.read_proc(pid)) is not None and p.start_ticks == start]
            if not left:
                break
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.3)
        for popen in self.popens:
            try:
                popen.wait(5)
            except subprocess.TimeoutExpired:
                pass


class StartFailed(Exception):
    pass


class Server:
    name = ""  # short key for --servers
    label = ""  # how tables name it
    package = ""  # the Debian package whose version the report prints
    serves_apps = True
    serves_static = False
    multiprocess = True  # False: one process whatever the worker count
    stop_signal = signal.SIGTERM
    is_pyhost = False
    variant = False  # a second configuration of a server: runs only where a scenario asks for it, or when named

    def describe(self, workers: int) -> str:
        raise NotImplementedError

    def launches(self, ctx: Context, app: App, workers: int, port: int, dir: Path) -> list[Launch]:
        raise NotImplementedError

    def worker_test(self, roots: list[int]) -> procs.WorkerTest:
        """By default, a worker is any child of the last process started (a master's children)."""
        master = roots[-1]
        return lambda p: p.ppid == master

    def start(self, ctx: Context, app: App, workers: int, static: bool = False, timeout: float = 45.0) -> Running:
        port = free_port()
        dir = ctx.tmp / f"{self.name}-{port}"
        dir.mkdir(mode=0o755)
        dir.chmod(0o755)
        launches = self.launches(ctx, app, workers, port, dir)
        running = Running(self, port, workers if self.multiprocess else 1, launches, [], dir)
        ready_path = "/static/1k.bin" if static else app.ready_path
        try:
            for n, launch in enumerate(launches):
                # Each server starts in a session of its own, as under systemd. With Linux's scheduling autogroups
                # (kernel.sched_autogroup_enabled=1, Debian's default) a session is one scheduling group: the server's
                # processes together get the same CPU share as wrk's, however many threads they run. This is fair
                # between servers, and it exposes a server that burns its share (PyHost's idle thread-pool threads
                # spinning cost 2-3x the CPU per Connection: close request before they stopped spinning); started in
                # the bench's own session instead, a many-threaded server would take CPU from the load generator.
                log = open(dir / f"{self.name}-{n}.log", "wb")
                running.popens.append(
                    subprocess.Popen(
                        launch.argv, cwd=ctx.apps, env={**os.environ, **ctx.env, **launch.env},
                        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                        start_new_session=True, preexec_fn=_die_with_bench,
                    )
                )
                log.close()
            running.is_worker = self.worker_test(running.roots)
            wait_ready(running, ready_path, timeout)
            self.wait_workers(running, timeout)
        except BaseException:
            running.stop()
            raise
        return running

    def wait_workers(self, running: Running, timeout: float) -> None:
        """Waits until the server has all its worker processes, so none boots during a measurement."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sum(1 for p in procs.tree(running.roots) if running.is_worker(p)) >= running.workers:
                return
            time.sleep(0.1)
        raise StartFailed(f"{self.label}: fewer than {running.workers} workers after {timeout:.0f}s")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(running: Running, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        for popen in running.popens:
            if popen.poll() is not None:
                raise StartFailed(f"{running.server.label} exited with {popen.returncode}\n{running.log_tail()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", running.port, timeout=2)
            conn.request("GET", path)
            response = conn.getresponse()  # the status only: a streamed body may end only when the server closes
            conn.close()
            if response.status == 200:
                return
            last = f"status {response.status}"
        except OSError as e:
            last = str(e)
        time.sleep(0.2)
    raise StartFailed(f"{running.server.label}: GET {path} not 200 after {timeout:.0f}s ({last})\n{running.log_tail()}")


class PyHost(Server):
    name, label, package = "pyhost", "PyHost", ""
    serves_static = True
    is_pyhost = True

    def __init__(self, name: str = "pyhost", label: str = "PyHost", extra_args: tuple[str, ...] = (),
                 binary: Path | None = None, variant: bool = False) -> None:
        self.name, self.label, self.extra_args, self.binary = name, label, extra_args, binary
        self.variant = variant

    def describe(self, workers: int) -> str:
        extra = " " + " ".join(self.extra_args) if self.extra_args else ""
        return f"`pyhost serve APP -w {workers} --python {PYTHON}{extra}` (defaults otherwise: 1 thread per worker)"

    def launches(self, ctx, app, workers, port, dir):
        argv = [str(self.binary or ctx.pyhost), "serve", app.spec, "--python", PYTHON, "--chdir", str(ctx.apps),
                "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
                "--static", f"/static={ctx.static_dir}", *self.extra_args]
        if ctx.compress:
            argv += ["--compress", "--compress-codings", "gzip", "--compress-level", f"gzip={GZIP_LEVEL}", "--static-precompressed"]
        for key, value in ctx.env.items():
            argv += ["-e", f"{key}={value}"]
        return [Launch(argv)]

    def worker_test(self, roots):
        return lambda p: p.comm.startswith("python")


class GunicornSync(Server):
    name, label, package = "gunicorn-sync", "gunicorn sync", "gunicorn"
    worker_class = "sync"

    def describe(self, workers):
        return f"`gunicorn -w {workers} -k sync APP`"

    def launches(self, ctx, app, workers, port, dir):
        # SIGINT is gunicorn's quick shutdown; SIGTERM would wait --graceful-timeout for sync workers.
        return [Launch(["gunicorn", "--chdir", str(ctx.apps), "-w", str(workers), *self.worker_args(),
                        "-b", f"127.0.0.1:{port}", "--log-level", "warning", app.spec], signal.SIGINT)]

    def worker_args(self) -> list[str]:
        return ["-k", "sync"]


class GunicornGthread(GunicornSync):
    name, label = "gunicorn-gthread", "gunicorn gthread"

    def describe(self, workers):
        return f"`gunicorn -w {workers} -k gthread --threads 4 APP`"

    def worker_args(self):
        return ["-k", "gthread", "--threads", "4"]


def uwsgi_argv(ctx: Context, app: App, workers: int, socket_args: list[str]) -> list[str]:
    return ["uwsgi", "--plugin", "python3", *socket_args, "--master", "--processes", str(workers),
            "--chdir", str(ctx.apps), "--module", app.spec, "--disable-logging", "--die-on-term", "--need-app"]


class UwsgiHttp(Server):
    name, label, package = "uwsgi-http", "uWSGI --http-socket", "uwsgi-core"

    def describe(self, workers):
        return (f"`uwsgi --http-socket ... --master --processes {workers}`: HTTP/1.0-style, it closes the connection "
                "after each response without saying so, which wrk counts as a read error per request")

    def launches(self, ctx, app, workers, port, dir):
        return [Launch(uwsgi_argv(ctx, app, workers, ["--http-socket", f"127.0.0.1:{port}"]))]


class UwsgiHttp11(Server):
    name, label, package = "uwsgi-http11", "uWSGI --http11-socket", "uwsgi-core"

    def describe(self, workers):
        return (f"`uwsgi --http11-socket ... --master --processes {workers}`: the same with HTTP/1.1 keep-alive. A "
                f"worker stays with its connection until the client closes it, so of 64 connections {workers} are served and "
                "the others wait (see the probe column); it keeps the connection open even when the request says "
                "`Connection: close`; and a response without Content-Length (the stream) is not chunked: it ends "
                "when uWSGI closes the connection after its 4 s socket timeout")

    def launches(self, ctx, app, workers, port, dir):
        return [Launch(uwsgi_argv(ctx, app, workers, ["--http11-socket", f"127.0.0.1:{port}"]))]


NGINX_CONF = """\
worker_processes auto;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 1000000;
    default_type application/octet-stream;
    client_max_body_size 4m;
    client_body_buffer_size 2m;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
{upstreams}    server {{
        listen 127.0.0.1:{port};
{locations}
    }}
}}
"""

UWSGI_PARAMS = ["QUERY_STRING $query_string", "REQUEST_METHOD $request_method", "CONTENT_TYPE $content_type",
                "CONTENT_LENGTH $content_length", "REQUEST_URI $request_uri", "PATH_INFO $document_uri",
                "DOCUMENT_ROOT $document_root", "SERVER_PROTOCOL $server_protocol", "REQUEST_SCHEME $scheme",
                "REMOTE_ADDR $remote_addr", "REMOTE_PORT $remote_port", "SERVER_PORT $server_port",
                "SERVER_NAME $server_name"]  # what Debian's /etc/nginx/uwsgi_params passes, minus HTTPS


def nginx_launch(dir: Path, port: int, locations: str, upstreams: str = "") -> Launch:
    conf = dir / "nginx.conf"
    conf.write_text(NGINX_CONF.format(dir=dir, port=port, locations=locations, upstreams=upstreams))
    # -e: not even the startup error log goes to /var/log/nginx; -p: no path of the system's nginx is used.
    return Launch(["nginx", "-p", str(dir), "-e", str(dir / "nginx-error.log"), "-c", str(conf)])


class NginxUwsgi(Server):
    name, label, package = "nginx-uwsgi", "nginx → uWSGI", "uwsgi-core"

    def describe(self, workers):
        return (f"nginx (`worker_processes auto`, `uwsgi_pass` to a Unix socket, `uwsgi_buffering` on as by default) "
                f"in front of `uwsgi --plugin python3 --socket ... --master --processes {workers}`: one of the stacks "
                "PyHost replaces")

    def launches(self, ctx, app, workers, port, dir):
        sock = dir / "uwsgi.sock"
        params = "\n".join(f"            uwsgi_param {p};" for p in UWSGI_PARAMS)
        locations = f"        location / {{\n{params}\n            uwsgi_pass unix:{sock};\n        }}"
        uwsgi = Launch(uwsgi_argv(ctx, app, workers, ["--socket", str(sock), "--chmod-socket=666"]))
        return [uwsgi, nginx_launch(dir, port, locations)]

    def worker_test(self, roots):
        uwsgi_master = roots[0]
        return lambda p: p.ppid == uwsgi_master


# gunicorn's own deployment guide (docs.gunicorn.org/en/stable/deploy.html): an upstream on gunicorn's Unix socket,
# fail_timeout=0, and these headers. Buffering of requests and responses stays on, as nginx ships it: that buffering
# is why the guide puts nginx in front of sync workers at all.
GUNICORN_UPSTREAM = """\
    upstream app_server {{
        server unix:{sock} fail_timeout=0;
    }}
"""
GUNICORN_LOCATION = """\
        location / {
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header Host $http_host;
            proxy_redirect off;
            proxy_pass http://app_server;
        }"""


class NginxGunicorn(Server):
    name, label, package = "nginx-gunicorn", "nginx → gunicorn", "gunicorn"

    def describe(self, workers):
        return (f"nginx (`worker_processes auto`, `proxy_pass` to a Unix socket as gunicorn's deployment guide has it, "
                f"HTTP/1.0 to the upstream and `proxy_buffering` on, nginx's defaults) in front of "
                f"`gunicorn -w {workers} -k sync -b unix:...`: the stack PyHost replaces")

    def launches(self, ctx, app, workers, port, dir):
        sock = dir / "gunicorn.sock"
        # gunicorn's --umask 0 (its default) leaves the socket writable by nginx's workers (user nobody).
        gunicorn = Launch(["gunicorn", "--chdir", str(ctx.apps), "-w", str(workers), "-k", "sync", "-b", f"unix:{sock}",
                           "--log-level", "warning", app.spec], signal.SIGINT)
        return [gunicorn, nginx_launch(dir, port, GUNICORN_LOCATION, GUNICORN_UPSTREAM.format(sock=sock))]

    def worker_test(self, roots):
        gunicorn_master = roots[0]
        return lambda p: p.ppid == gunicorn_master


def pyhost_argv(ctx: Context, app: App, workers: int, binds: list[str]) -> list[str]:
    # --umask 000: nginx's workers (nobody) must connect to PyHost's Unix socket, as uWSGI's --chmod-socket=666 lets them.
    return [str(ctx.pyhost), "serve", app.spec, "--python", PYTHON, "--chdir", str(ctx.apps), "-w", str(workers),
            *[arg for bind in binds for arg in ("-b", bind)], "--umask", "000", "--log-level", "warning"]


class NginxUwsgiPyHost(Server):
    """The same nginx and uwsgi_pass as nginx-uwsgi, to PyHost's uwsgi listener instead of uWSGI."""
    name, label, package = "nginx-uwsgi-pyhost", "nginx + PyHost (uwsgi)", "nginx"

    def describe(self, workers):
        return (f"nginx as for nginx + uWSGI (`uwsgi_pass` to a Unix socket, the same params) in front of "
                f"`pyhost serve APP -w {workers} -b uwsgi+unix:...`")

    def launches(self, ctx, app, workers, port, dir):
        sock = dir / "pyhost-uwsgi.sock"
        params = "\n".join(f"            uwsgi_param {p};" for p in UWSGI_PARAMS)
        locations = f"        location / {{\n{params}\n            uwsgi_pass unix:{sock};\n        }}"
        return [Launch(pyhost_argv(ctx, app, workers, [f"uwsgi+unix:{sock}"])), nginx_launch(dir, port, locations)]

    def worker_test(self, roots):
        return lambda p: p.comm.startswith("python")


KEEPALIVE_UPSTREAM = "    upstream pyhost {{ server unix:{sock}; keepalive 32; }}\n"


class NginxFastCgiPyHost(Server):
    """nginx's fastcgi_pass with kept connections (fastcgi_keep_conn, upstream keepalive) to PyHost's FastCGI listener."""
    name, label, package = "nginx-fastcgi-pyhost", "nginx + PyHost (FastCGI)", "nginx"

    def describe(self, workers):
        return (f"nginx (`fastcgi_pass` with `fastcgi_keep_conn on` to an upstream with `keepalive 32`, Debian's "
                f"fastcgi_params, a Unix socket) in front of `pyhost serve APP -w {workers} -b fastcgi+unix:...`")

    def launches(self, ctx, app, workers, port, dir):
        sock = dir / "pyhost-fastcgi.sock"
        locations = ("        location / {\n            include /etc/nginx/fastcgi_params;\n            fastcgi_keep_conn on;\n"
                     "            fastcgi_pass pyhost;\n        }")
        return [Launch(pyhost_argv(ctx, app, workers, [f"fastcgi+unix:{sock}"])),
                nginx_launch(dir, port, locations, upstreams=KEEPALIVE_UPSTREAM.format(sock=sock))]

    def worker_test(self, roots):
        return lambda p: p.comm.startswith("python")


class NginxHttpPyHost(Server):
    """nginx's proxy_pass with kept HTTP/1.1 connections to PyHost's HTTP listener: what FastCGI is weighed against."""
    name, label, package = "nginx-http-pyhost", "nginx + PyHost (HTTP)", "nginx"

    def describe(self, workers):
        return (f"nginx (`proxy_pass` HTTP/1.1 with `Connection \"\"` to an upstream with `keepalive 32`, a Unix socket) "
                f"in front of `pyhost serve APP -w {workers} -b unix:...`")

    def launches(self, ctx, app, workers, port, dir):
        sock = dir / "pyhost-http.sock"
        locations = ("        location / {\n            proxy_http_version 1.1;\n            proxy_set_header Connection \"\";\n"
                     "            proxy_set_header Host $host;\n            proxy_pass http://pyhost;\n        }")
        return [Launch(pyhost_argv(ctx, app, workers, [f"unix:{sock}"])),
                nginx_launch(dir, port, locations, upstreams=KEEPALIVE_UPSTREAM.format(sock=sock))]

    def worker_test(self, roots):
        return lambda p: p.comm.startswith("python")


class Waitress(Server):
    name, label, package = "waitress", "waitress", "python3-waitress"
    multiprocess = False

    def describe(self, workers):
        return "`python3 -m waitress --threads 4 APP`: one process whatever the worker count (waitress has no workers)"

    def launches(self, ctx, app, workers, port, dir):
        return [Launch([PYTHON, "-m", "waitress", f"--listen=127.0.0.1:{port}", "--threads=4", app.spec])]

    def worker_test(self, roots):
        return lambda p: p.pid == roots[0]


APACHE_CONF = """\
ServerRoot "{dir}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile {dir}/apache2.pid
DefaultRuntimeDir {dir}
ErrorLog {dir}/apache-error.log
LogLevel warn
User www-data
Group www-data
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule reqtimeout_module /usr/lib/apache2/modules/mod_reqtimeout.so
LoadModule wsgi_module /usr/lib/apache2/modules/mod_wsgi.so
# Debian's mpm_event.conf and reqtimeout.conf
StartServers 2
MinSpareThreads 25
MaxSpareThreads 75
ThreadLimit 64
ThreadsPerChild 25
MaxRequestWorkers 150
MaxConnectionsPerChild 0
RequestReadTimeout header=20-40,minrate=500 body=10,minrate=500
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 5
WSGIRestrictEmbedded On
WSGISocketPrefix {dir}/wsgi
WSGIDaemonProcess bench processes={workers} threads={threads} display-name=wsgid python-path={apps}
WSGIProcessGroup bench
WSGIApplicationGroup %{{GLOBAL}}
WSGIScriptAlias / {dir}/app.wsgi
<Directory {dir}>
    Require all granted
</Directory>
"""


class ApacheModWsgi(Server):
    name, label, package = "apache-modwsgi", "Apache mod_wsgi", "libapache2-mod-wsgi-py3"
    threads = 1  # the peers run one request per process too; see the report notes

    def describe(self, workers):
        return (f"apache2 (event MPM, Debian's MPM defaults, own config in a temp dir) with "
                f"`WSGIDaemonProcess processes={workers} threads={self.threads}`")

    def launches(self, ctx, app, workers, port, dir):
        # The script sets the apps' environment itself: mod_wsgi daemons need not inherit apache2's.
        (dir / "app.wsgi").write_text(
            "import os\n"
            f"os.environ.update({ctx.env!r})\n"
            f"from {app.module} import {app.attr} as application\n"
        )
        (dir / "apache2.conf").write_text(
            APACHE_CONF.format(dir=dir, port=port, workers=workers, threads=self.threads, apps=ctx.apps))
        return [Launch(["apache2", "-f", str(dir / "apache2.conf"), "-DFOREGROUND"])]

    def worker_test(self, roots):
        names: dict[tuple[int, int], bool] = {}

        def is_daemon(p: procs.Proc) -> bool:
            key = (p.pid, p.start_ticks)
            if key not in names:
                names[key] = procs.cmdline(p.pid).startswith("wsgid ")
            return names[key]

        return is_daemon


class NginxStatic(Server):
    name, label, package = "nginx", "nginx", "nginx"
    serves_apps = False
    serves_static = True
    multiprocess = False

    def describe(self, workers):
        return ("nginx `worker_processes auto`, `sendfile on`, a `location /static/` alias (static scenarios only); "
                f"for the gzip scenarios also `gzip on; gzip_comp_level {GZIP_LEVEL}; gzip_static on`")

    def launches(self, ctx, app, workers, port, dir):
        gzip = (f"            gzip on;\n            gzip_comp_level {GZIP_LEVEL};\n            gzip_static on;\n"
                if ctx.compress else "")
        locations = f"        location /static/ {{\n            alias {ctx.static_dir}/;\n{gzip}        }}"
        return [nginx_launch(dir, port, locations)]

    def worker_test(self, roots):
        return lambda p: False  # nginx is all front: it runs no Python

    def wait_workers(self, running, timeout):
        pass


CADDY_CONF = """\
{{
	admin off
	auto_https off
	grace_period 2s
}}
http://:{port} {{
	bind 127.0.0.1
	handle_path /static/* {{
		root * {static_dir}
{encode}		file_server{precompressed}
	}}
}}
"""


class CaddyStatic(Server):
    """Debian's Caddy serving the same directory: the other web server people put in front of a Python app."""
    name, label, package = "caddy", "Caddy", "caddy"
    serves_apps = False
    serves_static = True
    multiprocess = False

    def describe(self, workers):
        return ("Caddy, one process (Go uses every core), `handle_path /static/*` with `file_server`, no access log, "
                f"automatic HTTPS off (static scenarios only); for the gzip scenarios also `encode {{ gzip {GZIP_LEVEL} }}` "
                "and `file_server { precompressed gzip }`")

    def launches(self, ctx, app, workers, port, dir):
        # Tabs, as `caddy fmt` writes a Caddyfile: Caddy warns at start about any other indentation.
        encode = f"\t\tencode {{\n\t\t\tgzip {GZIP_LEVEL}\n\t\t}}\n" if ctx.compress else ""
        precompressed = " {\n\t\t\tprecompressed gzip\n\t\t}" if ctx.compress else ""
        conf = dir / "Caddyfile"
        conf.write_text(CADDY_CONF.format(port=port, static_dir=ctx.static_dir, encode=encode, precompressed=precompressed))
        # Its data and config directories (certificates, autosave) in the run's own directory, not the user's home.
        home = {"HOME": str(dir), "XDG_DATA_HOME": str(dir), "XDG_CONFIG_HOME": str(dir)}
        return [Launch(["caddy", "run", "--config", str(conf), "--adapter", "caddyfile"], env=home)]

    def worker_test(self, roots):
        return lambda p: False  # Caddy is all front: it runs no Python

    def wait_workers(self, running, timeout):
        pass


# Pipelining off: the mixed-latency scenario runs it beside the default, so pipelining's tail cost is always in view.
PYHOST_NO_PIPELINING = PyHost("pyhost-depth0", "PyHost --pipeline-depth 0", ("--pipeline-depth", "0"), variant=True)

ALL: list[Server] = [PyHost(), PYHOST_NO_PIPELINING, GunicornSync(), GunicornGthread(), UwsgiHttp(), UwsgiHttp11(),
                     NginxGunicorn(), NginxUwsgi(),
                     NginxUwsgiPyHost(), NginxFastCgiPyHost(), NginxHttpPyHost(), Waitress(), ApacheModWsgi(), NginxStatic(),
                     CaddyStatic()]
BY_NAME: dict[str, Server] = {s.name: s for s in ALL}
