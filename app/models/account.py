"""Accounts: FAB's user, extended with the unit a clerk works for, the first-login and periodic password change,
and the browser sessions signed in to it (app/sessions.py)."""
import secrets

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import (Boolean, CheckConstraint, Column, DateTime, ForeignKey, Index, Integer, String, event, false,
                        inspect, text)
from sqlalchemy.orm import relationship

from app import clock, roles

# FAB stamps these with datetime.now() / utcnow() (the server's zone, UTC on the portal's servers); every other
# time the portal stores is Beijing wall-clock. Stamped from app.clock instead, so they read like the rest.
FAB_STAMPS = ("last_login", "created_on", "changed_on")


def label_person(name: str | None, organisation: str | None = None) -> str:
    """How the portal names someone who acted: "中关村街道 · 张伟", "市学习办 · 李娜", or a citizen's own name."""
    name = (name or "").strip()
    organisation = (organisation or "").strip()
    if organisation and name and name != organisation:
        return f"{organisation} · {name}"
    return name or organisation


class Account(User):
    __tablename__ = "ab_user"

    unit_id = Column(Integer, ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    # Set for generated passwords (new accounts, resets); cleared when the holder picks their own.
    must_change_password = Column(Boolean, nullable=False, default=False, server_default=false())
    phone = Column(String(20))
    # Changed whenever the password, the roles or the active flag change, and on logout: every session row and
    # every token carries the stamp it was issued under, and one with another stamp is refused (app/sessions.py).
    security_stamp = Column(String(32), nullable=False, default=lambda: secrets.token_hex(16), server_default="0")
    # When the current password was set: unit, expert and admin accounts change it every PASSWORD_MAX_AGE_DAYS.
    password_changed_at = Column(DateTime)

    unit = relationship("Unit", back_populates="accounts")

    @property
    def role_names(self) -> set[str]:
        return {role.name for role in self.roles}

    @property
    def display_name(self) -> str:
        return ((self.first_name or "") + (self.last_name or "")).strip() or self.username

    def acting_label(self, unit_name: str | None = None) -> str:
        """The person as acting for unit_name (the unit recorded with what they did), or for the city office."""
        if not unit_name and roles.CITY_OFFICE in self.role_names:
            unit_name = roles.CITY_OFFICE
        return label_person(self.display_name, unit_name)

    @property
    def locked_until(self):
        """When the sign-in lock after too many failures ends (app/signin.py), None when not locked."""
        from app import signin

        return signin.locked_until(self)

    @property
    def person_label(self) -> str:
        """The person with the unit the account belongs to now."""
        return self.acting_label(self.unit.name if self.unit is not None else None)


# 单位账号 lists unit accounts (unit_id set) in id order and counts them: a few hundred among 100,000 citizens'.
Index("ix_ab_user_unit_accounts", Account.__table__.c.id, sqlite_where=text("unit_id IS NOT NULL"),
      postgresql_where=text("unit_id IS NOT NULL"))

END_REASONS = ("logout", "idle", "absolute", "password", "roles", "deactivated", "stamp")


class AccountSession(Model):
    """One browser sign-in. The signed cookie holds a random token; the row is keyed by its SHA-256, so the table
    alone cannot be replayed as cookies. Ended rows are kept as the account's sign-in history."""

    __tablename__ = "account_session"
    __table_args__ = (
        CheckConstraint("(ended_at IS NULL) = (end_reason IS NULL)", name="ck_account_session_ended_with_reason"),
        CheckConstraint(
            "end_reason IS NULL OR end_reason IN (" + ", ".join(f"'{r}'" for r in END_REASONS) + ")",
            name="ck_account_session_end_reason",
        ),
        CheckConstraint("last_seen_at >= created_at", name="ck_account_session_seen_after_start"),
    )

    id = Column(String(64), primary_key=True)
    account_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True)
    security_stamp = Column(String(32), nullable=False)
    created_at = Column(DateTime, nullable=False)
    last_seen_at = Column(DateTime, nullable=False)
    ended_at = Column(DateTime)
    end_reason = Column(String(16))
    source_address = Column(String(45))
    user_agent = Column(String(255))

    account = relationship(Account)


@event.listens_for(Account, "before_insert")
def _stamp_created(mapper, connection, account):
    account.created_on = account.changed_on = clock.now()


@event.listens_for(Account, "before_update")
def _stamp_changed(mapper, connection, account):
    state = inspect(account)
    for key in FAB_STAMPS:
        if getattr(account, key) is not None and state.attrs[key].history.has_changes():
            setattr(account, key, clock.now())
