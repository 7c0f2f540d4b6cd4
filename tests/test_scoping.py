"""Row-level scoping (R-SEC-1): the functions of app/scoping.py, and the whole matrix of roles × every route that
takes an id, tried with another unit's ids."""
import io
import re
from datetime import date

import pytest

from app import roles, schedule, scoping
from app.extensions import db
from app.models import Account, AuditEvent, Stage, Unit
from tests import factories


@pytest.fixture
def world():
    """Two districts with streets and a clerk for each unit; the actors all belong to district A."""
    a, (a1, a2) = factories.district_with_streets("海淀区", ("中关村街道", "学院路街道"))
    b, (b1,) = factories.district_with_streets("朝阳区", ("建外街道",))
    campaign = factories.campaign()
    people = {
        key: factories.account(role, unit=unit, first_name=person_name(key))
        for key, role, unit in (
            ("applicant_other", roles.APPLICANT, None),
            ("l1", roles.L1_CLERK, a),
            ("l2", roles.L2_CLERK, a1),
            ("l2_sibling", roles.L2_CLERK, a2),
            ("l1_other", roles.L1_CLERK, b),
            ("l2_other", roles.L2_CLERK, b1),
            ("expert", roles.EXPERT, None),
            ("applicant", roles.APPLICANT, None),
            ("auditor", roles.AUDITOR, None),
            ("city", roles.CITY_OFFICE, None),
        )
    }
    # A submitted application of district B, one of the sibling street, and a draft in the actors' own street:
    # drafts reach no reviewer.
    submitted_b = factories.application(unit=b1, applicant=people["applicant_other"], campaign=campaign)
    submitted_a2 = factories.application(unit=a2, campaign=campaign)
    draft_a = factories.application(unit=a1, campaign=campaign, status="draft")
    from app.models import PastWinner, RecommendationQuota, UnitSubmission

    winner = PastWinner(name="往届", id_number=factories.id_number(), batch="第八批")
    quota = RecommendationQuota(campaign=campaign, level=2, max_recommended=1)
    submission_b = UnitSubmission(campaign=campaign, unit=b1, level=2, actor_name="l2-other")
    submission_a2 = UnitSubmission(campaign=campaign, unit=a2, level=2, actor_name="l2-sibling")
    db.session.add_all([winner, quota, submission_b, submission_a2])
    db.session.commit()
    # 专家评审: the expert account is an Expert; another expert holds district B's application, and the expert's own
    # assignment of the sibling street's one is declined: neither they, nor their files, are the expert's.
    from app.models import Expert, InboxMessage

    me = Expert(account=people["expert"], employer="某大学")
    db.session.add(me)
    db.session.commit()
    review_round = factories.review_round(campaign)
    other_expert = factories.expert(first_name=person_name("expert_other"))
    foreign_assignment = factories.assignment(review_round, submitted_b, other_expert, status="submitted",
                                              scores={c.key: 5 for c in review_round.criteria})
    declined_assignment = factories.assignment(review_round, submitted_a2, me, status="declined")
    others_message = InboxMessage(account_id=other_expert.account_id, text="提醒")
    db.session.add(others_message)
    db.session.commit()
    # 评审分配: district B's application given to another expert of a panel of 初审 (not started yet).
    assigned_expert = factories.expert(first_name=person_name("expert_assigned"))
    factories.panel(review_round, [other_expert, assigned_expert])
    assignment_b = factories.assignment(review_round, submitted_b, assigned_expert)
    # ... and an expert with a conflict, in a panel of 初审 (the city office's rows; the auditor reads them).
    expert_row = factories.expert(username="expert-row", first_name=person_name("expert_row"))
    expert_panel = factories.panel(review_round, [expert_row], [b])
    expert_conflict = factories.conflict(expert_row, unit=b)
    # 审核确定 of the campaign, with its PDF (the city office's record; the auditor reads it).
    from app import storage
    from app.models import CampaignApproval
    from tests.test_approval import decision_pdf

    approval = CampaignApproval(campaign=campaign, decided_on=date(2026, 7, 20),
                                document_number="京学习办〔2026〕5号", recorded_by_name="city", winners=0, featured=0,
                                decision_file=storage.store_bytes(decision_pdf(), "decision", "pdf"))
    db.session.add(approval)
    db.session.commit()
    return {"approval": approval, "expert_row": expert_row, "expert_panel": expert_panel, "expert_conflict": expert_conflict,
            "a": a, "a1": a1, "a2": a2, "b": b, "b1": b1, "campaign": campaign, "submitted_b": submitted_b,
            "review_round": review_round, "assignment_b": assignment_b, "expert_b": other_expert, "submitted_a2": submitted_a2, "draft_a": draft_a, "winner": winner, "quota": quota,
            "submission_b": submission_b, "submission_a2": submission_a2, "foreign_assignment": foreign_assignment,
            "declined_assignment": declined_assignment, "others_message": others_message, **people}


def person_name(key: str) -> str:
    """A name that shows where a person's name leaks into a page (FAB lists an account by its name)."""
    return f"人员〔{key}〕"


def visible(user):
    return {u.name for u in db.session.query(Unit).filter(scoping.unit_clause(user))}


def test_each_role_sees_its_units(world):
    assert visible(world["city"]) == {"海淀区", "中关村街道", "学院路街道", "朝阳区", "建外街道"}
    assert visible(world["auditor"]) == visible(world["city"])
    assert visible(world["l1"]) == {"海淀区", "中关村街道", "学院路街道"}
    assert visible(world["l2"]) == {"中关村街道"}
    assert visible(world["expert"]) == set()
    assert visible(world["applicant"]) == set()


def test_what_a_form_offers_is_what_its_check_accepts(world):
    """The choices of 所属一级单位 / 所属单位 are the clauses the checks ask about one id: they cannot disagree."""
    def names(clause):
        return {u.name for u in db.session.query(Unit).filter(clause)}

    for name in ("city", "auditor", "l1", "l2", "expert", "applicant", "l1_other"):
        user = world[name]
        for unit in db.session.query(Unit):
            assert scoping.can_add_under(user, unit) == (unit.name in names(scoping.addable_parent_clause(user)))
            assert scoping.can_manage_unit(user, unit) == (unit.name in names(scoping.manageable_unit_clause(user)))
            assert scoping.can_see_unit(user, unit) == (unit.name in names(scoping.unit_clause(user)))
    assert names(scoping.addable_parent_clause(world["l1"])) == {"海淀区"}
    assert names(scoping.manageable_unit_clause(world["l1"])) == {"中关村街道", "学院路街道"}
    assert names(scoping.addable_parent_clause(world["city"])) == {"海淀区", "朝阳区"}
    assert names(scoping.addable_parent_clause(world["auditor"])) == set()


def test_application_answers_agree_over_every_role_and_status(world):
    """can_see_application is application_clause asked about one id: they agree for every role × status, the
    owner included (a citizen sees its own draft; nobody else does)."""
    from app.models import Application, ApplicationStatus

    rows = []
    for status in ApplicationStatus:
        campaign = factories.campaign()  # one application per citizen and campaign
        for unit, applicant in ((world["a1"], world["applicant"]), (world["b1"], None)):
            rows.append(factories.application(unit=unit, applicant=applicant, campaign=campaign, status=status.value))
    seen_by = {}
    for name in ("city", "auditor", "l1", "l2", "l2_sibling", "l1_other", "expert", "applicant", "applicant_other"):
        user = world[name]
        listed = {a.id for a in db.session.query(Application).filter(scoping.application_clause(user))}
        for row in rows:
            assert scoping.can_see_application(user, row) == (row.id in listed), (name, row.status)
        seen_by[name] = {(row.status, row.unit.name) for row in rows if row.id in listed}
    mine = {(row.status, "中关村街道") for row in rows if row.applicant_id == world["applicant"].id}
    assert seen_by["applicant"] == mine and ("draft", "中关村街道") in mine
    assert ("draft", "中关村街道") not in seen_by["l2"] | seen_by["city"] | seen_by["auditor"]
    assert seen_by["l1"] == {(s, "中关村街道") for s in L1_SEES}
    assert seen_by["expert"] == seen_by["l2_sibling"] == seen_by["applicant_other"] == set()


def test_who_may_manage_which_unit(world):
    assert scoping.can_manage_unit(world["l1"], world["a1"])
    assert not scoping.can_manage_unit(world["l1"], world["a"])  # its own first-level unit: the city office's
    assert not scoping.can_manage_unit(world["l1"], world["b1"])
    assert not scoping.can_manage_unit(world["l2"], world["a1"])
    assert scoping.can_manage_unit(world["city"], world["b"])
    assert not scoping.can_manage_unit(world["auditor"], world["b"])


def test_accounts_in_scope(world):
    def usernames(user):
        return {a.username for a in db.session.query(Account).filter(scoping.account_clause(user))}

    assert usernames(world["l1"]) == {world[k].username for k in ("l1", "l2", "l2_sibling")}
    assert usernames(world["l2"]) == set()
    assert usernames(world["expert"]) == set()
    assert world["expert"].username not in usernames(world["city"])  # unit accounts only


# --- the HTTP matrix -------------------------------------------------------------------------------------------

# Which object a route's <pk> names, by route prefix. A new route taking an id fails
# test_every_id_route_is_in_the_matrix until it is listed here.
RESOURCES = {
    "/units/first-level/": "unit",
    "/units/second-level/": "unit",
    "/api/v1/unit/": "unit",
    "/accounts/": "account",
    "/users/": "account",
    "/account-roles/": "account",  # 账号授权 (the security administrator's)
    "/campaigns/windows/": "window",
    "/api/v1/stage_window/": "window",
    "/campaigns/": "campaign",
    "/api/v1/campaign/": "campaign",
    "/audit/": "audit",
    "/applications/": "application",
    "/api/v1/application/": "application",
    "/application-files/": "application",
    "/gongshi/photo/": "application",  # public, but only for candidates once 公示 begins and approved winners
    "/past-winners/": "past_winner",
    "/quotas/": "quota",
    "/submissions/": "submission",
    "/roles/": "role",
    "/groups/": "role",
    "/review-progress/": "review_round",  # …/<round_id>/experts/<expert_id>/scores.xlsx: see url_for_rule
    "/api/v1/review_progress/": "review_round",
    "/expert/review/": "assignment",
    "/expert/inbox/": "inbox",
    "/notifications/": "inbox",  # 我的通知: another account's message, opened or marked read
    "/api/v1/notifications/": "inbox",
    "/review-records/": "assignment",
    "/api/v1/my_review/": "assignment",
    "/experts/": "expert",
    "/api/v1/expert/": "expert",
    "/expert-panels/": "expert_panel",
    "/expert-conflicts/": "expert_conflict",
    "/review-settings/": "review_round",
    "/api/v1/review_round/": "review_round",
    "/api/v1/ranking/": "ranking_round",
    "/review-assignments/run/": "assign_round",
    "/review-assignments/": "review_assignment",
    "/api/v1/review_assignment/run/": "assign_round",
    "/api/v1/review_assignment/": "review_assignment",
    "/certificates/": "certificate",
    "/api/v1/certificate/": "certificate",
    "/certificates/campaign/": "certificate_campaign",  # …/<campaign_id>.pdf: every certificate of a campaign
    "/certificates/mine/": "my_certificate",  # …/<application_id>.pdf: the winner's own
    "/objections/withdraw/": "candidate",  # …/<application_id>: 撤销 a candidate during 公示
    "/objections/": "objection",
    "/api/v1/objection/": "objection",
    "/approval/": "approval_campaign",  # /approval/decision/<campaign_id>.pdf
    "/api/v1/approval/": "approval_campaign",
    "/jobs/": "job",  # a background job (an export's file): its owner's alone
    "/api/v1/jobs/": "job",  # its state over REST (自动分配's 202): its owner's alone
}
# Routes with arguments that are not row ids.
NOT_ID_ROUTES = {"/api/<version>/_openapi", "/lang/<string:locale>", "/swagger/<version>",
                 "/api/v1/my_application/<kind>",  # photo or video of the caller's own application
                 # The public check of a certificate's code: anyone's, no row id (tests/views/test_certificates.py).
                 "/zhengshu/<code>", "/api/v1/public/zhengshu/<code>"}


def id_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.endswith("static") or rule.rule in NOT_ID_ROUTES or not rule.arguments:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def resource_of(rule) -> str:
    return next(kind for prefix, kind in sorted(RESOURCES.items(), key=lambda kv: -len(kv[0])) if rule.rule.startswith(prefix))


def test_every_id_route_is_in_the_matrix(app):
    unknown = [rule.rule for rule, _ in id_routes(app) if not any(rule.rule.startswith(p) for p in RESOURCES)]
    assert unknown == []


def targets(world, kind):
    """(id, actors who may read that row, actors who may also change it) for rows of district B, of the sibling
    street 学院路街道, drafts, and rows only the city office touches. Actors in neither set get 403 or 404."""
    from flask_appbuilder.security.sqla.models import Role

    # The schedule (评选管理) is the staff's: citizens and experts read it on the public home page.
    auditor, staff = {"auditor"}, {"l1", "l2", "auditor"}
    if kind == "unit":
        return [(world["b"].id, auditor, set()), (world["b1"].id, auditor, set()),
                (world["a2"].id, {"l1", "auditor"}, {"l1"})]
    if kind == "account":
        return [(world["l1_other"].id, auditor, set()), (world["l2_other"].id, auditor, set()),
                (world["l2_sibling"].id, {"l1", "auditor"}, {"l1"})]
    if kind == "campaign":
        return [(world["campaign"].id, staff, set())]
    if kind == "window":
        return [(world["campaign"].windows[2].id, staff, set())]
    if kind == "audit":
        return [(db.session.query(AuditEvent.id).order_by(AuditEvent.id).first()[0], auditor, set())]
    if kind == "application":
        # The sibling's submission has not been forwarded: not even the district sees it yet (R-REV-2).
        return [(world["submitted_b"].id, auditor, set()), (world["submitted_a2"].id, auditor, set()),
                (world["draft_a"].id, set(), set())]
    if kind == "past_winner":
        return [(world["winner"].id, auditor, set())]
    if kind == "quota":
        return [(world["quota"].id, set(), set())]
    if kind == "assignment":
        # Another expert's review (only the city office reopens it; the auditor reads it in the list, not here)
        # and the expert's own declined one: no one of the matrix reaches either through an id route.
        return [(world["foreign_assignment"].id, set(), set()), (world["declined_assignment"].id, set(), set())]
    if kind == "inbox":
        return [(world["others_message"].id, set(), set())]
    if kind in ("expert_row", "review_round", "expert_panel", "expert_conflict"):
        return [(world[kind].id, auditor, set())]
    if kind == "expert":
        return [(world["expert_row"].id, auditor, set())]
    if kind == "ranking_round":
        # A round's ranking: the city office's and the auditor's (read), nobody else's.
        from app import rounds

        review_round = rounds.round_for(world["campaign"], "initial_review")
        db.session.commit()
        return [(review_round.id, auditor, set())]
    if kind == "assign_round":  # only the city office assigns
        return [(world["review_round"].id, set(), set())]
    if kind == "review_assignment":  # another expert's: the auditor reads the office's list, nobody else touches it
        return [(world["assignment_b"].id, auditor, set())]
    if kind in ("certificate", "certificate_campaign", "my_certificate"):
        # District B's certificate (another citizen's): the auditor reads it, the city office also revokes it; no
        # clerk, expert or other citizen reaches it, nor its campaign's PDF.
        certificate = certificate_of_b(world)
        pk = {"certificate": certificate.id, "certificate_campaign": certificate.campaign_id,
              "my_certificate": certificate.application_id}[kind]
        return [(pk, set() if kind == "my_certificate" else auditor, set())]
    if kind in ("objection", "candidate"):
        # An objection (the objector's name and phone in it) to a candidate of district B: the city office's only,
        # not even the auditor reads it; nobody else withdraws the candidate.
        objection = _objection(world)
        return [(objection.id if kind == "objection" else objection.application_id, set(), set())]
    if kind == "submission":
        return [(world["submission_b"].id, auditor, set()), (world["submission_a2"].id, {"l1", "auditor"}, set())]
    if kind == "job":
        # Another account's finished export (the city office's): nobody of the matrix sees its page or its file.
        if "job" not in world:
            world["job"] = factories.finished_job(world["city"])
        return [(world["job"].id, set(), set())]
    if kind == "approval_campaign":
        # 审核确定 of the campaign (approved, so that its PDF exists): the city office's; the auditor reads it.
        return [(world["approval"].campaign_id, auditor, set())]
    if kind == "review_round":
        # The city office's: the auditor reads it (the score sheets only once the round is closed), nobody else.
        return [(world["review_round"].id, auditor, set())]
    return [(db.session.query(Role.id).filter(Role.name == roles.L1_CLERK).scalar(), set(), set())]


def certificate_of_b(world):
    """A certificate on district B's application, made once per test (certificates are not audited rows, so the
    matrix's audit count stays as it was)."""
    if "certificate_b" not in world:
        from app import certificates

        world["certificate_b"] = certificates.issue(world["submitted_b"])
        db.session.commit()
    return world["certificate_b"]
def _objection(world):
    if "objection" not in world:
        # Made when first asked for, outside the audit log: the matrix counts the log's events before and after.
        db.session.info["audit_suppressed"] = True
        try:
            candidate = factories.application(unit=world["b1"], campaign=world["campaign"], status="candidate")
            world["objection"] = factories.objection(candidate, objector_name=person_name("objector"))
        finally:
            db.session.info.pop("audit_suppressed", None)
    return world["objection"]


def is_read(rule, method):
    if method == "POST" and rule.rule.endswith((".xlsx", ".pdf")):
        return True  # starting an export's background job: a POST (it makes the job), granted with reading
    return method == "GET" and not any(part in rule.rule for part in ("/edit/", "/delete/", "/action/", "/add"))


# A real action of each view that has one, so that the scope check and not the name decides.
ACTION_NAMES = {"UnitAccountView": "reset_password", "AccountDBModelView": "resetpasswords",
                "PortalRoleModelView": "copyrole", "ApplicationView": "recommend"}
EXPERT_ID: dict = {}  # set by the matrix test to the world's expert (the score sheet's <expert_id>)
PLACEHOLDER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def url_for_rule(rule, pk) -> str:
    """The rule with every argument filled (whatever its converter): the row id for ids, a real value for the
    rest. An argument nobody knows how to fill fails here, so a new kind of route cannot slip by untested."""
    values = {
        "pk": pk,
        "application_id": pk,
        "round_id": pk,
        # The expert of a round's score sheet: the one expert of the world (its round is the pk's).
        "expert_id": EXPERT_ID.get("id", pk),
        "assignment_id": pk,
        "campaign_id": pk,
        "job_id": pk,
        "message_id": pk,
        "notification_id": pk,
        "kind": "photo",
        "name": ACTION_NAMES.get(rule.endpoint.split(".")[0], "no-such-action"),
        "filename": "export.csv",
        "campaign_id": pk,
    }
    unknown = set(rule.arguments) - set(values)
    assert not unknown, f"{rule.rule}: fill {unknown} in url_for_rule"
    return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), rule.rule)


def call(client, rule, method, pk):
    url = url_for_rule(rule, pk)
    if rule.rule.startswith("/api/"):
        body = {"name": "被篡改", "contact_name": "x"} if method == "PUT" else None
        return client.open(url, method=method, json=body)
    data = {"name": "被篡改", "first_name": "被篡改", "contact_name": "被篡改", "active": "y"}
    return client.open(url, method=method, data=data if method == "POST" else None)


def test_every_route_argument_is_filled(app):
    for rule, _method in id_routes(app):
        url = url_for_rule(rule, 7)
        assert "<" not in url and ">" not in url, url


@pytest.mark.parametrize("actor", ["l1", "l2", "expert", "applicant", "auditor"])
def test_matrix_of_roles_and_id_routes_with_another_units_ids(app, world, actor, monkeypatch):
    monkeypatch.setitem(EXPERT_ID, "id", world["expert_b"].id)
    client = factories.login(app.test_client(), world[actor])
    before_units = {u.id: (u.name, u.contact_name) for u in db.session.query(Unit)}
    changes = db.session.query(AuditEvent).filter(AuditEvent.action != "access.refused")
    before_events = changes.count()
    tried, failures = 0, []
    for rule, method in id_routes(app):
        for pk, readers, managers in targets(world, resource_of(rule)):
            if actor in managers or (is_read(rule, method) and actor in readers):
                continue
            response = call(client, rule, method, pk)
            tried += 1
            if response.status_code not in (403, 404):
                failures.append(f"{actor} {method} {rule.rule} pk={pk} -> {response.status_code}")
    assert failures == [], "\n".join(failures)
    assert tried > 40
    db.session.expire_all()
    assert {u.id: (u.name, u.contact_name) for u in db.session.query(Unit)} == before_units
    assert changes.count() == before_events
    # Every refusal is in the audit log, with who asked (app/audit.py).
    refused = db.session.query(AuditEvent).filter_by(action="access.refused", result="refused")
    assert refused.count() == tried and {e.actor_name for e in refused} == {world[actor].username}


@pytest.fixture
def photo_of_submitted_b(app, world):
    """A real uploaded photo on district B's submitted application."""
    from app import media_intake
    from tests.media import corpus

    application = world["submitted_b"]
    media_intake.attach(application, "photo", io.BytesIO(corpus.encoded(corpus.portrait(), "JPEG")), "证件照.jpg")
    db.session.commit()
    return application


@pytest.mark.parametrize("actor", ["city", "auditor"])
def test_the_city_office_and_the_auditor_reach_files_and_print_forms(app, world, photo_of_submitted_b, actor):
    client = factories.login(app.test_client(), world[actor])
    application_id = photo_of_submitted_b.id
    photo = client.get(f"/application-files/{application_id}/photo")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg" and photo.data[:2] == b"\xff\xd8"
    printed = client.get(f"/application-files/print/{application_id}")
    assert printed.status_code == 200 and photo_of_submitted_b.name in printed.text
    # … and through the same rule every route of the matrix was filled with: the file routes are really tried.
    rule = next(r for r, _m in id_routes(app) if r.rule == "/application-files/<int:application_id>/<kind>")
    assert call(client, rule, "GET", application_id).status_code == 200
    for other in ("l2", "l1"):  # the district's clerks: not theirs
        assert call(factories.login(app.test_client(), world[other]), rule, "GET", application_id).status_code == 404


@pytest.mark.parametrize("actor", ["city", "auditor"])
def test_the_city_office_and_the_auditor_reach_the_approval_routes_of_the_matrix(app, world, actor):
    """The positive side of the approval_campaign rows: the decision's PDF and the REST state, by the same rules."""
    client = factories.login(app.test_client(), world[actor])
    rules = {(rule.rule, method): rule for rule, method in id_routes(app) if "approval" in rule.rule}
    campaign_id = world["approval"].campaign_id
    pdf = call(client, rules[("/approval/decision/<int:campaign_id>.pdf", "GET")], "GET", campaign_id)
    assert pdf.status_code == 200 and pdf.data[:5] == b"%PDF-"
    state = call(client, rules[("/api/v1/approval/<int:campaign_id>", "GET")], "GET", campaign_id)
    assert state.status_code == 200 and state.json["decision"]["document_number"] == "京学习办〔2026〕5号"


def test_the_city_office_reaches_the_round_routes_of_the_matrix(app, world, monkeypatch):
    """The positive side of the review_round rows: the same URLs answer the city office (and the auditor's reads)."""
    monkeypatch.setitem(EXPERT_ID, "id", world["expert_b"].id)
    round_id = world["review_round"].id
    rules = {rule.rule: rule for rule, _m in id_routes(app) if rule.rule.startswith("/review-progress/")}
    sheet = rules["/review-progress/<int:round_id>/experts/<int:expert_id>/scores.xlsx"]
    city = factories.login(app.test_client(), world["city"])
    response = factories.job_file(city, call(city, sheet, "POST", round_id))  # the export's background job
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert call(city, rules["/review-progress/<int:round_id>"], "GET", round_id).status_code == 200
    auditor = factories.login(app.test_client(), world["auditor"])
    assert call(auditor, rules["/review-progress/<int:round_id>"], "GET", round_id).status_code == 200
    assert call(auditor, sheet, "POST", round_id).status_code == 302  # not before the round is closed


def test_the_certificate_routes_of_the_matrix_answer_their_readers(app, world):
    """The positive side of the certificate rows: the auditor reads them, the owner downloads their own."""
    certificate = certificate_of_b(world)
    auditor = factories.login(app.test_client(), world["auditor"])
    for url in (f"/certificates/show/{certificate.id}", f"/certificates/print/{certificate.id}",
                f"/certificates/pdf/{certificate.id}"):
        assert auditor.get(url).status_code == 200, url
    # A campaign's PDF is a background job: its page, then the file.
    campaign_pdf = auditor.post(f"/certificates/campaign/{certificate.campaign_id}.pdf")
    assert factories.job_file(auditor, campaign_pdf).mimetype == "application/pdf"
    owner = factories.login(app.test_client(), world["applicant_other"])
    assert owner.get(f"/certificates/mine/{certificate.application_id}.pdf").status_code == 200
    city = factories.login(app.test_client(), world["city"])
    assert city.post(f"/certificates/revoke/{certificate.id}", data={"reason": "撤销"}).status_code == 302


# --- choices offered by forms, filters and _info ---------------------------------------------------------------

OPTION = re.compile(r"<option[^>]*>([^<]*)</option>", re.S)


def foreign_names(world, actor) -> set[str]:
    """Names of units and people outside the actor's scope: none may be offered to it as a choice."""
    units = {"l1": {"朝阳区", "建外街道"}, "l2": {"朝阳区", "建外街道", "学院路街道"}}[actor]
    own = {"l1": {"l1", "l2", "l2_sibling"}, "l2": {"l2"}}[actor]
    people = {person_name(key) for key in ("applicant_other", "l1", "l2", "l2_sibling", "l1_other", "l2_other",
                                            "expert", "applicant", "auditor", "city") if key not in own}
    return units | people


def offered_choices(app, client) -> dict[str, list[str]]:
    """Every <option> of every list page (its search form), add form and first edit form of every ModelView the
    client may open, by URL."""
    from flask_appbuilder import ModelView

    pages = {}
    for view in app.appbuilder.baseviews:
        if not isinstance(view, ModelView):
            continue
        base = view.route_base
        listing = client.get(f"{base}/list/")
        urls = [f"{base}/list/", f"{base}/add"]
        edit = re.search(rf'href="({re.escape(base)}/edit/\d+)', listing.text) if listing.status_code == 200 else None
        if edit:
            urls.append(edit.group(1))
        for url in urls:
            response = client.get(url)
            if response.status_code == 200:
                # FAB's search form reaches the page as JSON inside a script (\u003coption…): decode it too.
                text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), response.text)
                pages[url] = [" ".join(option.split()) for option in OPTION.findall(text.replace('\\"', '"'))]
    return pages


def info_choices(client) -> dict[str, list[str]]:
    """Every value every REST API's _info offers for its related add/edit columns (100 a page)."""
    from flask_appbuilder.api import ModelRestApi

    offered = {}
    for view in client.application.appbuilder.baseviews:
        if not isinstance(view, ModelRestApi):
            continue
        columns = ",".join(f"{c}:(page:0,page_size:100)" for c in set(view.add_columns) | set(view.edit_columns))
        url = f"/api/v1/{view.resource_name}/_info?q=(add_columns:({columns}),edit_columns:({columns}))"
        response = client.get(url)
        if response.status_code != 200:
            continue
        values = [
            str(value["value"])
            for key in ("add_columns", "edit_columns")
            for field in response.json.get(key, [])
            for value in field.get("values", [])
        ]
        offered[url] = values
    return offered


@pytest.mark.parametrize("actor", ["l1", "l2"])
def test_forms_filters_and_info_offer_only_choices_in_scope(app, world, actor):
    schedule.open_stage(world["campaign"], Stage.UNIT_ACCOUNTS)  # the add forms are open
    db.session.commit()
    client = factories.login(app.test_client(), world[actor])
    foreign = foreign_names(world, actor)
    leaks = [
        f"{url}: {choice}"
        for url, choices in {**offered_choices(app, client), **info_choices(client)}.items()
        for choice in choices
        if any(name in choice for name in foreign)
    ]
    assert leaks == [], "\n".join(leaks)
    # The issue's own example: a street clerk asking the applications API for applicants gets no names.
    response = client.get("/api/v1/application/_info?q=(add_columns:(applicant:(page:0,page_size:100)))")
    assert response.status_code == 200 and not any(person_name(k) in response.text for k in world if k != actor)


def test_choices_offered_are_the_ones_a_user_may_pick(app, world):
    """The positive side: the parser above sees options at all, and each form offers what its user may use."""
    schedule.open_stage(world["campaign"], Stage.UNIT_ACCOUNTS)
    db.session.commit()
    city = offered_choices(app, factories.login(app.test_client(), world["city"]))
    assert "朝阳区" in city["/units/second-level/add"] and "海淀区" in city["/units/second-level/add"]
    assert "朝阳区 · 建外街道" in city["/accounts/add"]
    l1 = offered_choices(app, factories.login(app.test_client(), world["l1"]))
    assert [c for c in l1["/units/second-level/add"] if c != "请选择"] == ["海淀区"]
    assert sorted(c for c in l1["/accounts/add"] if c != "请选择") == ["海淀区 · 中关村街道", "海淀区 · 学院路街道"]
    # 单位账号's 所属单位 is searched by part of the unit's name: the sibling street's clerk is found, the other
    # district's never is (tests/test_list_statements.py has the rest).
    l1_client = factories.login(app.test_client(), world["l1"])
    found = l1_client.get("/accounts/list/?_flt_0_unit=学院路").get_data(as_text=True)
    assert person_name("l2_sibling") in found and person_name("l2") not in found
    assert person_name("l2_other") not in l1_client.get("/accounts/list/?_flt_0_unit=建外").get_data(as_text=True)
    l2 = offered_choices(app, factories.login(app.test_client(), world["l2"]))
    # The review list's unit filter is searched as the user types (app/views/fields.py UnitSearchWidget).
    street = factories.login(app.test_client(), world["l2"]).get("/applications/api/units").json["results"]
    assert [unit["text"] for unit in street] == ["海淀区 · 中关村街道"]
    city_info = info_choices(factories.login(app.test_client(), world["city"]))
    unit_info = next(values for url, values in city_info.items() if url.startswith("/api/v1/unit/"))
    assert {"海淀区", "朝阳区"} <= set(unit_info)


@pytest.mark.parametrize("actor", ["l1", "l2"])
def test_lists_and_api_lists_show_no_other_units(app, world, actor):
    client = factories.login(app.test_client(), world[actor])
    for url in ("/units/first-level/list/", "/units/second-level/list/", "/accounts/list/"):
        page = client.get(url)
        assert "朝阳区" not in page.text and "建外街道" not in page.text, url
    names = {row["name"] for row in client.get("/api/v1/unit/?q=(page_size:100)").json["result"]}
    assert names and not names & {"朝阳区", "建外街道"}


def test_a_first_level_clerk_cannot_post_a_unit_under_another_district_through_the_api(app, world):
    client = factories.login(app.test_client(), world["l1"])
    from app import clock
    from app.models import Stage
    from app import schedule

    schedule.open_stage(world["campaign"], Stage.UNIT_ACCOUNTS)
    db.session.commit()
    response = client.post("/api/v1/unit/", json={"name": "偷建街道", "parent": world["b"].id})
    assert response.status_code in (403, 422)
    assert db.session.query(Unit).filter_by(name="偷建街道").count() == 0
    response = client.post("/api/v1/unit/", json={"name": "上地街道", "parent": world["a"].id})
    assert response.status_code == 201, response.json
    clock.freeze(None)


def test_actions_recheck_scope_even_when_a_role_is_granted_the_permission(app, world):
    """FAB fetches action rows without base filters; our actions fetch them again through them."""
    sm = app.appbuilder.sm
    role = sm.find_role(roles.L1_CLERK)
    pv = sm.add_permission_view_menu("reset_password", "UnitAccount")
    sm.add_permission_role(role, pv)
    try:
        client = factories.login(app.test_client(), world["l1"])
        response = client.post(f"/accounts/action/reset_password/{world['l2_other'].id}")
        assert response.status_code == 404
        response = client.post("/accounts/action_post", data={"action": "reset_password", "rowid": [world["l2_other"].id]})
        assert response.status_code in (403, 404)
    finally:
        sm.del_permission_role(role, pv)
    db.session.refresh(world["l2_other"])
    assert not world["l2_other"].must_change_password


def test_own_rows_stay_reachable(app, world):
    """The positive side of the matrix: refusals above are scoping, not a blanket refusal."""
    client = factories.login(app.test_client(), world["l1"])
    assert client.get(f"/units/second-level/show/{world['a1'].id}").status_code == 200
    assert client.get(f"/units/first-level/show/{world['a'].id}").status_code == 200
    assert client.get(f"/accounts/show/{world['l2'].id}").status_code == 200
    assert client.get(f"/api/v1/unit/{world['a2'].id}").status_code == 200
    client = factories.login(app.test_client(), world["l2"])
    assert client.get(f"/units/second-level/show/{world['a1'].id}").status_code == 200
    assert client.get(f"/units/second-level/show/{world['a2'].id}").status_code == 404


@pytest.mark.parametrize("actor", ["l1", "l2"])
def test_decisions_on_another_units_application_are_refused(app, world, actor):
    client = factories.login(app.test_client(), world[actor])
    for application in (world["submitted_b"], world["draft_a"]):
        url = f"/applications/decide?decision=recommend&ids={application.id}"
        assert client.get(url).status_code == 404
        assert client.post(url, data={"opinion": "越权"}).status_code == 404
        assert client.post("/applications/action_post", data={"action": "recommend", "rowid": [application.id]}).status_code == 404
    db.session.expire_all()
    assert world["submitted_b"].status == "submitted" and world["draft_a"].status == "draft"


# ======================================================================================================================
# Rules the mutants of app/scoping.py showed untested (`make mutation`). Each question is asked both ways the
# product asks it, the SQL clause (lists, exports, API) and the per-row function (downloads, actions), and the
# expected answers are written out per role: a widened or narrowed scope fails here.

from flask_login import AnonymousUserMixin  # noqa: E402

from app.models import Application, ApplicationStatus  # noqa: E402

# ... and, once reported, where the expert review takes it (入围复审, 拟评选, 重点宣传).
L1_SEES = {"l2_forwarded", "l1_recommended", "l1_not_recommended", "reported", "l1_rejected", "shortlisted",
           "candidate", "featured", "withdrawn", "winner", "featured_winner"}
ALL_BUT_DRAFT = {s.value for s in ApplicationStatus} - {"draft"}


@pytest.fixture
def strays(world):
    """Accounts holding a unit without a clerk role, and clerks holding no unit: none of them acts for a unit."""
    return {
        "applicant_with_unit": factories.account(roles.APPLICANT, unit=world["a1"]),
        "expert_with_unit": factories.account(roles.EXPERT, unit=world["a"]),
        "l1_without_unit": factories.account(roles.L1_CLERK),
        "l2_without_unit": factories.account(roles.L2_CLERK),
    }


def sees_application(user, application) -> bool:
    in_sql = db.session.query(Application.id).filter(
        scoping.application_clause(user), Application.id == application.id
    ).first() is not None
    assert scoping.can_see_application(user, application) == in_sql, (getattr(user, "username", user), application.status)
    return in_sql


def test_who_sees_an_application_in_each_state(world, strays):
    owner = world["applicant"]
    application = factories.application(unit=world["a1"], applicant=owner, campaign=world["campaign"])
    expected = {
        "applicant": {s.value for s in ApplicationStatus},  # the owner, drafts included
        "applicant_other": set(),
        "l2": ALL_BUT_DRAFT,
        "l2_sibling": set(),
        "l2_other": set(),
        "l1": L1_SEES,  # only what its streets recommended and submitted
        "l1_other": set(),
        "city": ALL_BUT_DRAFT,
        "auditor": ALL_BUT_DRAFT,
        "expert": set(),
        **{name: set() for name in strays},
    }
    people = {**world, **strays}
    for status in ApplicationStatus:
        application.status = status.value
        db.session.commit()
        for name, statuses in expected.items():
            assert sees_application(people[name], application) == (status.value in statuses), (name, status.value)
        assert not sees_application(AnonymousUserMixin(), application)
        assert not scoping.can_see_application(None, application)
        assert not scoping.can_see_application(world["city"], None)


def test_accounts_with_a_unit_but_no_clerk_role_see_no_unit_no_account_no_application(world, strays):
    for name, stray in strays.items():
        assert visible(stray) == set(), name
        assert not any(scoping.can_see_unit(stray, unit) for unit in db.session.query(Unit)), name
        assert db.session.query(Account).filter(scoping.account_clause(stray)).count() == 0, name
        assert not scoping.can_add_under(stray, world["a"]) and not scoping.can_manage_unit(stray, world["a1"]), name
        assert db.session.query(Application).filter(scoping.application_clause(stray)).count() == 0, name


def test_who_sees_which_unit_account(world, strays):
    unit_accounts = {a.username for a in db.session.query(Account) if a.unit_id is not None}
    district_a = {world[k].username for k in ("l1", "l2", "l2_sibling")} | {strays["applicant_with_unit"].username,
                                                                           strays["expert_with_unit"].username}
    district_b = {world[k].username for k in ("l1_other", "l2_other")}
    expected = {"city": unit_accounts, "auditor": unit_accounts, "l1": district_a, "l1_other": district_b,
                "l2": set(), "expert": set(), "applicant": set()}
    for name, usernames in expected.items():
        user = world[name]
        in_sql = {a.username for a in db.session.query(Account).filter(scoping.account_clause(user))}
        assert in_sql == usernames, name


def test_units_seen_by_the_other_district_and_by_nobody(world):
    assert visible(world["l1_other"]) == {"朝阳区", "建外街道"}
    assert visible(world["l2_other"]) == {"建外街道"}
    assert not scoping.can_see_unit(world["city"], None)
    assert visible(AnonymousUserMixin()) == set()


def test_who_may_add_a_street_under_which_district(world, strays):
    expected = {"city": {"a", "b"}, "l1": {"a"}, "l1_other": {"b"}, "l2": set(), "auditor": set(), "expert": set(),
                "applicant": set()}
    for name, parents in expected.items():
        assert {k for k in ("a", "b") if scoping.can_add_under(world[name], world[k])} == parents, name
    assert not scoping.can_add_under(strays["l1_without_unit"], world["a"])


def test_who_may_manage_which_unit_across_districts(world, strays):
    units = ("a", "a1", "a2", "b", "b1")
    expected = {"city": set(units), "l1": {"a1", "a2"}, "l1_other": {"b1"}, "l2": set(), "l2_other": set(),
                "auditor": set(), "expert": set()}
    for name, manageable in expected.items():
        assert {k for k in units if scoping.can_manage_unit(world[name], world[k])} == manageable, name


def test_the_city_office_and_the_administrator_run_everything_the_auditor_only_reads(world):
    admin = factories.account(roles.ADMIN)
    assert scoping.is_city_office(world["city"]) and scoping.is_city_office(admin)
    assert not scoping.is_city_office(world["auditor"]) and not scoping.is_city_office(world["l1"])
    assert scoping.sees_everything(world["auditor"]) and scoping.sees_everything(admin)
    assert not scoping.sees_everything(world["l1"])
    assert visible(admin) == visible(world["city"])
    assert scoping.role_names(AnonymousUserMixin()) == set() and scoping.role_names(None) == set()


def parent_choices(app, user):
    client = factories.login(app.test_client(), user)
    response = client.get("/api/v1/unit/_info?q=(add_columns:(parent:(page:0,page_size:100)))")
    if response.status_code in (401, 403):
        return None
    assert response.status_code == 200, response.text
    field = next(f for f in response.json["add_columns"] if f["name"] == "parent")
    return {value["value"] for value in field["values"]}


def test_a_new_streets_parent_is_offered_only_where_the_user_may_add(app, world, strays):
    assert parent_choices(app, world["city"]) == {"海淀区", "朝阳区"}  # first-level units only, never a street
    assert parent_choices(app, world["l1"]) == {"海淀区"}
    assert parent_choices(app, world["l1_other"]) == {"朝阳区"}
    for name in ("l2", "auditor"):
        assert not parent_choices(app, world[name]), name
    assert not parent_choices(app, strays["l1_without_unit"])


def test_an_anonymous_visitor_may_do_nothing_with_units(world):
    anonymous = AnonymousUserMixin()
    assert not scoping.can_see_unit(anonymous, world["a1"])
    assert not scoping.can_add_under(anonymous, world["a"]) and not scoping.can_manage_unit(anonymous, world["a1"])
    assert db.session.query(Account).filter(scoping.account_clause(anonymous)).count() == 0


def test_application_lists_show_only_what_the_user_may_see(app, world):
    mine = factories.application(unit=world["a1"], campaign=world["campaign"], name="本街道申报人")
    client = factories.login(app.test_client(), world["l2"])
    listed = client.get("/applications/list/").text
    assert "本街道申报人" in listed
    assert world["submitted_b"].name not in listed and world["draft_a"].name not in listed
    assert mine.id


def test_anything_that_is_not_a_signed_in_account_sees_nothing(world):
    """None, Flask-Login's anonymous user, or an object with no account behind it (what a request without a
    resolved user may carry): no roles, no rows, and no error."""
    application = factories.application(unit=world["a1"], campaign=world["campaign"])
    for nobody in (None, AnonymousUserMixin(), object()):
        assert scoping.role_names(nobody) == set()
        assert db.session.query(Application).filter(scoping.application_clause(nobody)).count() == 0
        assert not scoping.can_see_application(nobody, application)


def test_the_parent_filter_of_the_street_list_offers_the_parents_each_user_may_search_by(world, strays):
    """二级单位's search filter 所属一级单位: the city office and the auditor every district, a district clerk its own,
    a street clerk its own street's district (it sees the street), nobody else anything — never a street."""
    def choices(user):
        return {u.name for u in db.session.query(Unit).filter(scoping.parent_choice_clause(user))}

    everything = {"海淀区", "朝阳区"}
    assert choices(world["city"]) == everything and choices(world["auditor"]) == everything
    assert choices(world["l1"]) == {"海淀区"} and choices(world["l1_other"]) == {"朝阳区"}
    assert choices(world["l2"]) == {"海淀区"} and choices(world["l2_other"]) == {"朝阳区"}
    for name in ("expert", "applicant"):
        assert choices(world[name]) == set(), name
    for name, stray in strays.items():
        assert choices(stray) == set(), name
    assert choices(AnonymousUserMixin()) == set()


# --- 工作台 (/dashboard/): figures of the user's scope only --------------------------------------------------------

@pytest.mark.parametrize("actor", ["l1", "l2"])
def test_the_dashboard_names_no_unit_or_person_outside_the_scope(app, world, actor):
    page = factories.login(app.test_client(), world[actor]).get("/dashboard/")
    assert page.status_code == 200
    leaks = [name for name in foreign_names(world, actor) if name in page.text]
    assert leaks == []
    assert "中关村街道" in page.text


@pytest.mark.parametrize("actor", ["city", "auditor"])
def test_the_dashboard_of_the_city_office_and_the_auditor_covers_every_district(app, world, actor):
    page = factories.login(app.test_client(), world[actor]).get("/dashboard/").text
    assert "海淀区" in page and "朝阳区" in page
    assert ("dashboard-objections" in page) == (actor == "city")  # objections name their objector: the office's


@pytest.mark.parametrize("actor", ["expert", "applicant", "applicant_other"])
def test_experts_and_citizens_have_no_dashboard(app, world, actor):
    response = factories.login(app.test_client(), world[actor]).get("/dashboard/")
    assert response.status_code in (302, 403) and "dashboard-data" not in response.text


def test_users_with_one_identity_key_have_one_identity_clause_and_the_others_another(app, world, strays):
    """identity_key tells apart every two users whose identity_clause differs (the review list keeps one statement
    per key for all of them): the same key, the same SQL and values; another key, another condition."""
    people = {**world, **strays, "l2_twin": factories.account(roles.L2_CLERK, unit=world["a1"]),
              "city_twin": factories.account(roles.CITY_OFFICE)}
    people = {name: person for name, person in people.items() if isinstance(person, Account)}

    def sql(user) -> str:
        return str(scoping.identity_clause(user).compile(db.engine, compile_kwargs={"literal_binds": True}))

    by_key: dict = {}
    for name, person in people.items():
        by_key.setdefault(scoping.identity_key(person), set()).add(sql(person))
    assert all(len(clauses) == 1 for clauses in by_key.values()), by_key
    clauses = [next(iter(c)) for c in by_key.values()]
    assert len(set(clauses)) == len(clauses)
    assert scoping.identity_key(people["l2"]) == scoping.identity_key(people["l2_twin"])
    assert scoping.identity_key(people["l2"]) != scoping.identity_key(people["l2_sibling"])
    assert scoping.identity_key(people["city"]) == scoping.identity_key(people["auditor"])
