"""Demo experts (专家评审): the demo's expert accounts get where they work and their field, two 初审 panels (东城区;
西城区 and the rest) and one 复审 panel with everyone, and a few conflicts of interest: one by employer (a street
of 东城区), one declared with 西城区, one with a single applicant. Each 初审 panel has four experts, one of them
conflicted, so that three per application (the round's default) can always be placed.

Data, not workflow: rows written directly (the caller commits), as the city office's screens would have written them.
"""
from app import rounds
from app.extensions import db
from app.models import (
    Account,
    Application,
    ApplicationStatus,
    Campaign,
    Expert,
    ExpertConflict,
    ExpertPanel,
    ExpertPanelMember,
    ExpertPanelUnit,
    Stage,
    Unit,
)

# username -> (employer, unit path of units.yaml when the employer is one of the portal's units, field, mobile)
EXPERTS = {
    "expert1": ("北京开放大学", None, "终身教育", "13601010001"),
    "expert2": ("东城区东华门街道办事处", "dongcheng/donghuamen", "社区教育", "13601010002"),
    "expert3": ("首都师范大学", None, "教育学", "13601010003"),
    "expert4": ("北京市社区教育指导中心", None, "社区教育", "13601010004"),
    "expert5": ("北京师范大学", None, "成人教育", "13601010005"),
    "expert6": ("中国人民大学", None, "社会学", "13601010006"),
    "expert7": ("北京联合大学", None, "职业教育", "13601010007"),
    "expert8": ("首都图书馆", None, "阅读推广", "13601010008"),
}
# 初审: (panel name, first-level units by path — none: every application no other panel takes, experts).
INITIAL_PANELS = [
    ("第一组", ["dongcheng"], ["expert1", "expert2", "expert3", "expert4"]),
    ("第二组", [], ["expert5", "expert6", "expert7", "expert8"]),
]
FINAL_PANEL = "复审专家组"


def load_experts(campaign: Campaign, by_path: dict[str, Unit]) -> int:
    """Expert rows for the demo's expert accounts, their panels and conflicts; returns how many experts."""
    db.session.flush()
    experts = {}
    for username, (employer, unit_path, field, mobile) in EXPERTS.items():
        account = db.session.query(Account).filter_by(username=username).one()
        account.phone = mobile
        experts[username] = Expert(account=account, employer=employer, field=field,
                                   employer_unit=by_path[unit_path] if unit_path else None)
        db.session.add(experts[username])

    city = db.session.query(Account).filter_by(username="city").one()
    db.session.add(ExpertConflict(expert=experts["expert3"], unit=by_path["xicheng"],
                                  reason="曾任西城区社区学院院长", declared_by_id=city.id))
    relative = (db.session.query(Application)
                .filter_by(unit_id=by_path["xicheng/jinrongjie"].id, status=ApplicationStatus.REPORTED.value)
                .order_by(Application.id).first())
    db.session.add(ExpertConflict(expert=experts["expert6"], application=relative, reason="与申报人系亲属",
                                  declared_by_id=city.id))

    initial = rounds.round_for(campaign, Stage.INITIAL_REVIEW)
    for name, unit_paths, members in INITIAL_PANELS:
        _panel(initial, name, [experts[m] for m in members], [by_path[p] for p in unit_paths])
    final = rounds.round_for(campaign, Stage.FINAL_REVIEW)
    _panel(final, FINAL_PANEL, list(experts.values()), [])
    return len(experts)


def assign_initial_review(campaign: Campaign):
    """The demo's 初审 assigned as the city office's 自动分配 would (app.assignment.assign_round, audited and with
    the experts' 站内通知), so that an expert signing in after `flask campaign open-stage initial_review` has work at
    once. Run after the demo is committed: assign_round commits (or rolls back) its own transaction."""
    from app import assignment

    city = db.session.query(Account).filter_by(username="city").one()
    initial = rounds.round_for(campaign, Stage.INITIAL_REVIEW)
    db.session.commit()  # round_for may have made the row
    return assignment.assign_round(city, initial.id)


def _panel(review_round, name, members, units) -> ExpertPanel:
    panel = ExpertPanel(round=review_round, name=name)
    db.session.add(panel)
    db.session.flush()
    with db.session.no_autoflush:
        panel.members = [ExpertPanelMember(panel_id=panel.id, round_id=review_round.id, expert=e) for e in members]
        panel.units = [ExpertPanelUnit(panel_id=panel.id, round_id=review_round.id, unit=u) for u in units]
    return panel
