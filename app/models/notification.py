"""站内通知: a message to one account about a step that concerns it (app/notifications.py creates every one).

The table began as the experts' inbox (inbox_message); its columns kept their names: account_id is the recipient,
text the body, at when it was created."""
from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import relationship

from app import clock

TEXT_MAX = 500
TITLE_MAX = 100
KEY_MAX = 120


class Notification(Model):
    __tablename__ = "notification"
    __table_args__ = (
        # 我的通知 and the navbar's count: "my unread, newest first" and "all of mine, newest first".
        Index("ix_notification_account_unread", "account_id", "read_at", "at"),
        Index("ix_notification_account_at", "account_id", "at"),
        # What a repeated job (deadline reminders, 过期无效) must send once: one row per account and key.
        UniqueConstraint("account_id", "dedupe_key", name="uq_notification_account_key"),
    )

    id = Column(Integer, primary_key=True)
    account_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    kind = Column(String(30), nullable=False, default="message", server_default="message")
    title = Column(String(TITLE_MAX))
    at = Column(DateTime, nullable=False, default=clock.now)
    text = Column(String(TEXT_MAX), nullable=False)
    link = Column(String(200))
    sender_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    read_at = Column(DateTime)
    dedupe_key = Column(String(KEY_MAX))

    account = relationship("Account", foreign_keys=[account_id])
    sender = relationship("Account", foreign_keys=[sender_id])

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    def __repr__(self):
        return f"{self.kind} → {self.account_id}: {self.title or self.text[:20]}"
