"""Accounts: FAB's user, extended with the unit a clerk works for and the first-login password change."""
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, event, false, inspect
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


@event.listens_for(Account, "before_insert")
def _stamp_created(mapper, connection, account):
    account.created_on = account.changed_on = clock.now()


@event.listens_for(Account, "before_update")
def _stamp_changed(mapper, connection, account):
    state = inspect(account)
    for key in FAB_STAMPS:
        if getattr(account, key) is not None and state.attrs[key].history.has_changes():
            setattr(account, key, clock.now())
