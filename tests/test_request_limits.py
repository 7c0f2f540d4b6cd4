"""Request bodies refused per route before they are read (app/request_limits.py): 413 with a Chinese message."""
import io
from datetime import datetime

import pytest

from app import clock, roles
from app.models import Stage
from tests import factories

NOW = datetime(2026, 4, 10, 9, 0)
MB = 1024 * 1024


class Body(io.RawIOBase):
    """A request body of `size` bytes (endless when None) that counts what the server reads of it and fails the
    test when more than `allowed` bytes are read."""

    def __init__(self, size=None, allowed=None, byte=b"{"):
        self.size, self.allowed, self.byte, self.read_so_far = size, allowed, byte, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = len(buffer) if self.size is None else min(len(buffer), self.size - self.read_so_far)
        self.read_so_far += n
        assert self.allowed is None or self.read_so_far <= self.allowed, f"read {self.read_so_far} bytes"
        buffer[:n] = self.byte * n
        return n


def send(client, path, body, content_type="application/json", length=True, **kwargs):
    """POST a streamed body: with its Content-Length, or chunked (no length, the server told the input ends)."""
    environ = {"wsgi.input": body}
    if length:
        environ["CONTENT_LENGTH"] = str(body.size)
    else:
        environ["wsgi.input_terminated"] = True
    return client.post(path, content_type=content_type, environ_overrides=environ, **kwargs)


def test_a_59_mb_sign_in_is_refused_from_its_length_without_reading_a_byte(app):
    client = app.test_client()
    body = Body(59 * MB, allowed=0)
    response = send(client, "/api/v1/security/login", body)
    assert response.status_code == 413
    assert "提交的内容过大" in response.json["message"]
    assert body.read_so_far == 0


def test_a_chunked_sign_in_is_read_only_up_to_its_limit(app):
    body = Body(None, allowed=app.config["BODY_LIMIT_SIGN_IN"] + 64 * 1024)
    response = send(app.test_client(), "/api/v1/security/login", body, length=False)
    assert response.status_code == 413 and "提交的内容过大" in response.json["message"]
    assert body.read_so_far <= app.config["BODY_LIMIT_SIGN_IN"] + 64 * 1024


def test_an_oversized_sign_in_page_post_answers_the_chinese_413_page(app):
    body = Body(2 * MB, allowed=0)
    response = send(app.test_client(), "/login/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "内容太大" in page and "提交的内容过大" in page


def test_sign_in_within_the_limit_still_works(app):
    account = factories.account(roles.APPLICANT, username="13911588771")
    factories.api_client(app, account)  # asserts a token is given


def test_json_elsewhere_has_its_own_small_limit(app):
    body = Body(app.config["BODY_LIMIT_JSON"] + 1, allowed=0)
    response = send(app.test_client(), "/api/v1/unit/", body)
    assert response.status_code == 413 and "提交的内容过大" in response.json["message"]


def test_a_spreadsheet_import_keeps_its_larger_limit(app):
    # A 5 MB file would be refused on any form without a file; the import route lets it through to its own checks
    # (here: not signed in, so to the sign-in page). A well-formed multipart body, as a browser sends it: werkzeug
    # refuses a single form field over MAX_FORM_MEMORY_SIZE whatever the route.
    client = app.test_client()
    big = {"sheet": (io.BytesIO(b"x" * (5 * MB)), "units.xlsx")}
    assert client.post("/units/second-level/import", data=big, content_type="multipart/form-data").status_code != 413
    big = {"sheet": (io.BytesIO(b"x" * (5 * MB)), "units.xlsx")}
    assert client.post("/units/second-level/add", data=big, content_type="multipart/form-data").status_code == 413


@pytest.fixture
def citizen(app):
    clock.freeze(NOW)
    factories.campaign(open_stage=Stage.APPLY, at=NOW)
    factories.district_with_streets()
    return factories.account(roles.APPLICANT, username="13911588771")


@pytest.mark.parametrize("kind, size, words", [("photo", 3 * MB, "2MB"), ("video", 51 * MB, "50MB")])
def test_the_api_answers_413_not_500_for_an_oversized_upload(app, citizen, kind, size, words):
    client = factories.api_client(app, citizen)
    body = Body(size, allowed=0)
    response = send(client, f"/api/v1/my_application/{kind}", body, content_type="multipart/form-data; boundary=x")
    assert response.status_code == 413 and words in response.json["message"]
    assert body.read_so_far == 0


def test_a_chunked_oversized_api_upload_stops_at_the_limit_with_413(app, citizen):
    client = factories.api_client(app, citizen)
    body = Body(None, allowed=3 * MB, byte=b"x")
    boundary = b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n\r\n"
    response = send(client, "/api/v1/my_application/photo", _Prefixed(boundary, body),
                    content_type="multipart/form-data; boundary=x", length=False)
    assert response.status_code == 413 and "2MB" in response.json["message"]


def test_the_page_upload_answers_413_with_the_photo_message(app, citizen):
    client = factories.login(app.test_client(), citizen)
    body = Body(3 * MB, allowed=0, byte=b"x")
    response = send(client, "/apply/photo", body, content_type="application/octet-stream",
                    headers={"X-File-Name": "big.jpg"})
    assert response.status_code == 413
    assert "照片不能超过 2MB" in response.get_data(as_text=True)


class _Prefixed(io.RawIOBase):
    def __init__(self, prefix: bytes, rest: Body):
        self.prefix, self.rest = prefix, rest

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.prefix:
            n = min(len(buffer), len(self.prefix))
            buffer[:n], self.prefix = self.prefix[:n], self.prefix[n:]
            return n
        return self.rest.readinto(buffer)
