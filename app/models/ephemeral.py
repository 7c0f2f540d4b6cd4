"""Short-lived server-side state kept in the database when there is no Redis (app/ephemeral.py): captcha answers,
sign-in failure counters and locks. Every row expires; nothing here is a record to keep."""
from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, Column, DateTime, Integer, String


class EphemeralEntry(Model):
    __tablename__ = "ephemeral_entry"
    __table_args__ = (CheckConstraint("count >= 0", name="ck_ephemeral_entry_count"),)

    key = Column(String(200), primary_key=True)
    # A counter (sign-in failures) counts; a value (a captcha's answer, a lock's end) is text.
    count = Column(Integer, nullable=False, default=0, server_default="0")
    value = Column(String(200))
    # Beijing time like every other time of the portal (app/clock.py); expired rows are ignored, then purged.
    expires_at = Column(DateTime, nullable=False, index=True)
