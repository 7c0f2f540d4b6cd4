"""A campaign in 专家复审 with both review rounds and scored applications, for the ranking's views, API and browser
tests (tests/test_workflow.py builds its own)."""
from datetime import datetime
from decimal import Decimal

from app import clock, roles
from app.extensions import db
from app.models import Stage
from tests import factories

NOW = datetime(2026, 6, 25, 10, 0)


class World:
    def __init__(self, freeze=True):
        if freeze:
            clock.freeze(NOW)
        self.campaign = factories.campaign(open_stage=Stage.FINAL_REVIEW, at=NOW)
        self.district, (self.street,) = factories.district_with_streets("东城区", ("东华门街道",))
        self.initial = factories.review_round(campaign=self.campaign, stage="initial_review")
        self.final = factories.review_round(campaign=self.campaign, stage="final_review")
        self.city = factories.account(roles.CITY_OFFICE, username="city-office")
        self.auditor = factories.account(roles.AUDITOR)
        self.experts = [factories.expert() for _ in range(3)]

    def applicant(self, name, status="reported"):
        person = factories.account(roles.APPLICANT, first_name=name)
        return factories.application(unit=self.street, applicant=person, campaign=self.campaign, status=status,
                                     name=name)

    def scored(self, round_, application, *totals):
        """Submitted reviews by the first experts with these weighted totals (every condition scored total/10)."""
        for expert, total in zip(self.experts, totals):
            factories.assignment(round_, application, expert, status="submitted",
                                 scores={c.key: Decimal(total) / 10 for c in round_.criteria})
        return application

    def close(self, round_):
        round_.closed_at, round_.closed_by_id = clock.now(), self.city.id
        db.session.commit()

    def quotas(self, winners, featured):
        self.campaign.winner_quota, self.campaign.featured_quota = winners, featured
        db.session.commit()
