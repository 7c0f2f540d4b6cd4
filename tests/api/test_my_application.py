"""/api/v1/my_application/: the citizen's own application over REST, with the page's checks."""
import io
from datetime import datetime

import pytest

from app import clock, roles
from app.models import Stage
from tests import factories
from tests.media import corpus

NOW = datetime(2026, 4, 10, 9, 0)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("api-media") / "ok.mp4"
    corpus.clip(path)
    return path.read_bytes()


@pytest.fixture
def setup(app):
    clock.freeze(NOW)
    factories.campaign(open_stage=Stage.APPLY, at=NOW)
    district, (street, _) = factories.district_with_streets()
    client = factories.api_client(app, factories.account(roles.APPLICANT, username="13911588771"))
    return client, street


def test_the_whole_flow_over_rest(setup, clip):
    client, street = setup
    assert client.get("/api/v1/my_application/").status_code == 404
    response = client.put("/api/v1/my_application/", json={"id_number": "110108198506151234", "mobile": "123"})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"id_number", "mobile"}
    response = client.put("/api/v1/my_application/", json={
        "name": "张学习", "id_number": factories.id_number("19850615", 123), "mobile": "13911588771",
        "work_unit": "北京某研究院", "position": "工程师", "address": "北京市海淀区", "unit_id": street.id,
        "deeds": "学习", "is_permanent_resident": True, "declaration_confirmed": True,
    })
    assert response.status_code == 200 and response.json["result"]["gender"] == "male"
    response = client.post("/api/v1/my_application/submit")
    assert response.status_code == 422 and set(response.json["errors"]) == {"photo_file", "video_file"}
    photo = corpus.encoded(corpus.portrait(), "PNG")
    response = client.post("/api/v1/my_application/photo", data={"file": (io.BytesIO(photo), "me.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.json
    response = client.post("/api/v1/my_application/video", data={"file": (io.BytesIO(b"GIF89a" * 10), "v.mp4")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    response = client.post("/api/v1/my_application/video", data={"file": (io.BytesIO(clip), "v.mp4")},
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.json
    response = client.post("/api/v1/my_application/submit")
    assert response.status_code == 200 and response.json["result"]["status"] == "submitted"
    assert client.put("/api/v1/my_application/", json={"name": "改"}).status_code == 409


def test_put_saves_every_valid_field_and_lists_the_bad_ones_like_the_page(setup):
    client, street = setup
    client.put("/api/v1/my_application/", json={"mobile": "13911588771", "work_unit": "北京某研究院"})
    response = client.put("/api/v1/my_application/", json={"mobile": "82364980", "work_unit": "北京新单位",
                                                           "birth_date": 19850615})
    assert response.status_code == 422
    assert response.json["errors"] == {"mobile": "请填写有效的 11 位中国大陆手机号码",
                                       "birth_date": "出生日期格式应为 YYYY-MM-DD"}
    saved = client.get("/api/v1/my_application/").json["result"]
    assert (saved["work_unit"], saved["mobile"], saved["birth_date"]) == ("北京新单位", "13911588771", None)
    assert response.json["result"]["work_unit"] == "北京新单位"


def test_submit_after_the_deadline_is_refused(setup):
    client, street = setup
    client.put("/api/v1/my_application/", json={"name": "张学习"})
    clock.freeze(datetime(2026, 12, 1))
    response = client.post("/api/v1/my_application/submit")
    assert response.status_code == 403 and "过期无效" in response.json["message"]


def test_other_roles_have_no_application_api(app):
    client = factories.api_client(app, factories.account(roles.L2_CLERK, unit=factories.unit()))
    assert client.get("/api/v1/my_application/").status_code == 403


def test_a_silent_video_is_stored_with_its_warning_and_a_mute_one_refused(setup, tmp_path):
    client, _ = setup
    silent, mute = tmp_path / "silent.mp4", tmp_path / "mute.mp4"
    corpus.clip(silent, audio="silence")
    corpus.clip(mute, audio=None)
    response = client.post("/api/v1/my_application/video", data={"file": (io.BytesIO(mute.read_bytes()), "v.mp4")},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "视频没有声音" in response.json["message"]
    response = client.post("/api/v1/my_application/video", data={"file": (io.BytesIO(silent.read_bytes()), "v.mp4")},
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.json
    assert response.json["result"]["video_warning"].startswith("视频的声音全程几乎听不到")
    stored = client.get("/api/v1/my_application/").json["result"]["video_warning"]
    assert stored == response.json["result"]["video_warning"]


def test_after_the_application_window_nothing_is_saved_or_uploaded_over_rest_either(setup):
    """The page refuses changes once 在线报名 has ended; the REST API is the same door to the same draft."""
    client, street = setup
    assert client.put("/api/v1/my_application/", json={"name": "张学习"}).status_code == 200
    clock.freeze(datetime(2026, 12, 1))
    response = client.put("/api/v1/my_application/", json={"name": "李改名"})
    assert response.status_code == 409 and "过期无效" in response.json["message"]
    photo = io.BytesIO(corpus.encoded(corpus.portrait(), "JPEG"))
    response = client.post("/api/v1/my_application/photo", data={"file": (photo, "证件照.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 409 and "过期无效" in response.json["message"]
    result = client.get("/api/v1/my_application/").json["result"]
    assert result["name"] == "张学习" and result["photo"] is None


def test_an_upload_after_submitting_is_refused_and_keeps_the_submitted_photo(setup, clip):
    client, street = setup
    from app.models import Application

    applicant = factories.account(roles.APPLICANT)
    application = factories.application(unit=street, applicant=applicant, status="submitted")
    client = factories.api_client(client.application, applicant)
    photo = io.BytesIO(corpus.encoded(corpus.portrait(), "JPEG"))
    response = client.post("/api/v1/my_application/photo", data={"file": (photo, "新照片.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 409 and "已提交" in response.json["message"]
    from app.extensions import db

    db.session.expire_all()
    assert db.session.get(Application, application.id).photo_file == "photo/none.jpg"


def test_birth_date_and_gender_cannot_be_set_apart_from_the_id_number(setup):
    client, street = setup
    number = factories.id_number("19850615", 123)  # male, born 1985-06-15
    response = client.put("/api/v1/my_application/", json={"id_number": number, "gender": "female",
                                                           "birth_date": "1990-01-01"})
    assert response.status_code == 422
    assert response.json["errors"] == {"gender": "性别由身份证号自动生成，与身份证号不一致；请核对身份证号",
                                       "birth_date": "出生日期由身份证号自动生成，与身份证号不一致；请核对身份证号"}
    saved = client.get("/api/v1/my_application/").json["result"]
    assert (saved["id_number"], saved["gender"], saved["birth_date"]) == (number, "male", "1985-06-15")
    # The same values as the number states are fine; alone they change nothing.
    assert client.put("/api/v1/my_application/", json={"gender": "male", "birth_date": "1985-06-15"}).status_code == 200
    response = client.put("/api/v1/my_application/", json={"gender": "female"})
    assert response.status_code == 422 and client.get("/api/v1/my_application/").json["result"]["gender"] == "male"


def test_what_a_client_sends_in_the_wrong_shape_is_refused_at_its_field_and_the_rest_is_saved(setup):
    """A phone app may send a number where the page sends text, an object, "false" for a checkbox, an id no row can
    have: each is a 422 at its field in Chinese (it was a 500, and nothing was saved), every valid field is kept."""
    client, street = setup
    response = client.put("/api/v1/my_application/", json={
        "work_unit": "北京某研究院", "mobile": 13911588771, "address": {"street": "学院路"}, "position": True,
        "deeds": ["学习"], "id_number": 110108198506151234, "unit_id": 99999999999999999999,
        "is_permanent_resident": "false", "declaration_confirmed": "否",
    })
    assert response.status_code == 422, response.json
    assert response.json["errors"] == {
        "mobile": "须为文字", "address": "须为文字", "position": "须为文字", "deeds": "须为文字", "id_number": "须为文字",
        "unit_id": "请依次选择单位类别、一级单位和二级单位",
        "is_permanent_resident": "须为 true 或 false", "declaration_confirmed": "须为 true 或 false",
    }
    saved = client.get("/api/v1/my_application/").json["result"]
    assert saved["work_unit"] == "北京某研究院"
    assert (saved["is_permanent_resident"], saved["declaration_confirmed"]) == (False, False)
    response = client.put("/api/v1/my_application/", json={"unit_id": str(street.id), "is_permanent_resident": True})
    assert response.status_code == 200 and response.json["result"]["is_permanent_resident"] is True
    for body in ("{a", "[1]", '"x"'):
        response = client.put("/api/v1/my_application/", data=body, content_type="application/json")
        assert response.status_code == 400 and response.json["message"] == "请以 JSON 提交", body


def test_a_returned_application_cannot_take_an_id_number_submitted_by_another(setup):
    """A returned application is still a submitted one (one per ID number and campaign): an ID number already
    submitted is the field's error, as at 提交报名 — not the database's refusal of the whole save (a 500 before)."""
    from app.extensions import db
    from app.models import Account

    client, street = setup
    applicant = db.session.query(Account).filter_by(username="13911588771").one()
    mine = factories.application(unit=street, applicant=applicant, status="returned")
    taken = factories.application(unit=street).id_number
    response = client.put("/api/v1/my_application/", json={"position": "新职务", "id_number": taken})
    assert response.status_code == 422
    assert response.json["errors"] == {"id_number": "该身份证号已在本批次提交过报名，每人每批次只能报名一次"}
    saved = client.get("/api/v1/my_application/").json["result"]
    assert saved["position"] == "新职务" and saved["id_number"] == mine.id_number
