"""在线报名 through HTTP: the citizen's draft, uploads checked by content, submission inside the window."""
import re
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
    corpus.clip(folder / "silent.mp4", audio="silence")
    corpus.clip(folder / "mute.mp4", audio=None)
    corpus.clip(folder / "small.mp4", size=(480, 270))
    return {
        "photo": corpus.encoded(corpus.portrait(), "JPEG"),
        "grey_photo": corpus.encoded(corpus.portrait(background=corpus.GREY), "JPEG"),
        "video": (folder / "ok.mp4").read_bytes(),
        "hevc": (folder / "hevc.mp4").read_bytes(),
        **{kind: (folder / f"{kind}.mp4").read_bytes() for kind in ("silent", "mute", "small")},
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


def test_a_bad_field_keeps_its_saved_value_and_every_valid_field_is_saved(citizen):
    client = citizen["client"]
    client.post("/apply/", data=fields(citizen["street"], intent="save"))
    response = client.post("/apply/", data=fields(citizen["street"], mobile="82364980", work_unit="北京新单位",
                                                  birth_date="1985-13-45", intent="save"))
    assert response.status_code == 200
    assert "请填写有效的 11 位中国大陆手机号码" in response.text and "出生日期格式应为 YYYY-MM-DD" in response.text
    assert 'value="82364980"' in response.text  # shown again as typed
    application = mine()
    assert application.work_unit == "北京新单位"  # the valid field was saved
    assert application.mobile == "13911588771"  # the bad one kept what was saved before
    assert str(application.birth_date) == "1985-06-15"


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


def test_a_video_without_sound_or_too_small_is_refused_and_a_silent_one_is_kept_with_a_warning(citizen, media):
    client = citizen["client"]
    response = upload(client, "video", media["mute"], "无声.mp4")
    assert response.status_code == 422 and "视频没有声音" in response.json["message"]
    assert "请录制带声音的视频" in response.json["message"]
    response = upload(client, "video", media["small"], "小.mp4")
    assert response.status_code == 422 and "画面太小（480×270）" in response.json["message"]
    assert "640×360" in response.json["message"]
    assert db.session.query(Application).filter(Application.video_file.is_not(None)).count() == 0

    response = upload(client, "video", media["silent"], "静音.mp4")
    assert response.status_code == 200, response.json
    assert response.json["warning"].startswith("视频的声音全程几乎听不到")
    assert mine().video_warning == response.json["warning"]
    page = client.get("/apply/").get_data(as_text=True)
    assert '<p class="alert alert-warning video-warning" id="video-warning" role="status" >视频的声音全程几乎听不到' in page

    response = upload(client, "video", media["video"], "有声.mp4")  # replaced by one with sound: no warning left
    assert response.status_code == 200 and response.json["warning"] == ""
    assert mine().video_warning is None
    page = client.get("/apply/").get_data(as_text=True)
    assert '<p class="alert alert-warning video-warning" id="video-warning" role="status" hidden></p>' in page


def test_the_form_post_refuses_a_video_without_sound_at_its_field(citizen, media):
    from io import BytesIO

    response = citizen["client"].post("/apply/", data={
        **fields(citizen["street"]), "intent": "save", "video": (BytesIO(media["mute"]), "无声.mp4"),
    }, content_type="multipart/form-data")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<span class="help-block field-error" id="video-error">视频没有声音（文件中没有音轨）' in page
    assert mine().name == "张学习" and mine().video_file is None  # what was typed is kept


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
    # After the end nothing is saved any more: the page answers with the reason (and the application read-only).
    response = citizen["client"].post("/apply/", data=fields(citizen["street"], intent="submit"), follow_redirects=True)
    assert (mine().status == "submitted") is accepted
    if not accepted:
        assert "过期无效" in response.text and "不能再保存" in response.text


def test_a_past_winner_may_not_apply_again(citizen, media):
    _complete(citizen, media)
    db.session.add(PastWinner(name="张学习", id_number=factories.id_number("19850615", 123), batch="第八批", year=2017))
    db.session.commit()
    response = citizen["client"].post("/apply/", data=fields(citizen["street"], intent="submit"))
    assert response.text.count("您已获评首都市民学习之星（第八批），按通知规定不再申报") == 2  # banner and field
    assert mine().status == "draft"


def test_one_application_per_id_number_per_campaign(app, citizen, media):
    factories.application(unit=citizen["street"], campaign=citizen["campaign"], id_number=factories.id_number("19850615", 123))
    _complete(citizen, media)
    response = citizen["client"].post("/apply/", data=fields(citizen["street"], intent="submit"))
    # The banner says what is wrong, as the field does: the form is complete, the number is taken.
    assert response.text.count("该身份证号已在本批次提交过报名") == 2
    assert "报名信息还不完整" not in response.text


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
    # Once closed there is no form to fill (no 保存草稿), and the page says why.
    assert 'id="apply-closed"' in page and "过期无效" in page and "不能再保存、修改或提交" in page
    assert 'id="apply-form"' not in page and "保存草稿" not in page


# --- the citizen's path: landing, prefill, print, the end of 在线报名, 过期无效 explained ------------------------------


def test_a_citizen_signing_in_lands_on_my_application_and_a_clerk_on_the_dashboard(app, citizen):
    response = app.test_client().post("/login/", data={"username": "13911588771", "password": factories.PASSWORD})
    assert response.status_code == 302 and response.location == "/apply/"
    clerk = factories.account(roles.L2_CLERK, unit=citizen["street"])
    response = app.test_client().post("/login/", data={"username": clerk.username, "password": factories.PASSWORD})
    assert response.location == "/dashboard/"  # 工作台 (tests/views/test_dashboard.py)
    # A destination asked for is kept.
    response = app.test_client().post("/login/?next=/contact/", data={"username": "13911588771",
                                                                     "password": factories.PASSWORD})
    assert response.location == "/contact/"


def test_the_first_visit_starts_from_the_registered_name_and_mobile(citizen):
    page = citizen["client"].get("/apply/").text
    assert db.session.query(Application).count() == 0  # nothing is stored by looking
    assert re.search(r'<input[^>]*id="name"[^>]*value="张学习"', page)
    assert re.search(r'<input[^>]*id="mobile"[^>]*value="13911588771"', page)
    assert "当前状态：" in page and "尚未填写" in page


def test_a_draft_has_no_print_form(citizen):
    client = citizen["client"]
    client.post("/apply/", data=fields(citizen["street"], intent="save"))
    page = client.get("/apply/").text
    assert "打印申报表" not in page and "草稿" in page
    response = client.get(f"/application-files/print/{mine().id}", follow_redirects=True)
    assert "首都市民学习之星申报表" not in response.text and "草稿不能打印" in response.text


def test_citizens_do_not_see_campaign_management(citizen):
    page = citizen["client"].get("/apply/").text
    assert "评选管理" not in page and "时间安排" not in page.split("</nav>")[0]
    assert citizen["client"].get("/campaigns/list/").status_code in (302, 403)


def test_after_the_application_window_a_draft_is_read_only_with_the_reason(citizen, media):
    client = citizen["client"]
    client.post("/apply/", data=fields(citizen["street"], intent="save"))
    clock.freeze(citizen["campaign"].window(Stage.APPLY).ends_at + timedelta(seconds=1))
    page = client.get("/apply/").text
    assert 'id="apply-form"' not in page and "保存草稿" not in page
    assert "过期无效" in page and "您的报名没有提交" in page
    response = client.post("/apply/", data=fields(citizen["street"], name="改名", intent="save"), follow_redirects=True)
    assert mine().name == "张学习" and "不能再保存" in response.text
    refused = upload(client, "photo", media["photo"], "late.jpg")
    assert refused.status_code == 409 and "过期无效" in refused.get_json()["message"] and mine().photo_file is None


def test_a_returned_application_not_resubmitted_in_time_is_void_for_the_citizen_and_the_unit(app, citizen, media):
    _complete(citizen, media)
    client, street = citizen["client"], citizen["street"]
    client.post("/apply/", data=fields(street, intent="submit"))
    street.contact_name, street.contact_phone = "张伟", "010-62551234"
    db.session.commit()
    clerk = factories.account(roles.L2_CLERK, unit=street)
    from app import workflow

    workflow.perform(clerk, mine().id, "return", "请补充学习成果证明")
    page = client.get("/apply/").text
    assert page.index('id="return-reason"') < page.index('id="apply-form"')  # the reason on top of the form
    assert "请补充学习成果证明" in page

    clock.freeze(citizen["campaign"].window(Stage.APPLY).ends_at + timedelta(seconds=1))
    page = client.get("/apply/").text
    assert 'id="apply-form"' not in page and "退回修改（过期无效）" in page
    notice = page.split('id="void-notice"')[1].split("</div>")[0]
    assert "退回修改后，未在在线报名截止时间" in notice and "张伟 010-62551234" in notice
    unit_page = factories.login(app.test_client(), clerk).get("/applications/list/").text
    assert "退回修改（过期无效）" in unit_page


def test_a_citizen_whose_unit_never_acted_reads_what_happened_and_whom_to_call(citizen, media):
    _complete(citizen, media)
    client, street = citizen["client"], citizen["street"]
    client.post("/apply/", data=fields(street, intent="submit"))
    factories.account(roles.L2_CLERK, unit=street, first_name="张伟", phone="13800138000")
    end = citizen["campaign"].window(Stage.L2_REVIEW).ends_at
    assert 'id="void-notice"' not in client.get("/apply/").text
    clock.freeze(end + timedelta(seconds=1))
    page = client.get("/apply/").text
    notice = page.split('id="void-notice"')[1].split("</div>")[0]
    assert f"您选择的推荐单位（中关村街道）未在 {end:%Y-%m-%d %H:%M:%S} 前完成评审推荐" in notice
    assert "如有疑问请联系 中关村街道 张伟 13800138000" in notice


def test_before_the_application_window_opens_the_page_names_its_start_and_drafts_are_kept(citizen):
    start = citizen["campaign"].window(Stage.APPLY).starts_at
    clock.freeze(start - timedelta(days=2))
    client = citizen["client"]
    page = client.get("/apply/").text
    banner = page.split('id="apply-closed"')[1].split("</div>")[0]
    assert f"将于 {start:%Y-%m-%d %H:%M:%S} 开始" in banner and "截止" not in banner
    assert "保存草稿" in page
    client.post("/apply/", data=fields(citizen["street"], intent="save"))
    assert mine().status == "draft" and mine().name == "张学习"


def test_a_forged_gender_value_is_refused_in_chinese_at_its_field(citizen):
    """The select offers 男/女; anything else (an edited page, a script) is answered at the field in Chinese."""
    client = citizen["client"]
    response = client.post("/apply/", data=fields(citizen["street"], id_number="", gender="robot", intent="save"))
    assert response.status_code == 200
    assert "请选择性别" in response.text and "Not a valid choice" not in response.text
    assert 'value="北京某研究院"' in response.text
    assert mine().work_unit == "北京某研究院"  # the valid fields were saved


def test_a_white_png_bomb_is_refused_at_the_photo_field_without_decoding_it(citizen):
    """Issue 10: a 134 KB all-white 5400×7400 PNG cost a worker +304 MB before it was refused."""
    from tests.memory import peak

    bomb = corpus.white_png(5400, 7400)
    with peak() as used:
        response = upload(citizen["client"], "photo", bomb, "white.png")
    assert response.status_code == 422
    assert "照片像素尺寸过大（5400×7400）" in response.json["message"]
    assert used.megabytes < 50, used
    db.session.expire_all()
    assert all(a.photo_file is None for a in db.session.query(Application))
