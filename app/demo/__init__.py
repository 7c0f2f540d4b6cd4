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
    # 三员分立: accounts (用户列表) and roles and permissions (角色权限, 账号授权); 审计员 above audits.
    ("sysadmin", roles.SYSTEM_ADMIN, None),
    ("secadmin", roles.SECURITY_ADMIN, None),
    ("l1-haidian", roles.L1_CLERK, "haidian"),
    ("l2-haidian-zhongguancun", roles.L2_CLERK, "haidian/zhongguancun"),
    ("l1-chaoyang", roles.L1_CLERK, "chaoyang"),
    ("l2-chaoyang-jianwai", roles.L2_CLERK, "chaoyang/jianwai"),
    *[(f"expert{i}", roles.EXPERT, None) for i in range(1, 9)],
]
# The people behind the demo accounts: history, 提交情况 and the printed 推荐表 name them ("中关村街道 · 刘晓燕").
DEMO_NAMES = {"city": "王立群", "auditor": "范志远", "sysadmin": "孙建国", "secadmin": "郑雅琴",
              **{f"expert{i}": name for i, name in enumerate(("蒋文博", "沈佩玲", "韦国栋", "潘雨晴", "杜明远", "曹秀兰",
                                                               "钟立华", "严慧敏"), 1)}}
# Clerks by unit path, the demo accounts' and those the demo applications need (app/demo/applications.py).
CLERK_NAMES = {
    "haidian": "周丽华", "haidian/zhongguancun": "刘晓燕", "haidian/xueyuanlu": "马红梅",
    "haidian/haidianjiedao": "冯建军", "chaoyang": "孙海峰", "chaoyang/jianwai": "陈志刚", "chaoyang/sanlitun": "何静怡",
    "chaoyang/wangjing": "高云峰", "dongcheng": "韩冬梅", "dongcheng/donghuamen": "罗佳琪", "dongcheng/jingshan": "梁建华",
    "xicheng": "唐振宇", "xicheng/jinrongjie": "田雅婷",
}


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
        name = DEMO_NAMES.get(username) or CLERK_NAMES[unit_path]
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
    from app.demo.experts import load_experts

    experts = load_experts(campaign, by_path)
    return {"units": len(by_path), "campaigns": 1, "accounts": len(DEMO_ACCOUNTS), "applications": applications,
            "experts": experts}
