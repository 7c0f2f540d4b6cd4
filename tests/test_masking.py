"""ID and phone numbers leave the server masked (app/masking.py): on every list, show page, print form and REST answer,
for every role; a full value only on an explicit, audited request by a role that needs it, and to the citizen."""
import re
from datetime import datetime

import pytest

from app import clock, masking, roles
from app.extensions import db
from app.models import AuditEvent, Stage
from tests import factories
from tests.test_csrf import token_of

NOW = datetime(2026, 5, 1, 10, 0)
ID_NUMBER = "11010819850615123X"
MOBILE = "13911588771"
# What a full number looks like anywhere in a page or a JSON answer.
FULL_ID = re.compile(r"(?<!\d)\d{17}[\dX](?!\d)")
FULL_MOBILE = re.compile(r"(?<!\d)1\d{10}(?!\d)")


@pytest.mark.parametrize(
    "value, masked",
    [
        ("11010819800101123X", "110108********123X"),
        ("110108198001011234", "110108********1234"),
        ("110108800101123", "110108*****1123"),  # the old 15-digit number
        ("1234567890", "**********"),
        ("", ""),
        (None, ""),
    ],
)
def test_id_numbers_keep_only_area_code_and_last_four(value, masked):
    assert masking.mask_id_number(value) == masked


@pytest.mark.parametrize(
    "value, masked",
    [("13911588771", "139****8771"), ("15000000000", "150****0000"), ("010-82364980", "010*****4980"),
     ("1391158", "*******"), ("", ""), (None, "")],
)
def test_phones_keep_the_first_three_and_last_four(value, masked):
    assert masking.mask_phone(value) == masked


def test_a_citizens_user_name_is_masked_a_clerks_is_not():
    assert masking.mask_username("13911588771") == "139****8771"
    assert masking.mask_username("l2-zgc") == "l2-zgc"
    assert masking.mask_email("13911588771@accounts.invalid") == "139****8771@accounts.invalid"
    assert masking.mask_email("desk@bjxx.gov.cn") == "desk@bjxx.gov.cn"


@pytest.fixture
def world(app):
    clock.freeze(NOW)
    campaign = factories.campaign(name="2026年第一批", open_stage=Stage.L2_REVIEW, at=NOW)
    district, (street, sibling) = factories.district_with_streets()
    citizen = factories.account(roles.APPLICANT, username=MOBILE, first_name="王学习")
    return {
        "app": app,
        "campaign": campaign,
        "l2": factories.account(roles.L2_CLERK, unit=street, username="l2-zgc", phone="13800000002"),
        "l2_sibling": factories.account(roles.L2_CLERK, unit=sibling, username="l2-xyl"),
        "l1": factories.account(roles.L1_CLERK, unit=district, username="l1-haidian"),
        "city": factories.account(roles.CITY_OFFICE, username="city"),
        "auditor": factories.account(roles.AUDITOR, username="auditor"),
        "citizen": citizen,
        "application": factories.application(unit=street, applicant=citizen, name="王学习", id_number=ID_NUMBER,
                                             mobile=MOBILE),
    }


def client_of(world, who):
    return factories.login(world["app"].test_client(), world[who])


def identity_views():
    db.session.expire_all()
    return db.session.query(AuditEvent).filter_by(action="application.identity_viewed").all()


@pytest.mark.parametrize("who", ["l2", "city", "auditor"])
def test_the_show_page_and_the_print_forms_carry_masked_numbers_for_every_reviewer(world, who):
    pk = world["application"].id
    client = client_of(world, who)
    for url in (f"/applications/show/{pk}", f"/applications/print/{pk}", f"/application-files/print/{pk}"):
        page = client.get(url).text
        assert "110108********123X" in page and "139****8771" in page, url
        assert ID_NUMBER not in page and MOBILE not in page, url
    listing = client.get("/applications/list/").text  # clerks tell namesakes apart by the masked number
    assert "王学习" in listing and "110108********123X" in listing and ID_NUMBER not in listing
    assert ("查看完整号码" in client.get(f"/applications/show/{pk}").text) is (who != "auditor")
    assert identity_views() == []


@pytest.mark.parametrize("who", ["l2", "city"])
def test_a_reviewer_reveals_one_applications_numbers_on_request_and_it_is_audited(world, who):
    pk = world["application"].id
    client = client_of(world, who)
    response = client.post(f"/applications/show/{pk}/identity")
    assert response.status_code == 200
    assert ID_NUMBER in response.text and MOBILE in response.text
    assert response.headers["Cache-Control"] == "private, no-store"
    # A reload is the masked page again: the reveal is one answer, not a mode.
    assert ID_NUMBER not in client.get(f"/applications/show/{pk}").text
    (event,) = identity_views()
    assert (event.actor_name, event.object_type, event.object_id) == (world[who].username, "application", str(pk))
    assert event.object_label == "王学习"
    assert ID_NUMBER not in str(event.detail) and MOBILE not in str(event.detail)


def test_the_audit_log_reads_the_reveal_in_chinese(world):
    client_of(world, "city").post(f"/applications/show/{world['application'].id}/identity")
    listing = client_of(world, "auditor").get("/audit/list/").text
    assert "查看完整证件号码" in listing and ID_NUMBER not in listing


@pytest.mark.parametrize("who, status", [("auditor", 403), ("l2_sibling", 404), ("l1", 404)])
def test_who_may_not_reveal_gets_nothing_and_nothing_is_logged(world, who, status):
    response = client_of(world, who).post(f"/applications/show/{world['application'].id}/identity")
    assert response.status_code == status
    assert ID_NUMBER not in response.text
    assert identity_views() == []


def test_a_reveal_is_never_a_get_nor_a_forged_post(world, csrf_on):
    pk = world["application"].id
    client = world["app"].test_client()
    token = token_of(client.get("/login/").text)
    client.post("/login/", data={"username": "city", "password": factories.PASSWORD, "csrf_token": token})
    assert client.get(f"/applications/show/{pk}/identity").status_code == 405
    forged = client.post(f"/applications/show/{pk}/identity")
    assert forged.status_code == 400 and ID_NUMBER not in forged.text
    assert identity_views() == []
    page = client.get(f"/applications/show/{pk}").text
    token = re.search(r'id="reveal-identity".*?name="csrf_token" value="([^"]+)"', page, re.S).group(1)
    genuine = client.post(f"/applications/show/{pk}/identity", data={"csrf_token": token})
    assert genuine.status_code == 200 and ID_NUMBER in genuine.text
    assert len(identity_views()) == 1


def test_the_citizen_sees_their_own_full_numbers(world):
    client = client_of(world, "citizen")
    page = client.get("/apply/").text
    assert ID_NUMBER in page and MOBILE in page
    printed = client.get(f"/application-files/print/{world['application'].id}").text
    assert ID_NUMBER in printed and MOBILE in printed
    assert identity_views() == []


def test_the_review_api_carries_no_full_number(world):
    pk = world["application"].id
    for who in ("l2", "city", "auditor"):
        client = factories.api_client(world["app"], world[who])
        for url in ("/api/v1/application/", f"/api/v1/application/{pk}"):
            response = client.get(url)
            assert response.status_code == 200, (who, url)
            assert not FULL_ID.search(response.text) and not FULL_MOBILE.search(response.text), (who, url)
            assert "110108********123X" in response.text and "139****8771" in response.text, (who, url)


def test_account_lists_mask_phones_and_citizens_user_names(world):
    city = client_of(world, "city")
    users = city.get("/users/list/").text
    assert "139****8771" in users and MOBILE not in users  # the citizen's user name
    shown = city.get(f"/users/show/{world['citizen'].id}").text
    assert "139****8771" in shown and MOBILE not in shown
    accounts = client_of(world, "l1").get("/accounts/list/").text
    assert "138****0002" in accounts and "13800000002" not in accounts
    shown = client_of(world, "l1").get(f"/accounts/show/{world['l2'].id}").text
    assert "138****0002" in shown and "13800000002" not in shown


def test_experts_phones_are_masked_on_the_screens_and_the_api(world):
    expert = factories.expert(phone="13700000007", username="expert-li")
    city = client_of(world, "city")
    for url in ("/experts/list/", f"/experts/show/{expert.id}"):
        page = city.get(url).text
        assert "137****0007" in page and "13700000007" not in page, url
    api = factories.api_client(world["app"], world["city"])
    for url in ("/api/v1/expert/", f"/api/v1/expert/{expert.id}"):
        response = api.get(url)
        assert response.status_code == 200 and "13700000007" not in response.text, url


def test_past_winners_are_listed_with_masked_id_numbers_and_still_found_by_the_full_one(world):
    from app.models import PastWinner

    db.session.add(PastWinner(name="李往届", id_number="110108197001011234", batch="第八批", year=2017))
    db.session.commit()
    city = client_of(world, "city")
    page = city.get("/past-winners/list/").text
    assert "110108********1234" in page and "110108197001011234" not in page
    found = city.get("/past-winners/list/?_flt_0_id_number=110108197001011234").text
    # Found by what the city office typed (its search box echoes that); the row shows the masked number.
    assert "李往届" in found and "110108********1234" in found


def test_a_past_winners_id_number_never_enters_the_audit_log(world):
    from app.models import PastWinner

    db.session.add(PastWinner(name="李往届", id_number="110108197001011234", batch="第八批", year=2017))
    db.session.commit()
    logged = db.session.query(AuditEvent).filter_by(object_type="past_winner").all()
    assert logged and "110108197001011234" not in str([e.detail for e in logged])
