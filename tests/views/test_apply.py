"""在线报名 through HTTP: the citizen's draft, uploads checked by content, submission inside the window."""
import threading
from datetime import datetime, timedelta

import pytest

from app import clock, roles, schedule
from app.extensions import db
from app.models import Application, AuditEvent, PastWinner, Stage
from tests import factories
from tests.media import corpus

NOW = datetime(2026, 4, 10, 9, 0)


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    folder = tmp_path_factory.mktemp("apply-media")
    corpus.clip(folder / "ok.mp4")
    corpus.clip(folder / "hevc.mp4", "libx265")
    return {
        "photo": corpus.encoded(corpus.portrait(), "JPEG"),
        "grey_photo": corpus.encoded(corpus.portrait(background=corpus.GREY), "JPEG"),
        "video": (folder / "ok.mp4").read_bytes(),
        "hevc": (folder / "hevc.mp4").read_bytes(),
    }


@pytest.fixture
def citizen(client):
    clock.freeze(NOW)
    campaign = factories.campaign(open_stage=Stage.APPLY, at=NOW)
    district, streets = factories.district_with_streets()
    account = factories.account(roles.APPLICANT, username="13911588771", first_name="张学习")
    factories.login(client, account)
    return {"campaign": campaign, "district": district, "street": streets[0], "account": account, "client": client}


def fields(street, **overrides):
    data = {
        "name": "张学习", "id_number": factories.id_number("19850615", 123), "mobile": "13911588771",
        "work_unit": "北京某研究院", "position": "工程师", "address": "北京市海淀区中关村大街 1 号",
        "is_permanent_resident": "y", "category": "district", "first_level": str(street.parent_id),
        "unit_id": str(street.id), "deeds": "坚持每天学习两小时，带动社区读书会。", "declaration_confirmed": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def upload(client, kind, data, name):
    return client.post(f"/apply/{kind}", data=data, headers={"X-File-Name": name, "Content-Type": "application/octet-stream"})


def mine():
    db.session.expire_all()
    return db.session.query(Application).one()


def test_draft_keeps_what_was_typed_and_fills_birth_date_and_gender_from_the_id(citizen):
    client = citizen["client"]
    response = client.post("/apply/", data=fields(citizen["street"], intent="save"))
    assert response.status_code == 302
    application = mine()
    assert application.status == "draft" and application.unit == citizen["street"]
    assert (str(application.birth_date), application.gender) == ("1985-06-15", "male")
    page = client.get("/apply/").text
    assert "北京某研究院" in page and "中关村街道" in page


def test_bad_fields_are_reported_at_the_field_and_nothing_typed_is_lost(citizen):
    client = citizen["client"]
    response = client.post(
        "/apply/", data=fields(citizen["street"], id_number="110108198506151234", mobile="82364980", deeds="学" * 2001,
                               intent="save")
    )
    assert response.status_code == 200
    assert "身份证号校验位不正确" in response.text
    assert "请填写有效的 11 位中国大陆手机号码" in response.text
    assert "不能超过 2000 字，现在是 2001 字" in response.text
    assert 'value="北京某研究院"' in response.text and "学" * 2001 in response.text
    assert 'value="110108198506151234"' in response.text


def test_deeds_are_counted_in_characters_not_bytes(citizen):
    client = citizen["client"]
    client.post("/apply/", data=fields(citizen["street"], deeds="学" * 2000, intent="save"))
    assert len(mine().deeds) == 2000  # 6000 bytes in UTF-8, still within the limit


def test_photo_and_video_are_checked_by_content_and_served_only_to_who_may_see_them(app, citizen, media):
    client = citizen["client"]
    response = upload(client, "photo", media["grey_photo"], "me.jpg")
    assert response.status_code == 422 and "白色" in response.json["message"]
    response = upload(client, "photo", media["photo"], "C:\\fakepath\\我的照片.jpg")
    assert response.status_code == 200, response.json
    response = upload(client, "video", media["hevc"], "clip.mp4")
    assert response.status_code == 422 and "HEVC" in response.json["message"] and "H.264" in response.json["message"]
    response = upload(client, "video", media["video"], "学习.mp4")
    assert response.status_code == 200, response.json
    application = mine()
    assert application.photo_original_name == "我的照片.jpg" and application.video_original_name == "学习.mp4"
    assert "/" in application.photo_file and "我的" not in application.photo_file  # a name of ours

    photo = client.get(f"/application-files/{application.id}/photo")
    assert photo.status_code == 200 and photo.headers["X-Content-Type-Options"] == "nosniff"
    assert photo.data[:3] == b"\xff\xd8\xff" and b"Exif" not in photo.data[:200]
    ranged = client.get(f"/application-files/{application.id}/video", headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206 and len(ranged.data) == 100

    stranger = factories.login(app.test_client(), factories.account(roles.APPLICANT))
    assert stranger.get(f"/application-files/{application.id}/photo").status_code == 404
    clerk = factories.login(app.test_client(), factories.account(roles.L2_CLERK, unit=citizen["street"]))
    assert clerk.get(f"/application-files/{application.id}/photo").status_code == 404  # a draft: not yet


def test_replacing_a_photo_removes_the_old_file_after_the_commit(app, citizen, media):
    client = citizen["client"]
    upload(client, "photo", media["photo"], "a.jpg")
    first = mine().photo_file
    from app import storage

    assert storage.path_of(first).exists()
    upload(client, "photo", media["photo"], "b.jpg")
    assert not storage.path_of(first).exists() and storage.path_of(mine().photo_file).exists()


def test_an_oversized_photo_is_refused_before_its_body_is_read(citizen):
    response = citizen["client"].post(
        "/apply/photo", data=b"x" * (3 * 1024 * 1024), headers={"X-File-Name": "big.jpg"}
    )
    assert response.status_code == 413


def _complete(citizen, media):
    client = citizen["client"]
    client.post("/apply/", data=fields(citizen["street"], intent="save"))
    assert upload(client, "photo", media["photo"], "me.jpg").status_code == 200
    assert upload(client, "video", media["video"], "me.mp4").status_code == 200


def test_incomplete_submission_names_every_missing_field(citizen):
    client = citizen["client"]
    response = client.post("/apply/", data=fields(citizen["street"], work_unit="", declaration_confirmed=None,
                                                  intent="submit"))
    assert response.status_code == 200
    for message in ("请填写工作单位", "请确认所填信息真实准确", "请上传一寸白底彩色照片", "请上传 5 分钟以内的视频"):
        assert message in response.text
    assert mine().status == "draft" and mine().position == "工程师"  # the rest was saved


def test_submit_then_read_only_and_audited(citizen, media):
    _complete(citizen, media)
    client = citizen["client"]
    response = client.post("/apply/", data=fields(citizen["street"], intent="submit"))
    assert response.status_code == 302
    application = mine()
    assert application.status == "submitted" and application.submitted_at == NOW
    assert [e.action for e in application.events] == ["submit"]
    assert db.session.query(AuditEvent).filter_by(action="application.submit").count() == 1
    page = client.get("/apply/").text
    assert "已提交" in page and "<form" not in page.split("报名信息")[1]
    client.post("/apply/", data=fields(citizen["street"], name="改名", intent="save"))
    assert mine().name == "张学习"
    assert upload(client, "photo", media["photo"], "x.jpg").status_code == 409
    printed = client.get(f"/application-files/print/{application.id}")
    assert printed.status_code == 200 and "首都市民学习之星申报表" in printed.text and "北京某研究院" in printed.text


@pytest.mark.parametrize("offset, accepted", [(timedelta(seconds=-1), True), (timedelta(0), True), (timedelta(seconds=1), False)])
def test_submission_window_edge_to_the_second(citizen, media, offset, accepted):
    _complete(citizen, media)
    end = citizen["campaign"].window(Stage.APPLY).ends_at
    clock.freeze(end + offset)
    response = citizen["client"].post("/apply/", data=fields(citizen["street"], intent="submit"))
    assert (mine().status == "submitted") is accepted
    if not accepted:
        assert "过期无效" in response.text


def test_a_past_winner_may_not_apply_again(citizen, media):
    _complete(citizen, media)
    db.session.add(PastWinner(name="张学习", id_number=factories.id_number("19850615", 123), batch="第八批", year=2017))
    db.session.commit()
    response = citizen["client"].post("/apply/", data=fields(citizen["street"], intent="submit"))
    assert "您已获评首都市民学习之星（第八批），按通知规定不再申报" in response.text
    assert mine().status == "draft"


def test_one_application_per_id_number_per_campaign(app, citizen, media):
    factories.application(unit=citizen["street"], campaign=citizen["campaign"], id_number=factories.id_number("19850615", 123))
    _complete(citizen, media)
    response = citizen["client"].post("/apply/", data=fields(citizen["street"], intent="submit"))
    assert "该身份证号已在本批次提交过报名" in response.text


def test_drafts_never_reach_a_reviewer_but_submissions_do(app, citizen, media):
    _complete(citizen, media)
    clerk = factories.login(app.test_client(), factories.account(roles.L2_CLERK, unit=citizen["street"]))
    assert "张学习" not in clerk.get("/applications/list/").text
    citizen["client"].post("/apply/", data=fields(citizen["street"], intent="submit"))
    listing = clerk.get("/applications/list/").text
    assert "张学习" in listing
    application = mine()
    detail = clerk.get(f"/applications/show/{application.id}").text
    assert "坚持每天学习两小时" in detail and "<video" in detail


@pytest.mark.postgres
def test_two_parallel_submissions_with_one_id_number_one_succeeds(app, media):
    clock.freeze(NOW)
    campaign = factories.campaign(open_stage=Stage.APPLY, at=NOW)
    district, (street, _) = factories.district_with_streets()
    shared_id = factories.id_number("19850615", 123)
    clients = []
    for i in range(2):
        account = factories.account(roles.APPLICANT)
        client = factories.login(app.test_client(), account)
        citizen = {"client": client, "street": street, "campaign": campaign}
        _complete(citizen, media)
        clients.append(client)
    barrier = threading.Barrier(2)
    statuses = []

    def submit(client):
        with app.app_context():
            barrier.wait()
            client.post("/apply/", data=fields(street, id_number=shared_id, intent="submit"))
            db.session.remove()

    threads = [threading.Thread(target=submit, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    db.session.expire_all()
    statuses = sorted(a.status for a in db.session.query(Application))
    assert statuses == ["draft", "submitted"]


def test_the_page_says_when_applications_are_closed(citizen):
    assert 'id="apply-closed"' not in citizen["client"].get("/apply/").text
    clock.freeze(citizen["campaign"].window(Stage.APPLY).ends_at + timedelta(seconds=1))
    page = citizen["client"].get("/apply/").text
    assert 'id="apply-closed"' in page and "过期无效" in page and "不能提交" in page
