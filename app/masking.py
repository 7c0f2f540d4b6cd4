"""How ID and phone numbers leave the server (PIPL minimisation): masked everywhere by default, in full only to their
owner and on an explicit, audited request (`reveal`, `full_export_allowed` below decide who may ask).

110105198001011234 -> 110105********1234 (area code and last four: enough to tell namesakes apart);
13911588771 -> 139****8771; a fixed line 010-82364980 -> 010*****4980. Pages use the template filters `mask_id`
and `mask_phone`; lists, exports and the REST API call these functions.
"""
import re

from flask_babel import gettext as _

from app import audit, roles, scoping
from app.extensions import db
from app.models import Application

MASK = "*"
# An 11-digit mainland mobile, alone: a citizen's user name is their mobile number (app/citizens.py).
_MOBILE = re.compile(r"1\d{10}")


def _mask(value, keep_start: int, keep_end: int) -> str:
    value = "" if value is None else str(value)
    if len(value) <= keep_start + keep_end:
        return MASK * len(value)
    return value[:keep_start] + MASK * (len(value) - keep_start - keep_end) + value[-keep_end:]


def mask_id_number(value) -> str:
    """110105198001011234 -> 110105********1234: the area code and the last four stay."""
    return _mask(value, 6, 4)


def mask_phone(value) -> str:
    """13911588771 -> 139****8771; any other phone keeps its first three and last four characters."""
    return _mask(value, 3, 4)


# The mobile of an application or a citizen is a phone like any other.
mask_mobile = mask_phone


def mask_username(value) -> str:
    """A citizen's user name is their mobile number: masked like one; a clerk's or an expert's name stays."""
    value = "" if value is None else str(value)
    return mask_phone(value) if _MOBILE.fullmatch(value) else value


def mask_email(value) -> str:
    """A citizen's placeholder e-mail is their mobile number @accounts.invalid: its mobile masked."""
    value = "" if value is None else str(value)
    local, at, domain = value.partition("@")
    return mask_username(local) + at + domain


TEMPLATE_FILTERS = {"mask_id": mask_id_number, "mask_phone": mask_phone, "mask_username": mask_username}


# --- full values, on request -----------------------------------------------------------------------------------
# Who may ask for one application's full numbers: the city office (it verifies and contacts candidates) and the two
# unit levels for the applications in their own scope (the second-level unit checks residence and eligibility, R-APP-1,
# and may have to call the applicant). Never the auditor (oversight needs no identity) nor an expert (no identity
# at all: scoping.identity_clause). A whole export with full numbers is the city office's only.
REVEALING_ROLES = {roles.ADMIN, roles.CITY_OFFICE, roles.L1_CLERK, roles.L2_CLERK}


class RevealRefused(PermissionError):
    pass


def may_reveal(user, application: Application | None) -> bool:
    return bool(scoping.role_names(user) & REVEALING_ROLES) and scoping.can_see_identity(user, application)


def full_export_allowed(user) -> bool:
    """Whether this user may ask for an export carrying full ID and mobile numbers: the city office only."""
    return scoping.is_city_office(user)


def reveal(user, application_id: int) -> Application:
    """One application's full numbers for `user`: checked, then audited as application.identity_viewed (who and
    which row; never the values). Raises RevealRefused. Commits the audit event."""
    application = db.session.get(Application, application_id)
    if not may_reveal(user, application):
        raise RevealRefused(_("无权查看该报名的完整证件号码"))
    audit.record("application.identity_viewed", "application", application.id, application.name or "")
    db.session.commit()
    return application
