"""Demo data: Beijing's real unit structure (units.yaml), the 第九批 campaign and one account per role."""
from datetime import date
from pathlib import Path

import yaml
from flask import current_app
from werkzeug.security import generate_password_hash

from app import roles, schedule
from app.accounts import placeholder_email
from app.extensions import db
from app.models import Account, Campaign, Unit, UnitCategory

UNITS_FILE = Path(__file__).with_name("units.yaml")
CATEGORY_KEYS = {"区": UnitCategory.DISTRICT, "委办局": UnitCategory.COMMISSION, "高校": UnitCategory.UNIVERSITY,
                 "中等专业学校": UnitCategory.SECONDARY_SCHOOL}

# (username, role, unit path "l1code/l2code" or None)
DEMO_ACCOUNTS = [
    ("city", roles.CITY_OFFICE, None),
    ("auditor", roles.AUDITOR, None),
    ("l1-haidian", roles.L1_CLERK, "haidian"),
    ("l2-haidian-zhongguancun", roles.L2_CLERK, "haidian/zhongguancun"),
    ("l1-chaoyang", roles.L1_CLERK, "chaoyang"),
    ("l2-chaoyang-jianwai", roles.L2_CLERK, "chaoyang/jianwai"),
    *[(f"expert{i}", roles.EXPERT, None) for i in range(1, 7)],
]
DEMO_NAMES = {"city": "市学习办", "auditor": "审计员"}


def is_empty() -> bool:
    return db.session.query(Unit.id).first() is None


def load_units() -> dict[str, Unit]:
    """Create the units of units.yaml; returns them by path ("haidian", "haidian/zhongguancun")."""
    tree = yaml.safe_load(UNITS_FILE.read_text(encoding="utf-8"))
    by_path = {}
    for category_label, first_levels in tree.items():
        category = CATEGORY_KEYS[category_label]
        for spec in first_levels:
            parent = Unit(name=spec["name"], code=spec["code"], category=category.value, level=1)
            db.session.add(parent)
            by_path[spec["code"]] = parent
            for child in spec.get("children", []):
                unit = Unit(name=child["name"], code=child["code"], parent=parent)
                db.session.add(unit)
                by_path[f"{spec['code']}/{child['code']}"] = unit
    return by_path


def load(password: str) -> dict[str, int]:
    sm = current_app.appbuilder.sm
    by_path = load_units()
    year = date.today().year
    campaign = Campaign(name="第九批", year=year, winner_quota=100, featured_quota=10)
    schedule.ensure_windows(campaign)
    db.session.add(campaign)
    hashed = generate_password_hash(password)
    for username, role_name, unit_path in DEMO_ACCOUNTS:
        unit = by_path[unit_path] if unit_path else None
        name = DEMO_NAMES.get(username) or (unit.name if unit else username.replace("expert", "专家"))
        db.session.add(
            Account(
                username=username,
                first_name=name,
                last_name="",
                email=placeholder_email(username),
                active=True,
                password=hashed,
                unit=unit,
                roles=[sm.find_role(role_name)],
            )
        )
    from app.demo.applications import load_applications

    applications = load_applications(campaign, by_path, password)
    return {"units": len(by_path), "campaigns": 1, "accounts": len(DEMO_ACCOUNTS), "applications": applications}
