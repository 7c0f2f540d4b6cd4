"""专家评审 pages through HTTP: 我的评审 after sign-in, one application per page without personal data, saving
and submitting, the window, others' scores only after the round closes, 评审记录 and 重新打开."""
import io
from datetime import datetime, timedelta

import pytest

from app import clock, roles
from app.extensions import db
from app.models import ApplicationEvent, InboxMessage, ReviewAssignment, Stage
from tests import factories

NOW = datetime(2026, 6, 10, 10, 0)
ID_NUMBER = factories.id_number("19750312", 321)
MOBILE = "13911112222"
ADDRESS = "北京市海淀区保密路 99 号"
BOB_COMMENT = "鲍勃专家的独到评语"


def scoring_world():
    """An open 专家初审: alice has two applications to score, bob has scored the first one (total 35.00)."""
    clock.freeze(NOW)
    campaign = factories.campaign(open_stage=Stage.INITIAL_REVIEW, at=NOW)
    district, (street, _) = factories.district_with_streets("东城区", ("东华门街道", "景山街道"))
    review_round = factories.review_round(campaign)
    alice = factories.expert(username="alice", first_name="艾专家")
    bob = factories.expert(username="bob", first_name="鲍专家")
    first = factories.application(unit=street, campaign=campaign, status="reported", name="王学习",
                                  id_number=ID_NUMBER, mobile=MOBILE, address=ADDRESS,
                                  birth_date=datetime(1975, 3, 12).date(), work_unit="东城区图书馆", position="馆员",
                                  deeds="二十年坚持社区读书会，带动上千居民终身学习。")
    second = factories.application(unit=street, campaign=campaign, status="reported", name="李读书")
    stranger = factories.application(unit=street, campaign=campaign, status="reported", name="赵陌生")
    for application in (first, second):
        for action, opinion, unit in (("l2_recommend", "街道推荐：事迹感人。", street),
                                      ("l1_recommend", "区里同意上报。", district)):
            db.session.add(ApplicationEvent(application=application, at=NOW - timedelta(days=30), actor_name="clerk",
                                            unit_id=unit.id, action=action, from_status="x", to_status="y",
                                            opinion=opinion))
    db.session.commit()
    mine = [factories.assignment(review_round, first, alice), factories.assignment(review_round, second, alice)]
    bobs = factories.assignment(review_round, first, bob, status="submitted", comment=BOB_COMMENT,
                                scores={c.key: 3.5 for c in review_round.criteria})
    bob_other = factories.assignment(review_round, stranger, bob)
    return {"campaign": campaign, "round": review_round, "alice": alice, "bob": bob, "first": first,
            "second": second, "stranger": stranger, "mine": mine, "bobs": bobs, "bob_other": bob_other,
            "district": district, "street": street, "city": factories.account(roles.CITY_OFFICE, username="city")}


@pytest.fixture
def world(app):
    return scoring_world()


@pytest.fixture
def alice(app, world):
    return factories.login(app.test_client(), world["alice"].account)


def form_of(world, values, comment="", action="save"):
    data = {f"score_{c.id}": v for c, v in zip(world["round"].criteria, values)}
    data.update(comment=comment, action=action)
    return data


def test_an_expert_lands_on_the_todo_list(app, world):
    response = app.test_client().post("/login/", data={"username": "alice", "password": factories.PASSWORD})
    assert response.status_code == 302 and response.location.endswith("/expert/")


def test_the_todo_says_how_many_are_done_how_long_is_left_and_what_is_next(alice, world):
    world["mine"][1].status = "submitted"
    world["mine"][1].total = 50
    world["mine"][1].submitted_at = NOW
    db.session.commit()
    page = alice.get("/expert/").text
    assert "已完成 1 / 2" in page
    window = world["campaign"].window(Stage.INITIAL_REVIEW)
    left = window.ends_at - NOW
    assert f"还有 {left.days} 天 {left.seconds // 3600} 小时" in page
    from app.schedule import format_time

    assert format_time(window.ends_at) in page
    assert "王学习" in page and "李读书" in page and "赵陌生" not in page
    assert f'href="/expert/review/{world["mine"][0].id}"' in page and "开始评审下一份" in page
    assert "50" in page  # the submitted one's total
    assert ID_NUMBER not in page and MOBILE not in page


def test_reminders_show_until_marked_read(alice, world, app):
    note = InboxMessage(account_id=world["alice"].account_id, text="请尽快完成初审评分", at=NOW)
    others = InboxMessage(account_id=world["bob"].account_id, text="给鲍专家的提醒", at=NOW)
    db.session.add_all([note, others])
    db.session.commit()
    page = alice.get("/expert/").text
    assert "请尽快完成初审评分" in page and "知道了" in page and "给鲍专家的提醒" not in page
    assert alice.post(f"/expert/inbox/{others.id}/read").status_code == 404
    assert alice.post(f"/expert/inbox/{note.id}/read").status_code == 302
    assert "请尽快完成初审评分" not in alice.get("/expert/").text
    db.session.expire_all()
    assert db.session.get(InboxMessage, others.id).read_at is None


def test_the_review_page_shows_the_materials_but_no_personal_data_and_no_other_scores(alice, world):
    page = alice.get(f"/expert/review/{world['mine'][0].id}").text
    for shown in ("王学习", "东城区图书馆", "馆员", "东华门街道", "东城区", "二十年坚持社区读书会", "街道推荐：事迹感人。",
                  "区里同意上报。", "暂存并下一份", "提交并下一份", "声明回避", "评审意见",
                  f"/application-files/{world['first'].id}/photo", f"/application-files/{world['first'].id}/video",
                  f"/expert/review/{world['mine'][0].id}/decline", 'step="0.5"'):
        assert shown in page, shown
    for secret in (ID_NUMBER, MOBILE, ADDRESS, "1975-03-12", "1975", "保密路", BOB_COMMENT, "鲍专家", "35.00"):
        assert secret not in page, secret
    for criterion in world["round"].criteria:
        assert f'<label for="score_{criterion.id}">' in page and criterion.label in page


def test_others_scores_appear_only_after_the_round_is_closed(alice, world):
    review_round = world["round"]
    done = {c.id: 10 for c in review_round.criteria}
    alice.post(f"/expert/review/{world['mine'][0].id}", data=form_of(world, [10] * 6, "很好", "submit"))
    page = alice.get(f"/expert/review/{world['mine'][0].id}").text
    assert "100.00" in page and "35.00" not in page and "平均分" not in page
    review_round.closed_at, review_round.closed_by_id = NOW, world["city"].id
    db.session.commit()
    page = alice.get(f"/expert/review/{world['mine'][0].id}").text
    assert "35.00" in page and "平均分：67.50" in page and "鲍专家" not in page and BOB_COMMENT not in page
    assert done


def test_bad_values_come_back_at_their_fields_and_good_ones_are_kept(alice, world):
    mine = world["mine"][0]
    c = world["round"].criteria
    response = alice.post(f"/expert/review/{mine.id}", data=form_of(world, ["8", "12", "7.3", "", "", ""], "草稿意见"))
    assert response.status_code == 422
    page = response.text
    assert 'value="12"' in page and 'value="7.3"' in page and "草稿意见" in page
    assert "分数应在 0 到 10 之间" in page and "分数以 0.5 分为单位" in page
    db.session.expire_all()
    row = db.session.get(ReviewAssignment, mine.id)
    assert row.status == "draft" and {s.criterion_id: float(s.value) for s in row.scores} == {c[0].id: 8.0}


def test_save_and_next_then_submit_and_next_then_the_todo(alice, world):
    first, second = world["mine"]
    response = alice.post(f"/expert/review/{first.id}", data=form_of(world, [8, 8, 8, 8, 8, 8], "好", "save_next"))
    assert response.status_code == 302 and response.location.endswith(f"/expert/review/{second.id}")
    response = alice.post(f"/expert/review/{second.id}", data=form_of(world, [9] * 6, "优秀", "submit_next"))
    assert response.location.endswith(f"/expert/review/{first.id}")  # the draft is still unfinished
    response = alice.post(f"/expert/review/{first.id}", data=form_of(world, [8] * 6, "好", "submit_next"))
    assert response.location.endswith("/expert/")
    assert "已完成 2 / 2" in alice.get("/expert/").text
    page = alice.get(f"/expert/review/{first.id}").text
    assert "80.00" in page and 'name="score_' not in page  # read-only now


def test_a_submission_missing_a_comment_says_so_and_keeps_the_scores_on_the_page(alice, world):
    mine = world["mine"][0]
    response = alice.post(f"/expert/review/{mine.id}", data=form_of(world, [7] * 6, "", "submit"))
    assert response.status_code == 422 and "请填写评审意见" in response.text and 'value="7"' in response.text
    db.session.expire_all()
    assert db.session.get(ReviewAssignment, mine.id).status == "assigned"


def test_outside_the_window_the_page_is_read_only_with_the_times(alice, world):
    clock.freeze(NOW + timedelta(days=365))
    page = alice.get(f"/expert/review/{world['mine'][0].id}").text
    assert "截止" in page and 'name="score_' not in page
    response = alice.post(f"/expert/review/{world['mine'][0].id}", data=form_of(world, [8] * 6, "迟", "submit"))
    assert response.status_code == 403 and "截止" in response.text
    assert "评分不能再修改" in alice.get("/expert/").text


def test_another_experts_assignment_and_unassigned_applications_are_out_of_reach(alice, world, app):
    from app import media_intake
    from tests.media import corpus

    for application in (world["first"], world["stranger"]):
        media_intake.attach(application, "photo", io.BytesIO(corpus.encoded(corpus.portrait(), "JPEG")), "照片.jpg")
    db.session.commit()
    for assignment in (world["bobs"], world["bob_other"]):
        assert alice.get(f"/expert/review/{assignment.id}").status_code == 404
        assert alice.post(f"/expert/review/{assignment.id}", data=form_of(world, [1] * 6, "x", "submit")).status_code == 404
    assert alice.get(f"/application-files/{world['first'].id}/photo").status_code == 200
    assert alice.get(f"/application-files/{world['stranger'].id}/photo").status_code == 404
    assert alice.get(f"/application-files/print/{world['first'].id}").status_code == 404  # the form has the ID number
    for url in ("/applications/list/", f"/applications/show/{world['first'].id}", f"/applications/print/{world['first'].id}",
                "/applications/export.xlsx", "/review-records/", f"/review-records/{world['bobs'].id}/reopen"):
        assert alice.get(url).status_code in (302, 403, 404), url
    # A declined assignment is no longer theirs to read.
    world["mine"][1].status, world["mine"][1].declined_reason = "declined", "同单位"
    db.session.commit()
    assert alice.get(f"/expert/review/{world['mine'][1].id}").status_code == 404
    assert alice.get(f"/application-files/{world['second'].id}/photo").status_code == 404


def test_the_records_list_every_review_and_the_city_office_reopens_one(app, world):
    city = factories.login(app.test_client(), world["city"])
    page = city.get("/review-records/").text
    assert "王学习" in page and "赵陌生" in page and "鲍专家" in page and "35.00" in page and "3.5" in page
    assert f"/review-records/{world['bobs'].id}/reopen" in page
    filtered = city.get(f"/review-records/?status=submitted&expert={world['bob'].id}").text
    assert "35.00" in filtered and "赵陌生" not in filtered
    response = city.post(f"/review-records/{world['bobs'].id}/reopen", data={"reason": ""})
    assert response.status_code == 422 and "请填写重新打开的理由" in response.text
    response = city.post(f"/review-records/{world['bobs'].id}/reopen", data={"reason": "请补充评语"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ReviewAssignment, world["bobs"].id).status == "draft"

    auditor = factories.login(app.test_client(), factories.account(roles.AUDITOR))
    page = auditor.get("/review-records/").text
    assert "王学习" in page and "/reopen" not in page
    assert auditor.post(f"/review-records/{world['bobs'].id}/reopen", data={"reason": "x"}).status_code in (302, 403)
    assert db.session.get(ReviewAssignment, world["bobs"].id).status == "draft"


def test_the_records_page_through_many_reviews(app, world, monkeypatch):
    from app.views import expert_review

    monkeypatch.setattr(expert_review, "RECORDS_PER_PAGE", 2)
    city = factories.login(app.test_client(), world["city"])
    first = city.get("/review-records/?status=").text
    assert "共 4 条" in first and "第 1 / 2 页" in first and "下一页" in first
    second = city.get("/review-records/?page=2").text
    assert "赵陌生" in second and "第 2 / 2 页" in second and "王学习" not in second
    assert "第 2 / 2 页" in city.get("/review-records/?page=99").text


def test_once_the_final_review_opens_the_closed_initial_review_stays_one_click_away(alice, world):
    """我的评审 shows the round open now (复审); the expert's closed 初审 — where the other experts' scores are now
    shown — is a tab away, not lost."""
    from app import schedule

    review_round = world["round"]
    alice.post(f"/expert/review/{world['mine'][0].id}", data=form_of(world, [10] * 6, "很好", "submit"))
    review_round.closed_at, review_round.closed_by_id = NOW, world["city"].id
    schedule.open_stage(world["campaign"], Stage.FINAL_REVIEW, at=NOW)
    final = factories.review_round(world["campaign"], stage="final_review")
    factories.assignment(final, world["first"], world["alice"])
    db.session.commit()
    page = alice.get("/expert/").text
    assert "专家复审" in page and 'id="my-rounds"' in page and "专家初审（已结束）" in page
    assert f'href="/expert/?round={review_round.id}"' in page
    past = alice.get(f"/expert/?round={review_round.id}").text
    assert "第" in past and "专家初审" in past and f'/expert/review/{world["mine"][0].id}' in past
    assert "100.00" in past
    # Someone else's round id, or rubbish, falls back to the current round.
    assert alice.get("/expert/?round=999").status_code == 200
    assert alice.get("/expert/?round=x").status_code == 200
