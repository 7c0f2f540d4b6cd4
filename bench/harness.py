"""What several bench scripts share: a cookie jar for http.client answers, and stopping a server they started.

    from harness import keep_cookies, cookie_header, stop, log_tail   # bench/ is sys.path[0] in a bench script
"""
import signal
import subprocess
from http.cookies import SimpleCookie
from pathlib import Path


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def keep_cookies(cookies: dict[str, str], headers) -> None:
    """Apply an answer's Set-Cookie headers to the jar as a browser would: a cookie expired or emptied is dropped."""
    for header in headers.get_all("Set-Cookie") or []:
        cookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            if morsel.value and morsel["max-age"] != "0":
                cookies[name] = morsel.value
            else:
                cookies.pop(name, None)


def log_tail(log, path, lines: int = 40) -> str:
    log.flush()
    return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])


def stop(process: subprocess.Popen, timeout: float) -> None:
    """SIGTERM (gunicorn's graceful stop), then SIGKILL if it has not ended within timeout seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
