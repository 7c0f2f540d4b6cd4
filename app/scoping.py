"""Who may see which rows. Every ModelView, REST API, export, download and action asks here.

A second-level clerk sees its own unit; a first-level clerk its own unit and its second-level units; the city
office, the auditor and the system administrator everything; everybody else no unit at all.
"""
from flask_appbuilder.models.filters import BaseFilter
from flask_login import current_user
from sqlalchemy import and_, false, or_, true

from app import roles
from app.models import Account, Unit

SEES_EVERYTHING = {roles.ADMIN, roles.CITY_OFFICE, roles.AUDITOR}


def role_names(user) -> set[str]:
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return {role.name for role in user.roles}


def is_city_office(user) -> bool:
    return bool(role_names(user) & {roles.ADMIN, roles.CITY_OFFICE})


def sees_everything(user) -> bool:
    return bool(role_names(user) & SEES_EVERYTHING)


def unit_clause(user):
    """SQL condition on Unit: the units this user may see."""
    if sees_everything(user):
        return true()
    unit_id = getattr(user, "unit_id", None)
    names = role_names(user)
    if unit_id is None:
        return false()
    if roles.L1_CLERK in names:
        return or_(Unit.id == unit_id, Unit.parent_id == unit_id)
    if roles.L2_CLERK in names:
        return Unit.id == unit_id
    return false()


def can_see_unit(user, unit: Unit | None) -> bool:
    if unit is None:
        return False
    if sees_everything(user):
        return True
    unit_id = getattr(user, "unit_id", None)
    if unit_id is None:
        return False
    names = role_names(user)
    if roles.L1_CLERK in names and (unit.id == unit_id or unit.parent_id == unit_id):
        return True
    return roles.L2_CLERK in names and unit.id == unit_id


def can_add_under(user, parent: Unit) -> bool:
    """Create a second-level unit under parent: the city office anywhere, a first-level clerk under its own unit."""
    if is_city_office(user):
        return True
    unit_id = getattr(user, "unit_id", None)
    return unit_id is not None and roles.L1_CLERK in role_names(user) and parent.id == unit_id


def can_manage_unit(user, unit: Unit) -> bool:
    """Edit a unit and create its accounts: the city office any unit, a first-level clerk its second-level units."""
    if is_city_office(user):
        return True
    return unit.level == 2 and unit.parent is not None and can_add_under(user, unit.parent)


def account_clause(user):
    """SQL condition on Account: the unit accounts this user may see (never citizens' or experts')."""
    if sees_everything(user):
        return Account.unit_id.isnot(None)
    if roles.L1_CLERK in role_names(user) and getattr(user, "unit_id", None) is not None:
        return Account.unit.has(unit_clause(user))
    return false()


def can_see_account(user, account: Account) -> bool:
    return account.unit is not None and can_see_unit(user, account.unit) and (
        sees_everything(user) or roles.L1_CLERK in role_names(user)
    )


class UnitScopeFilter(BaseFilter):
    """FAB base filter: only the units the current user may see."""

    name = "unit scope"
    arg_name = None

    def apply(self, query, value):
        return query.filter(unit_clause(current_user))


class AccountScopeFilter(BaseFilter):
    name = "account scope"
    arg_name = None

    def apply(self, query, value):
        return query.filter(account_clause(current_user))


class ManageableParentFilter(BaseFilter):
    """For the parent choice of a new second-level unit: first-level units this user may add under."""

    name = "manageable parents"
    arg_name = None

    def apply(self, query, value):
        query = query.filter(Unit.level == 1)
        if is_city_office(current_user):
            return query
        if roles.L1_CLERK in role_names(current_user) and current_user.unit_id is not None:
            return query.filter(Unit.id == current_user.unit_id)
        return query.filter(false())


class ManageableUnitFilter(BaseFilter):
    """For the unit choice of a new account: units this user may create accounts for."""

    name = "manageable units"
    arg_name = None

    def apply(self, query, value):
        if is_city_office(current_user):
            return query
        if roles.L1_CLERK in role_names(current_user) and current_user.unit_id is not None:
            return query.filter(Unit.level == 2, Unit.parent_id == current_user.unit_id)
        return query.filter(false())


def application_clause(user):
    """SQL condition on Application: a citizen's own; for units and the city office, never a draft."""
    from app.models import Application, ApplicationStatus
    from app.models.application import L1_VISIBLE

    if user is None or not getattr(user, "is_authenticated", False):
        return false()
    names = role_names(user)
    not_draft = Application.status != ApplicationStatus.DRAFT.value
    if names & SEES_EVERYTHING:
        return not_draft
    clauses = []
    unit_id = getattr(user, "unit_id", None)
    if roles.APPLICANT in names:
        clauses.append(Application.applicant_id == user.id)
    if roles.L2_CLERK in names and unit_id is not None:
        clauses.append(and_(not_draft, Application.unit_id == unit_id))
    if roles.L1_CLERK in names and unit_id is not None:
        # Only what its second-level units recommended and submitted reaches a first-level unit (R-REV-2).
        clauses.append(
            and_(Application.status.in_([s.value for s in L1_VISIBLE]), Application.unit.has(Unit.parent_id == unit_id))
        )
    return or_(*clauses) if clauses else false()


def can_see_application(user, application) -> bool:
    from app.models import ApplicationStatus
    from app.models.application import L1_VISIBLE

    if application is None or user is None or not getattr(user, "is_authenticated", False):
        return False
    if application.applicant_id == user.id:
        return True
    if application.status == ApplicationStatus.DRAFT.value or application.unit is None:
        return False
    names, unit_id = role_names(user), getattr(user, "unit_id", None)
    if names & SEES_EVERYTHING:
        return True
    if roles.L2_CLERK in names and application.unit_id == unit_id:
        return True
    return (
        roles.L1_CLERK in names
        and application.unit.parent_id == unit_id
        and application.status_enum in L1_VISIBLE
    )


class ApplicationScopeFilter(BaseFilter):
    name = "application scope"
    arg_name = None

    def apply(self, query, value):
        return query.filter(application_clause(current_user))
