"""Grants the city office withdrew in 角色权限: seeding from roles.yaml (`flask deploy`) does not give them back."""
from flask_appbuilder import Model
from sqlalchemy import Column, ForeignKey, Integer


class WithdrawnGrant(Model):
    """One (role, permission-view pair) taken away in the permission editor; removed again when it is re-granted."""

    __tablename__ = "withdrawn_grant"

    role_id = Column(Integer, ForeignKey("ab_role.id", ondelete="CASCADE"), primary_key=True)
    permission_view_id = Column(Integer, ForeignKey("ab_permission_view.id", ondelete="CASCADE"), primary_key=True)
