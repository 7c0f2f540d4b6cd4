"""The review rounds of a campaign (专家初审, 专家复审): one ReviewRound row per round, made on first use with the
notice's six conditions as its rubric. The round's window is its stage's window (app/schedule.py)."""
from app import schedule
from app.extensions import db
from app.models import ReviewRound, RubricCriterion, Stage
from app.models.review import NOTICE_CONDITIONS

ROUNDS = (Stage.INITIAL_REVIEW, Stage.FINAL_REVIEW)
# How many experts read each application unless the city office sets otherwise (the 3 in 初审, 5 in 复审).
DEFAULT_EXPERTS = {Stage.INITIAL_REVIEW: 3, Stage.FINAL_REVIEW: 5}


def round_for(campaign, stage: Stage | str, create: bool = True) -> ReviewRound | None:
    """The campaign's round of this stage; made (not committed) with the default rubric if it does not exist yet."""
    stage = Stage(stage)
    if stage not in ROUNDS:
        raise ValueError(f"not a review round: {stage}")
    found = db.session.query(ReviewRound).filter_by(campaign_id=campaign.id, stage=stage.value).one_or_none()
    if found is not None or not create:
        return found
    found = ReviewRound(campaign=campaign, stage=stage.value, experts_per_application=DEFAULT_EXPERTS[stage])
    found.criteria = [
        RubricCriterion(key=key, label=str(label), weight=weight, max_score=scale, position=position)
        for position, (key, label, weight, scale) in enumerate(NOTICE_CONDITIONS)
    ]
    db.session.add(found)
    db.session.flush()
    return found


def is_open(review_round: ReviewRound, at=None) -> bool:
    """Experts may score: the round's window is open and the city office has not closed the round."""
    window = review_round.campaign.window(review_round.stage)
    return bool(window and window.is_open(at)) and not review_round.is_closed


def current_round(campaign=None, at=None) -> ReviewRound | None:
    """The round whose window is open now, if any (made on first use)."""
    campaign = campaign or schedule.current_campaign()
    if campaign is None:
        return None
    for stage in ROUNDS:
        window = campaign.window(stage)
        if window is not None and window.is_open(at):
            return round_for(campaign, stage)
    return None
