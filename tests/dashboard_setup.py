"""A campaign in 一级单位推荐上报 with applications in every stage, unit submissions, a review round and objections,
for the dashboard's figures, view and browser tests (工作台, app/dashboard.py)."""
from datetime import datetime

from app import clock, roles
from app.extensions import db
from app.models import Stage, UnitCategory, UnitSubmission
from tests import factories

NOW = datetime(2026, 5, 20, 10, 0)

# (street key, status, how many) of the current campaign's applications.
APPLICATIONS = (
    ("a1", "draft", 1),
    ("a1", "submitted", 1),
    ("a1", "returned", 1),
    ("a1", "l2_forwarded", 2),
    ("a1", "l1_recommended", 1),
    ("a1", "featured", 1),
    ("a1", "featured_winner", 1),  # "featured" is a prefix of it: a starts-with filter would count it twice
    ("a2", "l2_rejected", 1),
    ("a2", "l2_recommended", 1),
    ("b1", "reported", 2),
    ("b1", "shortlisted", 1),
    ("b1", "candidate", 1),
    ("b1", "winner", 1),
    ("c1", "submitted", 1),
    ("c1", "withdrawn", 1),
)


class World:
    def __init__(self, freeze=True):
        if freeze:
            clock.freeze(NOW)
        self.campaign = factories.campaign(open_stage=Stage.L1_REVIEW, at=NOW)
        self.a, (self.a1, self.a2) = factories.district_with_streets("海淀区", ("中关村街道", "学院路街道"))
        self.b, (self.b1,) = factories.district_with_streets("朝阳区", ("建外街道",))
        self.c = factories.unit(name="市教委", category=UnitCategory.COMMISSION)
        self.c1 = factories.unit(name="职业教育处", parent=self.c)
        self.streets = {"a1": self.a1, "a2": self.a2, "b1": self.b1, "c1": self.c1}
        self.applications = [
            factories.application(unit=self.streets[key], campaign=self.campaign, status=status)
            for key, status, n in APPLICATIONS for _ in range(n)
        ]
        # Last year's campaign: none of its applications counts in this one.
        old = factories.campaign(year=2025)
        factories.application(unit=self.a1, campaign=old, status="l2_forwarded")
        db.session.add_all([
            UnitSubmission(campaign=self.campaign, unit=self.a1, level=2, actor_name="l2-a1", at=clock.now()),
            UnitSubmission(campaign=self.campaign, unit=self.b1, level=2, actor_name="l2-b1", at=clock.now()),
            UnitSubmission(campaign=self.campaign, unit=self.b, level=1, actor_name="l1-b", at=clock.now()),
        ])
        db.session.commit()
        self.city = factories.account(roles.CITY_OFFICE, username="city-office")
        self.auditor = factories.account(roles.AUDITOR, username="auditor")
        self.l1 = factories.account(roles.L1_CLERK, unit=self.a, username="l1-haidian")
        self.l2 = factories.account(roles.L2_CLERK, unit=self.a1, username="l2-zhongguancun")
        self.expert = factories.expert(username="expert")
        self.expert_account = self.expert.account
        self.applicant = factories.account(roles.APPLICANT, username="citizen")
        # 专家初审: two experts, reviews in every state.
        self.round = factories.review_round(self.campaign, "initial_review")
        other = factories.expert()
        reported = [a for a in self.applications if a.status in ("reported", "shortlisted")]
        factories.assignment(self.round, reported[0], self.expert, status="submitted",
                             scores={c.key: 5 for c in self.round.criteria})
        factories.assignment(self.round, reported[1], self.expert, status="draft")
        factories.assignment(self.round, reported[2], self.expert)
        factories.assignment(self.round, reported[0], other, status="submitted",
                             scores={c.key: 4 for c in self.round.criteria})
        factories.assignment(self.round, reported[1], other, status="declined")
        # 公示异议 against the candidates.
        candidate = next(a for a in self.applications if a.status == "candidate")
        featured = next(a for a in self.applications if a.status == "featured")
        for application, status in ((candidate, "received"), (featured, "received"), (candidate, "accepted"),
                                    (featured, "concluded")):
            factories.objection(application, status=status)


def grow(world, n):
    """n more applications of the current campaign: half in new districts' streets (one in three submitted),
    half in the first-level clerk's street 中关村街道."""
    street = None
    for i in range(n):
        if i % 3 == 0:
            street = factories.unit(parent=factories.unit())
            if i % 2 == 0:
                db.session.add(UnitSubmission(campaign=world.campaign, unit=street, level=2, actor_name="x",
                                              at=clock.now()))
                db.session.commit()
        status = ("submitted", "l2_forwarded", "reported")[i % 3]
        factories.application(unit=street if i % 2 else world.a1, campaign=world.campaign, status=status)
