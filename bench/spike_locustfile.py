"""Locust users of bench/spike.py: each user is one citizen who signs in, saves the whole application with photo and
video, and submits it, once, through the 在线报名 page or through the REST API. Started by bench/spike.py
(`locust --headless -f bench/spike_locustfile.py`), which hands over the plan in SPIKE_PLAN and reads back two JSON
lines files: every request (kind, status, milliseconds) and every citizen's outcome as the client saw it.

Each citizen comes from an address of its own (X-Forwarded-For, read by the portal behind PROXY_FIX=1 as behind
nginx), so the per-address sign-in limits apply to each citizen as in production instead of to the load generator.
"""
import itertools
import json
import os
import random
import re
import time

import gevent
from locust import HttpUser, constant, events, task

PLAN = json.loads(open(os.environ["SPIKE_PLAN"], encoding="utf-8").read())
CITIZENS = iter(PLAN["citizens"])
_requests = open(PLAN["requests_path"], "a", encoding="utf-8")
_outcomes = open(PLAN["outcomes_path"], "a", encoding="utf-8")
_finished = itertools.count(1)
PHOTO = open(PLAN["photo_path"], "rb").read()
VIDEO = open(PLAN["video_path"], "rb").read()

# What the portal says on success and at the deadline (app/views/apply.py, app/schedule.py): the client judges by
# these words, as a citizen reads the page.
ACCEPTED_PAGE = "报名已提交。提交后不能再修改"
DEADLINE_WORDS = ("截止", "过期无效")
# FAB's flash.html: <div class="alert alert-<category>"><button …>&times;</button> message </div>
FLASH = re.compile(r'<div class="alert alert-(\w+)">\s*<button[^>]*>.*?</button>(.*?)</div>', re.S)
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


@events.request.add_listener
def _log_request(request_type, name, response_time, response_length, response=None, exception=None, **_):
    status = getattr(response, "status_code", None) if response is not None else None
    _requests.write(json.dumps({"kind": name, "ms": response_time, "status": status or 0,
                                "failed": exception is not None, "why": str(exception)[:200] if exception else ""},
                               ensure_ascii=False) + "\n")
    _requests.flush()


def _flashes(html: str) -> list[tuple[str, str]]:
    """The flashed messages of a page: (category, text)."""
    return [(category, " ".join(re.sub(r"<[^>]+>", " ", text).split())) for category, text in FLASH.findall(html)]


def _text_of(html: str) -> str:
    return " ".join(text for _, text in _flashes(html))


CLOSED = re.compile(r'<div class="alert alert-\w+" id="apply-closed">(.*?)</div>', re.S)
ERROR_PAGE = re.compile(r"<h2>(.*?)</h2>\s*<p>(.*?)</p>", re.S)


def _error_text(html: str) -> str:
    """The title and message of the portal's error page (app/templates/error.html), or the start of the body."""
    found = ERROR_PAGE.search(html)
    return " ".join(found.groups()) if found else " ".join(re.sub(r"<[^>]+>", " ", html).split())[:200]


def _csrf(html: str) -> str | None:
    found = CSRF.search(html)
    return (found.group(1) or found.group(2)) if found else None


class Refused(Exception):
    """The portal refused the citizen with a message (the outcome to record)."""


class Citizen(HttpUser):
    wait_time = constant(1)

    def on_start(self):
        self.citizen = next(CITIZENS, None)
        if self.citizen is not None:
            self.client.headers["X-Forwarded-For"] = self.citizen["address"]

    def think(self):
        gevent.sleep(random.uniform(*PLAN["think_seconds"]))

    @task
    def apply_once(self):
        if self.citizen is None or self.citizen.get("done"):
            gevent.sleep(1)
            return
        started = time.time()
        outcome = {"username": self.citizen["username"], "channel": self.citizen["channel"], "started": started}
        try:
            if self.citizen["channel"] == "page":
                self.through_page(outcome)
            else:
                self.through_api(outcome)
        except Refused as refused:
            outcome.setdefault("result", "refused")
            outcome["message"] = str(refused)
        except Exception as error:  # noqa: BLE001  the bench records anything else as "no clear answer"
            outcome["result"] = "error"
            outcome["message"] = f"{type(error).__name__}: {error}"[:300]
        outcome["finished"] = time.time()
        self.citizen["done"] = True
        _outcomes.write(json.dumps(outcome, ensure_ascii=False) + "\n")
        _outcomes.flush()
        if next(_finished) == len(PLAN["citizens"]):
            gevent.spawn_later(0.5, self.environment.runner.quit)

    # ------------------------------------------------------------------ the 在线报名 page (session cookie, CSRF)

    def _expect(self, response, ok, outcome, step):
        if response.status_code not in ok:
            response.failure(f"{step}: HTTP {response.status_code}")
            outcome["result"], outcome["step"] = "unclear", step
            raise Refused(f"{step}: HTTP {response.status_code} {_error_text(response.text)}")
        response.success()

    def through_page(self, outcome):
        with self.client.get("/login/", name="login page", catch_response=True) as r:
            self._expect(r, (200,), outcome, "login page")
            token = _csrf(r.text)
        form = {"username": self.citizen["username"], "password": PLAN["password"], "csrf_token": token}
        with self.client.post("/login/", data=form, name="sign-in form", allow_redirects=False,
                              catch_response=True) as r:
            if r.status_code != 302 or "/login" in r.headers.get("Location", ""):
                r.failure(f"sign-in: HTTP {r.status_code}")
                outcome["result"], outcome["step"] = "unclear", "sign-in"
                raise Refused(f"sign-in: HTTP {r.status_code} {_text_of(r.text)}")
            r.success()
        html = self._apply_page(outcome)
        closed = CLOSED.search(html)
        if closed:  # after the deadline a citizen without an application is told so instead of getting the form
            outcome["result"], outcome["step"] = "refused", "apply page"
            raise Refused(" ".join(closed.group(1).split()))
        token = _csrf(html)
        self.think()
        fields = dict(self.citizen["fields"], csrf_token=token, is_permanent_resident="y",
                      declaration_confirmed="y", intent="save")
        files = {"photo": ("photo.jpg", PHOTO, "image/jpeg"), "video": ("video.mp4", VIDEO, "video/mp4")}
        with self.client.post("/apply/", data=fields, files=files, name="save page", allow_redirects=False,
                              catch_response=True) as r:
            self._expect(r, (200, 302), outcome, "save page")
            saved_with_errors = r.status_code == 200
        html = self._apply_page(outcome) if not saved_with_errors else r.text
        self._judge_page(html, outcome, "save", submitted=False)
        self.think()
        fields.update(csrf_token=_csrf(html) or token, intent="submit")
        with self.client.post("/apply/", data=fields, name="submit page", allow_redirects=False,
                              catch_response=True) as r:
            self._expect(r, (200, 302), outcome, "submit page")
            html = r.text if r.status_code == 200 else None
        outcome["answered"] = time.time()
        self._judge_page(html if html is not None else self._apply_page(outcome), outcome, "submit", submitted=True)

    def _apply_page(self, outcome) -> str:
        with self.client.get("/apply/", name="apply page", catch_response=True) as r:
            self._expect(r, (200,), outcome, "apply page")
            return r.text

    def _judge_page(self, html, outcome, step, submitted):
        flashes = _flashes(html)
        message = " ".join(text for _, text in flashes)
        if submitted and any(category == "success" and ACCEPTED_PAGE in text for category, text in flashes):
            outcome["result"] = "accepted"
            outcome["message"] = message
            return
        # Red from the window check before the view, yellow when the deadline passed while the save was under way
        # (applications.NotEditable): the same words either way.
        if any(category in ("danger", "warning") and all(word in text for word in DEADLINE_WORDS)
               for category, text in flashes):
            outcome["result"] = "refused"
            outcome["step"] = step
            raise Refused(message)
        if submitted or any(category == "danger" for category, _ in flashes):
            outcome["result"] = "unclear"
            outcome["step"] = step
            raise Refused(message or html[:300])

    # ------------------------------------------------------------------ the REST API (Bearer token, no cookie)

    def _api(self, method, path, kind, outcome, step, ok=(200,), **kwargs):
        with self.client.request(method, path, name=kind, catch_response=True, **kwargs) as r:
            try:
                body = r.json()
            except ValueError:
                body = {}
            if r.status_code in ok:
                r.success()
                return body
            message = body.get("message") or ""
            if r.status_code in (403, 409) and all(word in message for word in DEADLINE_WORDS):
                r.success()  # the answer the deadline calls for
                outcome["result"] = "refused"
            else:
                r.failure(f"{step}: HTTP {r.status_code}")
                outcome["result"] = "unclear"
            outcome["step"] = step
            raise Refused(f"HTTP {r.status_code} {message or r.text[:200]}")

    def through_api(self, outcome):
        body = self._api("POST", "/api/v1/security/login", "sign-in API", outcome, "sign-in",
                         json={"username": self.citizen["username"], "password": PLAN["password"], "provider": "db"})
        headers = {"Authorization": f"Bearer {body['access_token']}"}
        self.think()
        fields = dict(self.citizen["fields"], is_permanent_resident=True, declaration_confirmed=True,
                      unit_id=int(self.citizen["fields"]["unit_id"]))
        self._api("PUT", "/api/v1/my_application/", "save API", outcome, "save", json=fields, headers=headers)
        self._api("POST", "/api/v1/my_application/photo", "photo API", outcome, "photo", headers=headers,
                  files={"file": ("photo.jpg", PHOTO, "image/jpeg")})
        self._api("POST", "/api/v1/my_application/video", "video API", outcome, "video", headers=headers,
                  files={"file": ("video.mp4", VIDEO, "video/mp4")})
        self.think()
        body = self._api("POST", "/api/v1/my_application/submit", "submit API", outcome, "submit", headers=headers)
        outcome["answered"] = time.time()
        if body.get("result", {}).get("status") != "submitted":
            outcome["result"] = "unclear"
            raise Refused(f"submit answered 200 with status {body.get('result', {}).get('status')}")
        outcome["result"] = "accepted"
        outcome["message"] = body["result"].get("status_label", "")
