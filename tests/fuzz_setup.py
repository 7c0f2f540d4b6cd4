"""Fuzzing's world: one of each role with some data to reach (a campaign open for applying, a unit tree, an
application, an expert), and a client per role signed in either with a Bearer token or with a cookie session."""
from app import roles
from app.models import Stage
from tests import factories

# Every role a request can come from; None is the anonymous visitor.
ROLES = (roles.CITY_OFFICE, roles.L1_CLERK, roles.L2_CLERK, roles.EXPERT, roles.APPLICANT, roles.AUDITOR, None)
# How a test id names them (pytest escapes Chinese ids).
ROLE_IDS = {roles.CITY_OFFICE: "city_office", roles.L1_CLERK: "first_level_clerk", roles.L2_CLERK: "second_level_clerk",
            roles.EXPERT: "expert", roles.APPLICANT: "applicant", roles.AUDITOR: "auditor", None: "anonymous"}
# Each signed-in role with a Bearer token and with a cookie session; the anonymous visitor has neither.
SIGN_INS = [(role, how) for role in ROLES if role for how in ("token", "cookie")] + [(None, "cookie")]


def world() -> dict:
    """username of each role's account (None: anonymous), with data each of them can see."""
    campaign = factories.campaign(year=2026, open_stage=Stage.APPLY)
    district, (street, _other) = factories.district_with_streets(name="海淀区")
    applicant = factories.account(roles.APPLICANT, username="fuzz-applicant")
    factories.application(unit=street, applicant=applicant, campaign=campaign)
    factories.expert(username="fuzz-expert")
    names = {
        roles.CITY_OFFICE: factories.account(roles.CITY_OFFICE, username="fuzz-city").username,
        roles.L1_CLERK: factories.account(roles.L1_CLERK, unit=district, username="fuzz-l1").username,
        roles.L2_CLERK: factories.account(roles.L2_CLERK, unit=street, username="fuzz-l2").username,
        roles.EXPERT: "fuzz-expert",
        roles.APPLICANT: applicant.username,
        roles.AUDITOR: factories.account(roles.AUDITOR, username="fuzz-auditor").username,
        None: None,
    }
    return names


def client(app, username, how: str):
    """A client of this user: how="token" (Bearer, no cookie), "cookie" (signed in at /login/); None: anonymous."""
    if username is None:
        return app.test_client(use_cookies=how == "cookie")
    if how == "token":
        return factories.api_client(app, username)
    return factories.login(app.test_client(), username)

# The OpenAPI document is read as the city office (it needs a permission; every operation is listed regardless).
ROLE_NAMES_FOR_SPEC = "fuzz-city"


def chinese_field_error(page: str) -> bool:
    """Whether a form page shows a Chinese message at a field (FAB's and the portal's forms mark one has-error, and
    the message follows in a help-block)."""
    import re

    for match in re.finditer(r'has-error|class="[^"]*(?:help-block|invalid-feedback|text-danger|alert-danger)', page):
        if re.search(r"[\u4e00-\u9fff]", page[match.start():match.start() + 2000]):
            return True
    return False


def refused_after_the_form(page: str) -> bool:
    """Whether a page shows a flashed refusal (FAB's dismissable alert-danger): where a form that should have said
    what was wrong at a field sent the user instead."""
    import re

    return re.search(r'alert-danger[^>]*>\s*<button[^>]*data-dismiss="alert"', page) is not None
