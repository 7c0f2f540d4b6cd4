"""Accounts: FAB's user, extended with the unit a clerk works for and the first-login password change."""
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, false
from sqlalchemy.orm import relationship


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
        return (self.first_name + self.last_name).strip() or self.username
