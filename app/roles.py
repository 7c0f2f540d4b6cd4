"""The portal's roles, and seeding them with their permissions from roles.yaml.

They are ordinary database roles (not FAB_ROLES, which FAB shows read-only), so the city office can adjust them
in 用户权限 → 角色权限 (app/permissions.py). Seeding adds what the file lists, never removes what the city office
added, and does not give back what the city office took away there.
"""
from pathlib import Path

import yaml

CITY_OFFICE = "市学习办"
L1_CLERK = "一级单位"
L2_CLERK = "二级单位"
EXPERT = "专家"
APPLICANT = "申报人"
# 审计员 is the audit administrator of 三员分立 (审计管理员): reads, filters and exports the audit log, changes nothing.
AUDITOR = "审计员"
SYSTEM_ADMIN = "系统管理员"
SECURITY_ADMIN = "安全管理员"
# FAB's role with every permission: never granted on a screen, only by `flask accounts grant-admin`.
ADMIN = "Admin"

# The roles whose permissions the editor (角色权限) changes.
ALL_ROLES = (CITY_OFFICE, L1_CLERK, L2_CLERK, EXPERT, APPLICANT, AUDITOR)
# 三员分立 (R-OPS-10): system, security and audit administration. Their permissions come from roles.yaml only,
# and they are granted only on the command line (app/duties.py), like Admin.
ADMINISTRATOR_ROLES = (SYSTEM_ADMIN, SECURITY_ADMIN, AUDITOR)
SEEDED_ROLES = ALL_ROLES + (SYSTEM_ADMIN, SECURITY_ADMIN)
PRIVILEGED_ROLES = ADMINISTRATOR_ROLES + (ADMIN,)
ROLES_FILE = Path(__file__).with_name("roles.yaml")


def load_roles_file(path: Path = ROLES_FILE) -> dict[str, list[tuple[str, str]]]:
    """role name -> [(permission, view or menu)]; a role may include another one's list with `include`."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    resolved: dict[str, list[tuple[str, str]]] = {}

    def resolve(name: str) -> list[tuple[str, str]]:
        if name not in resolved:
            spec = raw[name] or {}
            pairs = []
            for included in spec.get("include", []):
                pairs.extend(resolve(included))
            for view, permissions in (spec.get("permissions") or {}).items():
                pairs.extend((permission, view) for permission in permissions)
            resolved[name] = list(dict.fromkeys(pairs))
        return resolved[name]

    return {name: resolve(name) for name in raw if name in SEEDED_ROLES}


def sync_roles(security_manager, path: Path = ROLES_FILE) -> dict[str, int]:
    """Create the roles and grant their permissions, except those the city office withdrew in the editor;
    idempotent. Returns the number of grants added per role."""
    from app.permissions import withdrawn_pairs

    added = {}
    for role_name, pairs in load_roles_file(path).items():
        role = security_manager.find_role(role_name) or security_manager.add_role(role_name)
        have = {(pv.permission.name, pv.view_menu.name) for pv in role.permissions} | withdrawn_pairs(role)
        count = 0
        for permission, view in pairs:
            if (permission, view) in have:
                continue
            pv = security_manager.add_permission_view_menu(permission, view)
            security_manager.add_permission_role(role, pv)
            count += 1
        added[role_name] = count
    return added
