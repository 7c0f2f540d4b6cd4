"""Who may see which rows. Every ModelView, REST API, export, download, action and form choice asks here.

A second-level clerk sees its own unit; a first-level clerk its own unit and its second-level units; the city
office, the auditor and the system administrator everything; everybody else no unit at all. An expert sees the
assignments given to them (not declined) and those assignments' applications, and nothing else.

For each kind of row there is one SQL clause; the per-row question (`can_see_application`, `can_add_under`,
`can_manage_unit`) is that clause asked about one id, so a list and a check can never disagree.
"""
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.sqla.models import Role
from flask_login import current_user
from sqlalchemy import and_, false, or_, select, true

from app import clock, prepared, roles
from app.extensions import db
from app.models import (
    Account,
    Application,
    ApplicationStatus,
    BackgroundJob,
    CampaignApproval,
    Expert,
    Objection,
    ReviewAssignment,
    Stage,
    StageWindow,
    Unit,
)
from app.models.application import L1_VISIBLE, PUBLIC_CANDIDATES, WINNERS

SEES_EVERYTHING = {roles.ADMIN, roles.CITY_OFFICE, roles.AUDITOR}


def role_names(user) -> set[str]:
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return {role.name for role in user.roles}


def is_city_office(user) -> bool:
    return bool(role_names(user) & {roles.ADMIN, roles.CITY_OFFICE})


def is_security_admin(user) -> bool:
    """安全管理员 (or Admin): edits role permissions and grants the portal's roles (三员分立)."""
    return bool(role_names(user) & {roles.ADMIN, roles.SECURITY_ADMIN})


def sees_everything(user) -> bool:
    return bool(role_names(user) & SEES_EVERYTHING)


def _clerk_unit(user, role) -> int | None:
    """The unit of a clerk acting in `role`; None when the user is not such a clerk (or has no unit)."""
    unit_id = getattr(user, "unit_id", None)
    return unit_id if unit_id is not None and role in role_names(user) else None


def _row_matches(model, clause, row_id) -> bool:
    """The per-row question: is this id among the rows of the clause? Asked of the database as it stands (no
    autoflush: a row being edited may already carry new values)."""
    if row_id is None:
        return False
    with db.session.no_autoflush:
        return db.session.query(model.id).filter(clause, model.id == row_id).first() is not None


# --- units ---------------------------------------------------------------------------------------------------

def unit_clause(user):
    """SQL condition on Unit: the units this user may see."""
    if sees_everything(user):
        return true()
    l1, l2 = _clerk_unit(user, roles.L1_CLERK), _clerk_unit(user, roles.L2_CLERK)
    clauses = []
    if l1 is not None:
        clauses.append(or_(Unit.id == l1, Unit.parent_id == l1))
    if l2 is not None:
        clauses.append(Unit.id == l2)
    return or_(*clauses) if clauses else false()


def can_see_unit(user, unit: Unit | None) -> bool:
    return unit is not None and _row_matches(Unit, unit_clause(user), unit.id)


def parent_choice_clause(user):
    """SQL condition on Unit: first-level units to filter a list of second-level units by (the search form)."""
    # A street clerk sees its street, so it may filter by the street's district; no other role gets one this way.
    own_parent = user.unit.parent_id if _clerk_unit(user, roles.L2_CLERK) is not None else None
    return and_(Unit.level == 1, or_(unit_clause(user), Unit.id == own_parent) if own_parent else unit_clause(user))


def addable_parent_clause(user):
    """SQL condition on Unit: where this user may create a second-level unit (the city office under every
    first-level unit, a first-level clerk under its own)."""
    if is_city_office(user):
        return Unit.level == 1
    l1 = _clerk_unit(user, roles.L1_CLERK)
    return and_(Unit.level == 1, Unit.id == l1) if l1 is not None else false()


def can_add_under(user, parent: Unit | None) -> bool:
    return parent is not None and _row_matches(Unit, addable_parent_clause(user), parent.id)


def manageable_unit_clause(user):
    """SQL condition on Unit: units this user may edit and create accounts for (the city office every unit, a
    first-level clerk its second-level units)."""
    if is_city_office(user):
        return true()
    l1 = _clerk_unit(user, roles.L1_CLERK)
    return and_(Unit.level == 2, Unit.parent_id == l1) if l1 is not None else false()


def can_manage_unit(user, unit: Unit | None) -> bool:
    return unit is not None and _row_matches(Unit, manageable_unit_clause(user), unit.id)


# --- accounts ------------------------------------------------------------------------------------------------

def account_clause(user):
    """SQL condition on Account: the unit accounts this user may see (never citizens' or experts')."""
    if sees_everything(user):
        return Account.unit_id.isnot(None)
    if _clerk_unit(user, roles.L1_CLERK) is not None:
        return Account.unit.has(unit_clause(user))
    return false()


def staff_account_clause(user):
    """SQL condition on Account: the accounts 用户列表 and 账号授权 show (and whose passwords and roles may be
    changed there): Admin every one; the others none that holds an administrator role or Admin (三员分立: those are
    the command line's, app/duties.py)."""
    if roles.ADMIN in role_names(user):
        return true()
    if not role_names(user):
        return false()
    return ~Account.roles.any(Role.name.in_(roles.PRIVILEGED_ROLES))


def can_manage_account(user, account) -> bool:
    return account is not None and _row_matches(Account, staff_account_clause(user), account.id)


# --- background jobs (app/jobs.py) ----------------------------------------------------------------------------

def job_clause(user):
    """SQL condition on BackgroundJob: a job, its progress and its file are its owner's alone. Not even the city
    office sees another account's: the file is what that account's scope let it export."""
    user_id = getattr(user, "id", None)
    return BackgroundJob.owner_id == user_id if user_id is not None else false()


# --- applications --------------------------------------------------------------------------------------------

def application_clause(user):
    """SQL condition on Application: a citizen's own; for units and the city office, never a draft; for an expert,
    the applications assigned to them (app/views/expert_review.py shows those without personal data)."""
    clauses = [identity_clause(user)]
    if roles.EXPERT in role_names(user):
        assigned = select(ReviewAssignment.application_id).where(own_assignment_clause(user))
        clauses.append(Application.id.in_(assigned))
    return or_(*clauses)


def identity_clause(user):
    """SQL condition on Application: those whose personal data (ID number, phone, address, birth date: the printed
    申报表) this user may read — application_clause without the experts' assigned applications."""
    return _identity_clause(*identity_key(user))


def identity_key(user) -> tuple:
    """All identity_clause(user) depends on: two users with the same key have the same condition, so a statement
    built with it serves both (the review list keeps its statements by it: app/views/applications.py). Whether the
    user sees every application, the applicant whose own these are, the first- and second-level unit clerked for."""
    names = role_names(user)
    if names & SEES_EVERYTHING:
        return True, None, None, None
    return (False, user.id if roles.APPLICANT in names else None, _clerk_unit(user, roles.L1_CLERK),
            _clerk_unit(user, roles.L2_CLERK))


def _identity_clause(everything: bool, applicant_id: int | None, l1: int | None, l2: int | None):
    not_draft = Application.status != prepared.written(ApplicationStatus.DRAFT.value)
    if everything:
        return not_draft
    clauses = []
    if applicant_id is not None:
        clauses.append(Application.applicant_id == applicant_id)
    if l2 is not None:
        clauses.append(and_(not_draft, Application.unit_id == l2))
    if l1 is not None:
        # Only what its second-level units recommended and submitted reaches a first-level unit (R-REV-2).
        # The unit written in too: the first-level units are few, and differ in size (4 to 20 streets) so much that
        # PostgreSQL found a plan for any of them costlier than each one's own, and planned a filtered page anew at
        # every request.
        clauses.append(
            and_(Application.status.in_(prepared.written([s.value for s in L1_VISIBLE])),
                 Application.unit.has(Unit.parent_id == prepared.written(l1)))
        )
    return or_(*clauses) if clauses else false()


def can_see_application(user, application: Application | None) -> bool:
    return application is not None and _row_matches(Application, application_clause(user), application.id)


def can_see_identity(user, application: Application | None) -> bool:
    return application is not None and _row_matches(Application, identity_clause(user), application.id)


def public_clause(at=None):
    """SQL condition on Application: what anyone, signed in or not, may see of it on /gongshi and /mingdan (name,
    gender, unit, photo copy, extract; never the rest): a candidate once its campaign's 公示 has begun, and a winner
    once its campaign is approved. A withdrawn candidate is neither."""
    started = select(StageWindow.campaign_id).where(
        StageWindow.stage == Stage.PUBLICITY.value, StageWindow.starts_at <= (at or clock.now()))
    return or_(
        and_(Application.status.in_([s.value for s in PUBLIC_CANDIDATES]), Application.campaign_id.in_(started)),
        and_(Application.status.in_([s.value for s in WINNERS]),
             Application.campaign_id.in_(select(CampaignApproval.campaign_id))),
    )


def is_public(application: Application | None, at=None) -> bool:
    return application is not None and _row_matches(Application, public_clause(at), application.id)


# --- review rounds ---------------------------------------------------------------------------------------------

def review_round_clause(user):
    """SQL condition on ReviewRound: the rounds whose progress, reviews and score sheets this user may follow (评审进度):
    the city office's and the auditor's. An expert reaches a round only through its own reviews (assignment_clause)."""
    return true() if sees_everything(user) else false()


def can_see_review_round(user, review_round) -> bool:
    from app.models import ReviewRound

    return review_round is not None and _row_matches(ReviewRound, review_round_clause(user), review_round.id)


# --- expert review: assignments ------------------------------------------------------------------------------

def own_assignment_clause(user):
    """SQL condition on ReviewAssignment: the expert's own assignments, declined ones excepted."""
    if roles.EXPERT not in role_names(user):
        return false()
    return and_(
        ReviewAssignment.status != "declined",
        ReviewAssignment.expert_id.in_(select(Expert.id).where(Expert.account_id == user.id)),
    )


def assignment_clause(user):
    """SQL condition on ReviewAssignment: every one for the city office, the auditor and the administrator; an
    expert's own (not declined) for an expert; none for anybody else."""
    if sees_everything(user):
        return true()
    return own_assignment_clause(user)


def can_see_assignment(user, assignment: ReviewAssignment | None) -> bool:
    return assignment is not None and _row_matches(ReviewAssignment, assignment_clause(user), assignment.id)


def is_own_assignment(user, assignment: ReviewAssignment | None) -> bool:
    """The expert's own assignment: what they may score (the city office may see every one, but scores none)."""
    return assignment is not None and _row_matches(ReviewAssignment, own_assignment_clause(user), assignment.id)


# --- FAB filters: base filters of lists and APIs, and the choices of forms ------------------------------------

class _ClauseFilter(BaseFilter):
    """A FAB filter applying one of the clauses above for the current user; the column it names is ignored."""

    name = "scope"
    arg_name = None
    clause = None  # set by subclasses (a staticmethod of the user)
    # What the clause depends on (a staticmethod of the user giving a hashable), where a statement built with it may
    # be kept for other requests (the review list's: app/views/applications.py); None: it may not.
    clause_key = None

    def key(self):
        """clause_key for the current user, or None."""
        return type(self).clause_key(current_user) if type(self).clause_key is not None else None

    def apply(self, query, value):
        return query.filter(type(self).clause(current_user))


class UnitScopeFilter(_ClauseFilter):
    clause = staticmethod(unit_clause)


class AccountScopeFilter(_ClauseFilter):
    clause = staticmethod(account_clause)


class StaffAccountFilter(_ClauseFilter):
    clause = staticmethod(staff_account_clause)


class ApplicationScopeFilter(_ClauseFilter):
    """The generic application list, show page and API: they show personal data, so never an expert's
    assigned application (even if the expert role is granted Application in 角色权限)."""

    clause = staticmethod(identity_clause)
    clause_key = staticmethod(identity_key)


class AssignmentScopeFilter(_ClauseFilter):
    clause = staticmethod(assignment_clause)


class ParentChoiceFilter(_ClauseFilter):
    """Choices of 所属一级单位 when searching second-level units."""

    clause = staticmethod(parent_choice_clause)


class AddableParentFilter(_ClauseFilter):
    """Choices of 所属一级单位 for a new second-level unit."""

    clause = staticmethod(addable_parent_clause)


class ManageableUnitFilter(_ClauseFilter):
    """Choices of 所属单位 for a new clerk account."""

    clause = staticmethod(manageable_unit_clause)


def scoped_choices(filter_class) -> list:
    """FAB's query_rel_fields entry for a relation whose choices this filter limits."""
    return [["id", filter_class, None]]


# --- experts (专家评审) ------------------------------------------------------------------------------------------

def expert_clause(user):
    """SQL condition on Expert: every expert for the city office and the auditor; an expert their own row."""
    if sees_everything(user):
        return true()
    if roles.EXPERT in role_names(user):
        return Expert.account_id == user.id
    return false()


class ExpertScopeFilter(_ClauseFilter):
    clause = staticmethod(expert_clause)


class ReviewSetupScopeFilter(_ClauseFilter):
    """专家组 and 回避关系: the city office's and the auditor's only."""

    clause = staticmethod(lambda user: true() if sees_everything(user) else false())


# --- objections (公示异议) ---------------------------------------------------------------------------------------

def objection_clause(user):
    """SQL condition on Objection: the city office's only. An objection names its objector (real name, phone), so
    not even the auditor reads it; the audit log records its handling without the objector's data."""
    return true() if is_city_office(user) else false()


def can_see_objection(user, objection) -> bool:
    return objection is not None and _row_matches(Objection, objection_clause(user), objection.id)


class ObjectionScopeFilter(_ClauseFilter):
    clause = staticmethod(objection_clause)


# --- certificates (荣誉证书) ---------------------------------------------------------------------------------------

def own_certificate_clause(user):
    """SQL condition on Certificate: a winner's own (申报人), the one they may download from 我的报名."""
    from app.models import Certificate

    if roles.APPLICANT not in role_names(user):
        return false()
    return Certificate.application_id.in_(select(Application.id).where(Application.applicant_id == user.id))


def certificate_clause(user):
    """SQL condition on Certificate: every one for the city office, the auditor and the administrator; a winner's
    own for a citizen; none for anybody else (the public verifies one code at a time on /zhengshu/)."""
    if sees_everything(user):
        return true()
    return own_certificate_clause(user)


def can_see_certificate(user, certificate) -> bool:
    from app.models import Certificate

    return certificate is not None and _row_matches(Certificate, certificate_clause(user), certificate.id)


def is_own_certificate(user, certificate) -> bool:
    from app.models import Certificate

    return certificate is not None and _row_matches(Certificate, own_certificate_clause(user), certificate.id)


class CertificateScopeFilter(_ClauseFilter):
    clause = staticmethod(certificate_clause)
# --- 审核确定 (the leading group's decision on a campaign's list) -----------------------------------------------

def approval_clause(user):
    """SQL condition on CampaignApproval: the city office's record, read by the auditor too (with its PDF)."""
    return true() if sees_everything(user) else false()


def can_see_approval(user, approval) -> bool:
    return approval is not None and _row_matches(CampaignApproval, approval_clause(user), approval.id)
