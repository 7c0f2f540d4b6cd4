"""The portal's tables. FAB's own (ab_*) share the same metadata."""
from app.models.account import Account, AccountSession
from app.models.application import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    ApplicationTally,
    PastWinner,
    RecommendationQuota,
    UnitSubmission,
)
from app.models.audit import AuditEvent
from app.models.campaign import Campaign, Stage, StageWindow
from app.models.ephemeral import EphemeralEntry
from app.models.job import BackgroundJob, JobState
from app.models.notification import Notification
from app.models.permission import WithdrawnGrant
from app.models.publicity import (
    CampaignApproval,
    Certificate,
    Objection,
    ObjectionEvent,
    ObjectionFinding,
    ObjectionStatus,
)
from app.models.review import (
    AssignmentStatus,
    Expert,
    ExpertConflict,
    ExpertPanel,
    ExpertPanelMember,
    ExpertPanelUnit,
    InboxMessage,
    RankingFigure,
    ReviewAssignment,
    ReviewRound,
    ReviewScore,
    RubricCriterion,
)
from app.models.unit import Unit, UnitCategory

__all__ = [
    "BackgroundJob",
    "JobState",
    "AccountSession",
    "CampaignApproval",
    "Certificate",
    "Objection",
    "ObjectionEvent",
    "ObjectionFinding",
    "ObjectionStatus",
    "RubricCriterion",
    "ReviewScore",
    "ReviewRound",
    "ReviewAssignment",
    "InboxMessage",
    "RankingFigure",
    "Notification",
    "ExpertPanelUnit",
    "ExpertPanelMember",
    "ExpertPanel",
    "ExpertConflict",
    "Expert",
    "AssignmentStatus",
    "Account",
    "Application",
    "ApplicationEvent",
    "ApplicationStatus",
    "ApplicationTally",
    "AuditEvent",
    "Campaign",
    "EphemeralEntry",
    "PastWinner",
    "RecommendationQuota",
    "Stage",
    "StageWindow",
    "Unit",
    "UnitCategory",
    "UnitSubmission",
    "WithdrawnGrant",
]
