"""The database keeps the review's rows consistent whatever the code above it does."""
import pytest
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import ExpertConflict, ExpertPanelMember
from tests import factories as f


@pytest.fixture
def setting():
    district, (street, _) = f.district_with_streets()
    campaign = f.campaign()
    round_ = f.review_round(campaign)
    expert = f.expert()
    application = f.application(unit=street, campaign=campaign, status="reported")
    return round_, expert, application, district


def test_an_expert_sits_in_one_panel_per_round(setting):
    round_, expert, _, _ = setting
    first = f.panel(round_, [expert])
    second = f.panel(round_)
    db.session.add(ExpertPanelMember(panel_id=second.id, round_id=round_.id, expert=expert))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    # ... but may sit in a panel of the other round.
    final = f.review_round(round_.campaign, stage="final_review")
    assert f.panel(final, [expert]).experts == [expert]
    assert first.experts == [expert]


def test_a_submitted_review_has_its_total_and_a_declined_one_its_reason(setting):
    round_, expert, application, _ = setting
    with pytest.raises(IntegrityError):
        f.assignment(round_, application, expert, status="submitted")
    db.session.rollback()
    review = f.assignment(round_, application, expert, status="submitted",
                          scores={c.key: 10 for c in round_.criteria})
    assert review.total == 100


def test_a_conflict_names_a_unit_or_an_application_not_both(setting):
    _, expert, application, district = setting
    db.session.add(ExpertConflict(expert=expert, unit=district, application=application))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    f.conflict(expert, unit=district)
    with pytest.raises(IntegrityError):  # declared once
        f.conflict(expert, unit=district)


def test_an_application_in_review_states(setting):
    _, _, application, _ = setting
    application.status = "featured"
    db.session.commit()
    application.status = "nonsense"
    with pytest.raises(IntegrityError):
        db.session.commit()
