"""gunicorn settings for the portal: `gunicorn --config deploy/gunicorn.conf.py run:app` (make run, the systemd unit).

Every value can be overridden from the environment (GUNICORN_*) or the command line (`--bind`, `--workers`), which
gunicorn applies after this file. Why each value is what it is: docs/deploy.md, section "gunicorn".
"""
import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# nginx in front (deploy/nginx/xuexizhixing.conf) listens to the world; gunicorn only to it.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8080")

# sync workers: nginx buffers the whole request body (proxy_request_buffering on) and the response (proxy_buffering
# on), so a slow phone never holds a worker; what is left is CPU work in Python (templates, scrypt at sign-in, the
# video's checks), where threads under the GIL add nothing but thread-safety questions. Two per core plus one keeps
# the CPUs busy while some workers wait on PostgreSQL. Each worker holds one database connection at a time: size
# PostgreSQL's max_connections from this (docs/deploy.md).
worker_class = "sync"
workers = _int("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1)

# The longest request left in a request is a 50 MB video's checks (probe, duration, silence scan of the whole
# track): about 2-4 s on a loaded 2-core machine (bench/upload.py). Exports, imports, 自动分配 and the certificates
# run in the task worker. The upload's transfer from a slow phone (minutes) happens between the phone and nginx, which
# hands the finished body over at local speed, so it does not count here. 60 s is over ten times the longest and
# still frees a stuck worker within a minute (gunicorn's default 30 s killed a 90,000-row export before it moved to
# the worker).
timeout = _int("GUNICORN_TIMEOUT", 60)
# On `systemctl reload` (HUP) or stop (TERM), requests in flight get this long to finish.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)

# A worker is replaced after about this many requests (memory that Pillow, PyAV and FFmpeg keep after big files);
# the jitter keeps all workers from restarting at once.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)

# The heartbeat file on tmpfs: a slow disk (or an NFS home) would otherwise stall workers and look like a timeout.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# Access log to stdout (journald under systemd). The client is nginx's X-Forwarded-For; the path is logged without
# its query string, which can hold a name or an ID number typed into a search (PIPL: no personal data in logs);
# %(M)s is the time taken in milliseconds.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
access_log_format = '%({x-forwarded-for}i)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'

# Trust X-Forwarded-Proto (https) only from nginx: on one machine 127.0.0.1; past one machine the nginx host's
# address (docs/deploy.md). The app reads X-Forwarded-For itself when PROXY_FIX=1 (config.py).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

proc_name = "xuexizhixing"
# No control socket (gunicorn 24+): systemd reloads and stops by signals, and several gunicorns of one user (make run,
# the benches' servers) would otherwise all claim the same ~/.gunicorn/gunicorn.ctl.
control_socket_disable = True
