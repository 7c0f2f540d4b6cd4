#!/usr/bin/env python
"""Benchmark: the portal's video upload and check, through gunicorn, against a bare Flask upload in the same run.

    .venv/bin/python bench/upload.py [--repeat 5] [--size BYTES] [--audio silent|tone|none]

Case A (the portal): POST /apply/video of a valid H.264 MP4 just under the 50 MiB limit, sent as the raw request
body (X-File-Name, application/octet-stream, X-CSRFToken) by a logged-in applicant: streamed to disk in 1 MiB chunks
by app/storage.py, then probed by app/media/video.py (MediaInfo + PyAV) and its sound scanned for silence. By default
the clip is 5 minutes long with 48 kHz stereo sound that is silent throughout, the worst case of that scan (the
whole track decoded); --audio tone gives the same clip with sound (the scan stops within its first second), so the
two runs' difference is the cost of the silence check. Case B (the baseline): a bare Flask app,
defined below and served by the same gunicorn settings, that saves the same raw body to a file in 1 MiB chunks.

For each case: the gunicorn worker's peak RSS increase over its idle RSS just before the request, and the request's
wall time, the median of --repeat runs after one warm-up run each (the warm-up loads lazily loaded libraries, such
as libmediainfo, whose pages would otherwise count against the first upload). A and B run alternately, so that
noise on a shared machine falls on both. The peak is the kernel's high-water mark (VmHWM, reset through
/proc/<pid>/clear_refs just before the request) and, as a cross-check, VmRSS sampled every 2 ms in a thread.

Everything lives in a temporary directory (SQLite database, uploads, instance dir, gunicorn logs) removed at the end;
both gunicorn servers listen on 127.0.0.1 only and are stopped at the end. MB here are MiB, as in the portal's
"50MB" limit.
"""
import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from benchline import emit
from harness import cookie_header, keep_cookies, log_tail, stop

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
CHUNK = 1024 * 1024
MiB = 1024 * 1024
VIDEO_MAX_BYTES = 50 * MiB  # app/media/video.py; the portal refuses more
DEFAULT_SIZE = VIDEO_MAX_BYTES - 4096
USERNAME = "13911588771"
HOST = "127.0.0.1"
# Identical for both cases; only the WSGI app differs.
GUNICORN_SETTINGS = ["--workers", "1", "--worker-class", "sync", "--timeout", "120", "--graceful-timeout", "5"]

START_TIMEOUT = 90  # gunicorn boot + the portal's import
REQUEST_TIMEOUT = 120
SETUP_TIMEOUT = 300


# ---------------------------------------------------------------- case B: the bare Flask app (imported by gunicorn)

def baseline_app():
    """gunicorn 'upload:baseline_app()': save the raw body in 1 MiB chunks, as app/storage.py spool() does."""
    from flask import Flask, request

    app = Flask("upload_baseline")
    target_dir = Path(os.environ["BENCH_BASELINE_DIR"])

    @app.get("/ping")
    def ping():
        return "ok"

    @app.post("/upload")
    def upload():
        request.max_content_length = VIDEO_MAX_BYTES + 64 * 1024  # as the portal's _upload()
        fd, name = tempfile.mkstemp(dir=target_dir, suffix=".upload")
        written = 0
        try:
            with os.fdopen(fd, "wb") as out:
                while True:
                    chunk = request.stream.read(CHUNK)
                    if not chunk:
                        break
                    written += len(chunk)
                    out.write(chunk)
        finally:
            os.unlink(name)
        return {"written": written}

    return app


# ---------------------------------------------------------------- setup, run in the portal's venv

SETUP_SNIPPET = r"""
import os, sys
from pathlib import Path
from app import create_app, roles
from app.models import Stage
from tests import factories
from tests.media import corpus

username, path, total, audio = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
app = create_app()
with app.app_context():
    factories.campaign(open_stage=Stage.APPLY)
    factories.account(roles.APPLICANT, username=username)
if audio == "none":  # the old figure: a 1 s clip padded to size (sound is required now, so it has a tone)
    corpus.padded_clip(total)(path)
else:
    import av, random
    from fractions import Fraction
    from PIL import Image
    # A phone-like 5-minute 640x360 H.264 clip, 2 pictures a second, with 48 kHz stereo AAC interleaved with the
    # picture through the whole file (so reading the sound means reading past all of the picture), the pictures
    # noisy enough to make it tens of MB; then a free box up to the size asked for.
    seconds, fps, rate, size = 300, 2, 48000, (640, 360)
    rng = random.Random(1)
    pictures = [Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3)) for _ in range(6)]
    with av.open(str(path), "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=fps, options={"preset": "ultrafast", "crf": "39"})
        video.width, video.height, video.pix_fmt = size[0], size[1], "yuv420p"
        sound = out.add_stream("aac", rate=rate, layout="stereo", options={"aac_coder": "fast"})
        samples = sound.codec_context.frame_size or 1024
        loud = corpus._sound_frame("tone", -18, rate, samples)
        quiet = corpus._sound_frame("silence", -18, rate, samples)
        pts = 0
        for index in range(seconds * fps):
            for packet in video.encode(av.VideoFrame.from_image(pictures[index % len(pictures)])):
                out.mux(packet)
            while pts < min((index + 1) * rate // fps, seconds * rate):
                frame = av.AudioFrame(format="fltp", layout="stereo", samples=samples)
                for plane in frame.planes:
                    plane.update(loud if audio == "tone" else quiet)
                frame.sample_rate, frame.pts, frame.time_base = rate, pts, Fraction(1, rate)
                pts += samples
                for packet in sound.encode(frame):
                    out.mux(packet)
        for stream in (video, sound):
            for packet in stream.encode():
                out.mux(packet)
    used = path.stat().st_size
    if used + 8 > total:
        raise SystemExit(f"the clip is {used} bytes, over the {total} asked for: lower --size or the clip's bitrate")
    with path.open("ab") as f:
        f.write(__import__("struct").pack(">I4s", total - used, b"free"))
    os.truncate(path, total)
    print(f"clip: {used} bytes of H.264 + AAC, padded to {total}", file=sys.stderr)
# padded_clip leaves the free box as a sparse hole: rewrite every block so the file holds real bytes on disk.
with path.open("r+b") as f:
    offset = 0
    while offset < total:
        f.seek(offset)
        block = f.read(1024 * 1024)
        f.seek(offset)
        f.write(block)
        offset += len(block)
    f.flush()
    os.fsync(f.fileno())
print(factories.PASSWORD)
"""


def run_checked(args, env, timeout, what):
    started = time.monotonic()
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise SystemExit(f"{what} failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout, time.monotonic() - started


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- /proc

def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM in kB."""
    with open(f"/proc/{pid}/status") as f:
        text = f.read()
    return {key: int(re.search(rf"^{key}:\s+(\d+) kB", text, re.M).group(1)) for key in ("VmRSS", "VmHWM")}


def reset_hwm(pid: int) -> bool:
    """Reset the peak RSS (VmHWM) to the current RSS (Linux >= 4.0, writing '5' to clear_refs)."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return found


class RssSampler(threading.Thread):
    """VmRSS of one pid every `interval` seconds until stopped; keeps the peak (kB)."""

    def __init__(self, pid: int, interval: float = 0.002):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak, self.samples = pid, interval, 0, 0
        self._stop_event = threading.Event()

    def run(self):
        while not self._stop_event.is_set():
            self.peak = max(self.peak, proc_status(self.pid)["VmRSS"])
            self.samples += 1
            time.sleep(self.interval)

    def stop(self):
        self._stop_event.set()
        self.join(timeout=5)
        self.peak = max(self.peak, proc_status(self.pid)["VmRSS"])


# ---------------------------------------------------------------- HTTP (http.client only; the body streamed from disk)

class Client:
    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method, path, body=None, headers=None, timeout=REQUEST_TIMEOUT):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout, blocksize=CHUNK)
        try:
            headers = dict(headers or {})
            if self.cookies:
                headers["Cookie"] = cookie_header(self.cookies)
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            keep_cookies(self.cookies, response.headers)
            return response.status, response.headers, data
        finally:
            conn.close()


def csrf_token_in(html: str) -> str:
    tag = re.search(r"<input[^>]*name=\"csrf_token\"[^>]*>", html)
    value = tag and re.search(r"value=\"([^\"]+)\"", tag.group(0))
    if not value:
        raise SystemExit("no csrf_token input on the page")
    return value.group(1)


def log_in(client: Client, username: str, password: str) -> str:
    """FAB's login form; returns the CSRF token of the apply page for the XHR upload's X-CSRFToken header."""
    status, _, page = client.request("GET", "/login/")
    if status != 200:
        raise SystemExit(f"GET /login/ answered {status}")
    form = {"username": username, "password": password, "csrf_token": csrf_token_in(page.decode())}
    status, headers, page = client.request(
        "POST", "/login/", body=urllib.parse.urlencode(form),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    if status != 302 or "/login" in (headers.get("Location") or ""):
        raise SystemExit(f"login failed: {status} {headers.get('Location')}\n{page[:500]!r}")
    status, _, page = client.request("GET", "/apply/")
    if status != 200:
        raise SystemExit(f"GET /apply/ after login answered {status}")
    return csrf_token_in(page.decode())


# ---------------------------------------------------------------- gunicorn

class Server:
    def __init__(self, name, app_spec, env, log_path, ready_path, extra_args=()):
        self.name, self.port, self.log_path, self.ready_path = name, free_port(), log_path, ready_path
        self.log = open(log_path, "wb")
        args = [str(BIN / "gunicorn"), *GUNICORN_SETTINGS, *extra_args, "--bind", f"{HOST}:{self.port}", app_spec]
        self.process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.worker = None

    def wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn {self.name} exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                status, _, _ = Client(self.port).request("GET", self.ready_path, timeout=5)
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            raise SystemExit(f"gunicorn {self.name} did not answer within {START_TIMEOUT}s:\n{self.log_tail()}")
        workers = children_of(self.process.pid)
        if len(workers) != 1:
            raise SystemExit(f"gunicorn {self.name}: expected one worker, found {workers}")
        self.worker = workers[0]

    def check_worker(self):
        """The same worker must have served every request (a timeout or crash would replace it)."""
        if children_of(self.process.pid) != [self.worker]:
            raise SystemExit(f"gunicorn {self.name}: worker {self.worker} was replaced:\n{self.log_tail()}")

    def log_tail(self, lines=40):
        return log_tail(self.log, self.log_path, lines)

    def stop(self):
        stop(self.process, timeout=15)
        if self.worker is not None:  # normally gone with its master; never leave it behind
            try:
                with open(f"/proc/{self.worker}/cmdline", "rb") as f:
                    still_ours = b"gunicorn" in f.read()  # not a new process that reused the pid
                if still_ours:
                    os.kill(self.worker, signal.SIGKILL)
            except OSError:
                pass
        self.log.close()


# ---------------------------------------------------------------- one measured upload

def measure(server: Server, client: Client, path: str, video: Path, headers: dict, check) -> dict:
    pid = server.worker
    time.sleep(0.3)  # let the worker settle after the previous request
    idle = proc_status(pid)["VmRSS"]
    hwm_ok = reset_hwm(pid)
    sampler = RssSampler(pid)
    sampler.start()
    size = video.stat().st_size
    try:
        with video.open("rb") as body:
            started = time.perf_counter()
            status, _, data = client.request(
                "POST", path, body=body,
                headers={"Content-Length": str(size), "Content-Type": "application/octet-stream", **headers},
            )
            wall = time.perf_counter() - started
    finally:
        sampler.stop()
    after = proc_status(pid)
    check(status, data)
    server.check_worker()
    hwm_peak = after["VmHWM"] if hwm_ok else sampler.peak
    return {
        "peak_mb": (max(hwm_peak, sampler.peak) - idle) / 1024,
        "sampled_mb": (sampler.peak - idle) / 1024,
        "retained_mb": (after["VmRSS"] - idle) / 1024,
        "idle_mb": idle / 1024,
        "wall_s": wall,
        "samples": sampler.samples,
        "hwm": hwm_ok,
    }


def portal_check(client: Client, size: int, silent: bool):
    """200 JSON naming the stored video, with the silence warning if and only if the clip is silent, and the stored
    video holds every byte sent (HEAD on its URL)."""
    def check(status, data):
        try:
            answer = json.loads(data)
        except ValueError:
            answer = None
        if status != 200 or not isinstance(answer, dict) or "url" not in answer:
            raise SystemExit(f"portal upload failed: HTTP {status}: {data[:500].decode(errors='replace')}")
        if bool(answer.get("warning")) is not silent:
            kind = "silent" if silent else "sounding"
            raise SystemExit(f"portal upload: warning {answer.get('warning')!r} for a {kind} clip")
        status, headers, _ = client.request("HEAD", answer["url"])
        if status != 200 or headers.get("Content-Length") != str(size):
            raise SystemExit(f"stored video: HEAD {answer['url']} -> {status}, Content-Length "
                             f"{headers.get('Content-Length')}, expected {size}")
    return check


def baseline_check(size):
    def check(status, data):
        if status != 200 or json.loads(data).get("written") != size:
            raise SystemExit(f"baseline upload failed: HTTP {status}: {data[:500]!r}")
    return check


# ---------------------------------------------------------------- main

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="measured runs per case (after one warm-up)")
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE, help="upload size in bytes (<= 50 MiB)")
    parser.add_argument("--audio", choices=("silent", "tone", "none"), default="silent",
                        help="silent (default): a 5-minute clip whose 48 kHz stereo sound is silent throughout, the "
                             "worst case of the silence check (the whole track decoded); tone: the same with sound "
                             "(the scan stops at its first half-second); none: a 1 s clip padded to size")
    options = parser.parse_args()
    if not MiB <= options.size <= VIDEO_MAX_BYTES:  # the clip itself takes a few KB; the portal refuses more
        parser.error(f"--size must be between {MiB} and {VIDEO_MAX_BYTES} bytes")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` cleans up

    began = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="bench-upload-"))
    servers = []
    try:
        env = dict(os.environ)
        env.pop("REDIS_URL", None)
        env.update(
            DATABASE_URL=f"sqlite:///{tmp}/bench.db",
            UPLOAD_DIR=str(tmp / "uploads"),
            INSTANCE_DIR=str(tmp / "instance"),
            SECRET_KEY="bench-upload-fixed-secret-key",
            BENCH_BASELINE_DIR=str(tmp / "baseline"),
            PYTHONDONTWRITEBYTECODE="1",  # leave no __pycache__ behind in bench/
        )
        (tmp / "baseline").mkdir()

        _, deploy_s = run_checked([str(BIN / "flask"), "--app", "run.py", "deploy"], env, SETUP_TIMEOUT, "flask deploy")
        video = tmp / "clip.mp4"
        out, data_s = run_checked([str(BIN / "python"), "-c", SETUP_SNIPPET, USERNAME, str(video), str(options.size),
                                   options.audio],
                                  env, SETUP_TIMEOUT, "data and video setup")
        password = out.strip().splitlines()[-1]
        size = video.stat().st_size
        if size != options.size or video.stat().st_blocks * 512 < size:
            raise SystemExit(f"video not fully written: {size} bytes, {video.stat().st_blocks * 512} on disk")

        portal = Server("A (portal)", "run:app", env, tmp / "gunicorn-a.log", "/login/")
        servers.append(portal)
        baseline = Server("B (baseline)", "upload:baseline_app()", env, tmp / "gunicorn-b.log", "/ping",
                          extra_args=["--pythonpath", str(ROOT / "bench")])
        servers.append(baseline)
        portal.wait_ready()
        baseline.wait_ready()

        portal_client = Client(portal.port)
        token = log_in(portal_client, USERNAME, password)
        cases = {
            "A": (portal, portal_client, "/apply/video",
                  {"X-File-Name": "clip.mp4", "X-CSRFToken": token},
                  portal_check(portal_client, size, options.audio == "silent")),
            "B": (baseline, Client(baseline.port), "/upload", {"X-File-Name": "clip.mp4"}, baseline_check(size)),
        }
        setup_s = time.monotonic() - began

        warmup = {name: measure(server, client, path, video, headers, check)
                  for name, (server, client, path, headers, check) in cases.items()}
        runs = {"A": [], "B": []}
        for _ in range(options.repeat):  # alternate, so that the machine's noise falls on both cases
            for name, (server, client, path, headers, check) in cases.items():
                runs[name].append(measure(server, client, path, video, headers, check))
        measured_s = time.monotonic() - began - setup_s

        median = {name: {key: statistics.median(r[key] for r in rs) for key in ("peak_mb", "sampled_mb", "wall_s",
                                                                                   "retained_mb", "idle_mb")}
                  for name, rs in runs.items()}
        file_mb = size / MiB
        hwm = all(r["hwm"] for rs in runs.values() for r in rs)
        clip = {"silent": "5-minute, sound silent throughout", "tone": "5-minute, with sound",
                "none": "1 s clip padded"}[options.audio]
        print(f"upload of a valid H.264 MP4 ({clip}) of {size} bytes ({file_mb:.1f} MB), raw body, "
              f"gunicorn --workers 1 sync, "
              f"median of {options.repeat} runs after 1 warm-up (MB = MiB)")
        print(f"peak = {'VmHWM reset via clear_refs' if hwm else 'VmRSS sampled every 2 ms'}, minus the worker's "
              f"idle VmRSS just before the request")
        print()
        print(f"{'case':<14}{'peak_rss_increase_MB':>22}{'sampled_MB':>12}{'wall_s':>9}{'idle_rss_MB':>13}"
              f"{'warmup_peak_MB':>16}")
        for name, label in (("A", "A portal"), ("B", "B baseline")):
            m = median[name]
            print(f"{label:<14}{m['peak_mb']:>22.1f}{m['sampled_mb']:>12.1f}{m['wall_s']:>9.3f}{m['idle_mb']:>13.1f}"
                  f"{warmup[name]['peak_mb']:>16.1f}")
        for name in ("A", "B"):
            print(f"  runs {name}: peak MB " + ", ".join(f"{r['peak_mb']:.1f}" for r in runs[name])
                  + "; wall s " + ", ".join(f"{r['wall_s']:.3f}" for r in runs[name]))
        print()
        memory_ratio = median["A"]["peak_mb"] / median["B"]["peak_mb"] if median["B"]["peak_mb"] > 0 else float("inf")
        time_ratio = median["A"]["wall_s"] / median["B"]["wall_s"]
        print(f"ratio A/B: memory {memory_ratio:.2f}, time {time_ratio:.2f}")
        share = median["A"]["peak_mb"] / file_mb * 100
        print(f"portal upload peak memory increase: {median['A']['peak_mb']:.1f} MB for a {file_mb:.1f} MB file "
              f"({share:.0f}% of the file)")
        for name, label in (("A", "portal"), ("B", "baseline")):
            first = warmup[name]
            print(f"first upload into a fresh {label} worker: peak {first['peak_mb']:+.1f} MB, "
                  f"{first['retained_mb']:+.1f} MB still resident after it (idle RSS {first['idle_mb']:.1f} MB before)")
        print(f"(setup {setup_s:.1f}s: deploy {deploy_s:.1f}s, data+video {data_s:.1f}s; measuring {measured_s:.1f}s)")
        # For bench/run_all.py (bench/README.md): R-APP-5 — a 50 MB upload must not cost 50 MB of memory (goal: a
        # fifth of it at most), and no request over 5 s (issue 11).
        emit(f"video upload {file_mb:.0f} MB: worker peak RSS increase", round(median["A"]["peak_mb"], 1), "MB",
             baseline=round(median["B"]["peak_mb"], 1), goal=f"value<={file_mb / 5:.0f}")
        emit(f"video upload {file_mb:.0f} MB: wall time", round(median["A"]["wall_s"], 2), "s",
             baseline=round(median["B"]["wall_s"], 2), goal="value<=5")
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
