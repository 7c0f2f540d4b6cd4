"""Hostile input gets a 4xx, never a 5xx: schemathesis over the app's own OpenAPI document, as every role with a
Bearer token and with a cookie session, and Hypothesis over the HTML forms.

`make test` sends a few thousand requests with a fixed seed (derandomize); `make fuzz` sends FUZZ_EXAMPLES per
operation, role and way of signing in (default 50), with fresh randomness each run."""
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from app import roles
from app.extensions import db
from tests import fuzz_setup

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0"))
# In `make test`: few examples per operation, the same ones every run.
API_EXAMPLES = EXAMPLES or 3
DERANDOMIZE = not EXAMPLES


def _settings(examples: int):
    return settings(
        max_examples=examples, derandomize=DERANDOMIZE, database=None, deadline=None,
        phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
    )


def fuzz_api(app, username, how: str, examples: int) -> tuple[int, list]:
    """(requests sent, [(operation, status, request) answered 5xx]) of schemathesis over /api/v1/_openapi."""
    document = fuzz_setup.client(app, fuzz_setup.ROLE_NAMES_FOR_SPEC, "token").get("/api/v1/_openapi").json
    schema = schemathesis.openapi.from_dict(document)
    schema.app = app
    client = fuzz_setup.client(app, username, how)
    sent, failures = 0, []
    for result in schema.get_all_operations():
        operation = result.ok()
        strategies = [operation.as_strategy(GenerationMode.POSITIVE)]
        try:
            strategies.append(operation.as_strategy(GenerationMode.NEGATIVE))
        except Exception:  # noqa: BLE001  (an operation with nothing to break has no negative cases)
            pass

        @_settings(examples)
        @given(case=st.one_of(strategies))
        def run(case):
            nonlocal sent
            sent += 1
            # The generated Authorization header (the document declares Bearer tokens) would replace the client's
            # own sign-in: a token client sends its token, a cookie client none; the anonymous keep the garbage.
            headers = {}
            if username is not None:
                case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
                headers = {"Authorization": client.environ_base["HTTP_AUTHORIZATION"]} if how == "token" else {}
            try:
                response = case.call(session=client, headers=headers)
                status = response.status_code
            except Exception as error:  # noqa: BLE001  (TESTING propagates what the app did not handle)
                status = f"raised {type(error).__name__}: {error}"[:300]
            # Each production request ends its session; the tests' shared app context would keep a failed one.
            db.session.rollback()
            if not isinstance(status, int) or status >= 500:
                failures.append((f"{operation.method.upper()} {operation.path}", status, case.as_curl_command()))

        run()
    return sent, failures


# Form fuzzing: what people (and scripts) type into each field of the portal's main forms.
FORM_EXAMPLES = EXAMPLES or 12
_TYPED = st.one_of(
    st.text(max_size=60),
    st.integers().map(str),
    st.sampled_from(["", " ", "0", "-1", "2147483648", "9223372036854775808", "99999999999999999999", "1e3", "1.5",
                     "0000", "2027-04-30T23:59:59+08:00", "2027-04-30 23:59:59Z", "2027-02-30 00:00:00",
                     "0000-01-01 00:00:00", "９９９９", "١٢٣", "y", "on", "male", "<script>", "%(n)s"]),
)


def _form_cases(world):
    """(label, role, path, {field: a valid value}): what is typed starts from the valid form (see _typed_into)."""
    from app.models import Campaign, Stage, Unit

    campaign = db.session.query(Campaign).filter_by(year=2026).one()
    window = campaign.window(Stage.APPLY).id
    district = db.session.query(Unit).filter_by(name="海淀区").one()
    return [
        ("campaign", roles.CITY_OFFICE, "/campaigns/add",
         {"name": "第十批", "year": "2031", "winner_quota": "100", "featured_quota": "10"}),
        ("stage window", roles.CITY_OFFICE, f"/campaigns/windows/edit/{window}",
         {"starts_at": "2026-04-04 00:00:00", "ends_at": "2026-04-27 23:59:59"}),
        ("unit", roles.CITY_OFFICE, "/units/first-level/add",
         {"name": "通州区", "category": "district", "code": "", "contact_name": "张三", "contact_phone": "13800138000"}),
        ("unit account", roles.CITY_OFFICE, "/accounts/add",
         {"unit": str(district.id), "username": "fuzz-new", "first_name": "张三", "phone": ""}),
        ("quota", roles.CITY_OFFICE, "/quotas/add", {"campaign": str(campaign.id), "level": "2", "max_recommended": "1"}),
        ("application", roles.APPLICANT, "/apply/", dict.fromkeys(
            ["name", "gender", "birth_date", "id_number", "mobile", "work_unit", "position", "address",
             "is_permanent_resident", "category", "first_level", "unit_id", "deeds", "declaration_confirmed", "action"],
            "")),
    ]


def _typed_into(valid: dict):
    """The valid form with one or two fields typed anything, or every field typed anything. Nonsense everywhere alone
    meets the first check of each field and never the rules between fields and against the database (a quota against
    the campaign's, an end against its start, one quota per level): those were where forms lost what was typed."""
    names = sorted(valid)
    some = st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True).flatmap(
        lambda chosen: st.fixed_dictionaries({n: _TYPED if n in chosen else st.just(valid[n]) for n in names}))
    return st.one_of(some, st.fixed_dictionaries({}, optional={name: _TYPED for name in names}))


def fuzz_form(app, username, path, valid: dict, examples) -> tuple[int, list]:
    """(forms posted, [(values, status, what was wrong)]): every answer is the form again with a Chinese message at a
    field (200), a save (302, landing on a page without a flashed refusal), or the Chinese refusal of text nobody can
    type (400: NUL)."""
    client = fuzz_setup.client(app, username, "cookie")
    sent, failures = 0, []

    @_settings(examples)
    @given(values=_typed_into(valid))
    def run(values):
        nonlocal sent
        sent += 1
        try:
            response = client.post(path, data=values)
        except Exception as error:  # noqa: BLE001
            failures.append((values, "raised", repr(error)[:300]))
            return
        finally:
            db.session.rollback()
        page = response.get_data(as_text=True)
        if response.status_code == 200:
            if not fuzz_setup.chinese_field_error(page):
                failures.append((values, 200, "form shown again without a Chinese message at a field"))
        elif response.status_code == 400:
            if "无法保存的字符" not in page:
                failures.append((values, 400, page[:300]))
        elif response.status_code == 302:
            # A save lands on a page with its success; a refusal flashed there instead (「数据库错误」, 「与已有记录冲突」,
            # a service's check after the form's) lost what was typed.
            landed = client.get(response.headers["Location"]).get_data(as_text=True)
            if fuzz_setup.refused_after_the_form(landed):
                failures.append((values, 302, "refused after the form, on another page: what was typed is lost"))
        else:
            failures.append((values, response.status_code, page[:300]))

    run()
    return sent, failures


def test_forms_answer_typed_nonsense_with_a_message_at_the_field(app):
    world = fuzz_setup.world()
    sent, failures = 0, []
    for label, role, path, valid in _form_cases(world):
        n, found = fuzz_form(app, world[role], path, valid, FORM_EXAMPLES)
        sent += n
        failures += [(label, *f) for f in found]
    print(f"forms: {sent} posted, {len(failures)} failed")
    assert not failures, "\n".join(map(repr, failures[:20]))


@pytest.mark.parametrize(("role", "how"), fuzz_setup.SIGN_INS,
                         ids=[f"{fuzz_setup.ROLE_IDS[role]}-{how}" for role, how in fuzz_setup.SIGN_INS])
def test_the_rest_api_never_answers_5xx(app, role, how):
    world = fuzz_setup.world()
    sent, failures = fuzz_api(app, world[role], how, API_EXAMPLES)
    print(f"api as {role or 'anonymous'} ({how}): {sent} requests, {len(failures)} answered 5xx")
    assert sent > len(failures)
    assert not failures, "\n".join(f"{op} → {status}\n  {request}" for op, status, request in failures[:20])
