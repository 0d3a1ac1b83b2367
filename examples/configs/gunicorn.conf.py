# A gunicorn config file as many projects have one: `pyhost serve -c examples/configs/gunicorn.conf.py` reads it
# (it is Python, run in the app's interpreter) and maps every setting PyHost has; the hook below gets a warning.
import multiprocessing

wsgi_app = "hello:app"
bind = ["127.0.0.1:8000", "unix:/tmp/pyhost-example.sock"]
workers = multiprocessing.cpu_count() * 2 + 1
worker_class = "gthread"
threads = 2
timeout = 60
graceful_timeout = 20
keepalive = 5
max_requests = 1000
max_requests_jitter = 100
accesslog = "-"
loglevel = "info"
forwarded_allow_ips = "127.0.0.1,10.0.0.0/8"
raw_env = ["APP_ENV=production"]


def post_fork(server, worker):
    server.log.info("worker %s forked", worker.pid)
