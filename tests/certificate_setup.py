"""Winners with their certificates, for the tests of 荣誉证书 (the approval itself: tests/test_approval.py)."""
from app import certificates
from app.extensions import db
from tests import factories


def winners(n=2, campaign=None, featured=1, **fields):
    """n winners of one campaign (the first `featured` of them 重点宣传) and their certificates, as 审核确定 leaves
    them (app/approval.approve issues them the same way)."""
    campaign = campaign or factories.campaign(open_stage="publicity")
    picked = factories.candidates(n, campaign=campaign, featured=featured, **fields)
    for application in picked:
        application.status = "featured_winner" if application.status == "featured" else "winner"
    issued = [certificates.issue(application) for application in picked]
    db.session.commit()
    return issued
