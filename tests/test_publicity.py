"""app/publicity.py: the notice's state, the public rows of /gongshi and /mingdan, the masking of personal data in
the extract, and the photo copies (made once, renewed with the photo, refused for what is not public)."""
import io
from datetime import date, timedelta

import pytest
from PIL import Image

from app import clock, publicity, scoping, storage
from app.extensions import db
from app.models import CampaignApproval
from tests import factories
from tests.media.corpus import encoded, portrait
from tests.media.test_publication import assert_no_metadata, phone_jpeg


@pytest.fixture(autouse=True)
def _request(app):
    """Rows carry their photo's address (url_for), as built while a page is answered."""
    with app.test_request_context("/gongshi"):
        yield


def approve(campaign, number="京学习办〔2026〕5号"):
    """The decision as app/approval.py records it, without its checks: the candidates become winners."""
    for application in campaign_applications(campaign):
        if application.status in ("candidate", "featured"):
            application.status = "featured_winner" if application.status == "featured" else "winner"
    approval = CampaignApproval(campaign=campaign, decided_on=date(2026, 7, 20), document_number=number,
                                decision_file="decision/x.pdf", recorded_by_name="city", winners=0, featured=0)
    db.session.add(approval)
    db.session.commit()
    return approval


def campaign_applications(campaign):
    from app.models import Application

    return db.session.query(Application).filter_by(campaign_id=campaign.id).all()


# --- the notice's state -----------------------------------------------------------------------------------------

def test_no_campaign():
    assert publicity.notice_of().state == publicity.NO_CAMPAIGN


def test_a_window_without_dates_is_not_scheduled():
    campaign = factories.campaign()  # the notice gives 公示 no dates
    notice = publicity.notice_of(campaign)
    assert notice.state == publicity.NOT_SCHEDULED and notice.period is None


@pytest.mark.parametrize("stage, state", [("final_review", "before"), ("publicity", "during"),
                                          ("approval", "after")])
def test_before_during_and_after_the_window(stage, state):
    campaign = factories.campaign(open_stage=stage)
    notice = publicity.notice_of(campaign)
    window = campaign.window("publicity")
    assert notice.state == state
    assert (notice.starts_at, notice.ends_at) == (window.starts_at, window.ends_at)
    assert notice.period == (window.starts_at.strftime("%Y-%m-%d %H:%M:%S"), window.ends_at.strftime("%Y-%m-%d %H:%M:%S"))


def test_the_window_bounds_to_the_second():
    campaign = factories.campaign(open_stage="publicity")
    window = campaign.window("publicity")
    assert publicity.notice_of(campaign, window.starts_at - timedelta(seconds=1)).state == "before"
    assert publicity.notice_of(campaign, window.starts_at).state == "during"
    assert publicity.notice_of(campaign, window.ends_at).state == "during"
    assert publicity.notice_of(campaign, window.ends_at + timedelta(seconds=1)).state == "after"


# --- the candidates ---------------------------------------------------------------------------------------------

def test_candidates_while_the_notice_runs_featured_first_withdrawn_and_others_left_out():
    campaign = factories.campaign(open_stage="publicity")
    plain = factories.candidates(3, campaign)
    featured = factories.candidates(2, campaign, featured=2)
    withdrawn = factories.candidates(1, campaign)[0]
    withdrawn.status = "withdrawn"
    street = plain[0].unit
    factories.application(campaign=campaign, unit=street, status="shortlisted")
    factories.application(campaign=campaign, unit=street, status="reported")
    db.session.commit()
    rows = publicity.candidates(publicity.notice_of(campaign))
    assert {r.application_id for r in rows[:2]} == {a.id for a in featured}
    assert {r.application_id for r in rows} == {a.id for a in plain + featured}
    assert [r.featured for r in rows] == [True, True, False, False, False]
    row = rows[0]
    assert row.gender == "男" and " · " in row.unit and row.photo_url.startswith(f"/gongshi/photo/{row.application_id}.jpg?v=")
    assert set(row.as_json()) == {"id", "name", "gender", "unit", "extract", "featured", "photo_url"}


@pytest.mark.parametrize("stage", ["final_review", "approval"])
def test_no_candidates_are_listed_before_or_after_the_notice(stage):
    campaign = factories.campaign(open_stage=stage)
    factories.candidates(2, campaign, featured=1)
    assert publicity.candidates(publicity.notice_of(campaign)) == []


def test_search_by_name_and_by_unit_ignoring_case():
    campaign = factories.campaign(open_stage="publicity")
    district, (street, other_street) = factories.district_with_streets("朝阳区", ("建外街道", "望京街道"))
    anna = factories.application(campaign=campaign, unit=street, status="candidate", name="Anna 李")
    wang = factories.application(campaign=campaign, unit=other_street, status="featured", name="王学习")
    notice = publicity.notice_of(campaign)

    def found(q):
        return [r.application_id for r in publicity.candidates(notice, q)]

    assert found("") == [wang.id, anna.id]
    assert found("ANNA") == [anna.id]
    assert found("学习") == [wang.id]
    assert found("望京") == [wang.id]
    assert found("朝阳区") == [wang.id, anna.id]
    assert found("朝阳 建外") == [anna.id]  # every word must match
    assert found("海淀") == []


# --- the final list ---------------------------------------------------------------------------------------------

def test_the_final_list_is_published_only_once_approved_featured_first():
    campaign = factories.campaign(open_stage="approval")
    factories.candidates(3, campaign, featured=1)
    assert not publicity.final_list(campaign).published and publicity.final_list(campaign).rows == []
    approval = approve(campaign)
    listed = publicity.final_list(campaign)
    assert listed.published and listed.approval.id == approval.id
    assert [r.featured for r in listed.rows] == [True, False, False]
    assert publicity.notice_of(campaign).approval.document_number == "京学习办〔2026〕5号"


def test_public_clause_candidates_from_the_notice_on_winners_once_approved():
    before = factories.campaign(name="前", open_stage="final_review")
    early = factories.candidates(1, before)[0]
    during = factories.campaign(name="中", open_stage="publicity")
    listed, = factories.candidates(1, during)
    submitted = factories.application(campaign=during, unit=listed.unit)
    assert not scoping.is_public(early) and scoping.is_public(listed) and not scoping.is_public(submitted)
    listed.status = "winner"  # a winner without an approval is nobody's business yet
    db.session.commit()
    assert not scoping.is_public(listed)
    approve(during)
    assert scoping.is_public(listed)


# --- the extract ------------------------------------------------------------------------------------------------

ID_NUMBER = factories.id_number("19750315", 7)


def person(**fields):
    values = dict(id_number=ID_NUMBER, mobile="13700012345", address="北京市朝阳区幸福路 88 号 3 单元",
                  birth_date=date(1975, 3, 15), deeds="")
    values.update(fields)
    return type("Person", (), values)()


@pytest.mark.parametrize("typed", [
    ID_NUMBER, ID_NUMBER.lower(), f"{ID_NUMBER[:6]} {ID_NUMBER[6:14]} {ID_NUMBER[14:]}",
    "13700012345", "137 0001 2345", "137-0001-2345", "１３７０００１２３４５",
    "北京市朝阳区幸福路 88 号 3 单元", "朝阳区幸福路88号3单元", "北京市朝阳区幸福路88号3单元",
    "1975-03-15", "1975年3月15日", "1975年03月15日", "1975.3.15", "1975/03/15", "19750315",
    "010-82364981", "62345678", "6222020200112233445", "zhangsan@example.com",
])
def test_personal_data_typed_into_the_deeds_is_masked(typed):
    text = f"我叫张三，联系方式：{typed}，欢迎交流。"
    masked = publicity.mask_personal_data(text, person())
    assert "＊＊＊" in masked
    for part in (typed, typed.replace(" ", ""), "0001", "幸福路", "1975", "88号", "example"):
        if part in typed.replace(" ", "") or part == typed:
            assert part not in masked.replace(" ", ""), (typed, masked)


def test_ordinary_numbers_and_text_stay():
    text = "2015年至2018年间组织读书会120场，带动3000余名居民参与，获评2019年度学习型家庭。"
    assert publicity.mask_personal_data(text, person()) == text


def test_extract_is_short_on_one_line_and_masked_before_it_is_cut():
    deeds = "热爱学习，" * 19 + "我的身份证号是" + ID_NUMBER + "。\n\n此后继续坚持学习。"
    extract = publicity.extract(person(deeds=deeds))
    assert len(extract) <= publicity.EXTRACT_CHARS + 1 and extract.endswith("…")
    assert "\n" not in extract
    assert not any(ID_NUMBER[:k] in extract for k in range(6, 19))  # not even the part before the cut
    assert publicity.extract(person(deeds="  坚持终身学习。 ")) == "坚持终身学习。"
    assert publicity.extract(person(deeds=None)) == ""


# --- the photo copies -------------------------------------------------------------------------------------------

def attach_photo(application, data=None):
    application.photo_file = storage.store_bytes(data or phone_jpeg(), "photo", "jpg")
    db.session.commit()
    return application


def test_the_photo_copy_is_made_once_without_metadata_and_renewed_with_the_photo():
    campaign = factories.campaign(open_stage="publicity")
    application = attach_photo(factories.candidates(1, campaign)[0])
    first = publicity.published_photo(application.id)
    assert first.path.parent == storage.root() / "public"
    data = first.path.read_bytes()
    assert_no_metadata(data)
    assert Image.open(io.BytesIO(data)).size == (240, 320)
    made = first.path.stat().st_mtime_ns
    again = publicity.published_photo(application.id)
    assert again == first and again.path.stat().st_mtime_ns == made  # served from the cache
    url = publicity.photo_url(application)

    attach_photo(application, encoded(portrait((300, 420)), "JPEG"))  # replaced
    renewed = publicity.published_photo(application.id)
    assert renewed.path != first.path and renewed.etag != first.etag
    assert Image.open(renewed.path).size == (229, 320)
    assert publicity.photo_url(application) != url


def test_no_copy_for_what_is_not_public_or_has_no_usable_photo():
    campaign = factories.campaign(open_stage="publicity")
    withdrawn, no_photo, broken = factories.candidates(3, campaign)
    attach_photo(withdrawn)
    withdrawn.status = "withdrawn"
    no_photo.photo_file = None
    broken.photo_file = storage.store_bytes(b"not a picture", "photo", "jpg")
    submitted = attach_photo(factories.application(campaign=campaign, unit=broken.unit))
    db.session.commit()
    copies = storage.root() / "public"
    before = set(copies.iterdir()) if copies.exists() else set()
    for application in (withdrawn, no_photo, broken, submitted):
        assert publicity.published_photo(application.id) is None
    assert publicity.published_photo(999_999) is None
    assert (set(copies.iterdir()) if copies.exists() else set()) == before


def test_a_candidate_s_photo_is_not_public_before_the_notice_starts():
    campaign = factories.campaign(open_stage="final_review")
    application = attach_photo(factories.candidates(1, campaign)[0])
    assert publicity.published_photo(application.id) is None
    clock.freeze(campaign.window("publicity").starts_at)
    assert publicity.published_photo(application.id) is not None
