"""The audit log: one row per state change, account change, password reset, schedule change, export and refusal.
Never updated nor deleted (on PostgreSQL a trigger refuses both; migration d7e3a91c5b20)."""
from flask_appbuilder import Model
from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import relationship

from app import clock


class AuditEvent(Model):
    __tablename__ = "audit_event"
    # The list is newest first (id DESC, the primary key); these serve its filters in that order (issue 11): by
    # action, by who (the typed name), by kind of object, and the few events that were refused or failed.
    __table_args__ = (
        Index("ix_audit_event_action_id", "action", "id"),
        Index("ix_audit_event_actor_name_id", "actor_name", "id"),
        Index("ix_audit_event_object_type_id", "object_type", "id"),
        Index("ix_audit_event_not_success", "result", "id", sqlite_where=text("result <> 'success'"),
              postgresql_where=text("result <> 'success'")),
    )

    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=clock.now, index=True)
    actor_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), index=True)
    # Kept as text too, so the record stays readable when the account is gone.
    actor_name = Column(String(128), nullable=False, default="system")
    ip = Column(String(45))
    action = Column(String(64), nullable=False, index=True)
    object_type = Column(String(64), nullable=False)
    object_id = Column(String(64))
    object_label = Column(String(200))
    detail = Column(JSON, nullable=False, default=dict)
    # What came of it: "success", "refused" (a 403 or scoped 404, a refused grant), "failure".
    result = Column(String(16), nullable=False, default="success", server_default="success", index=True)

    actor = relationship("Account")

    def __repr__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.object_type}#{self.object_id}"
