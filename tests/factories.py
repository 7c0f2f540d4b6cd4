"""Factories: build what a test needs in one call, committed, with sensible defaults."""
import itertools
from datetime import datetime

from werkzeug.security import generate_password_hash

from app import roles, schedule
from app.accounts import placeholder_email
from app.extensions import db
from app.models import Account, Campaign, Unit, UnitCategory

PASSWORD = "Test@1234"
_counter = itertools.count(1)


def unit(name=None, parent=None, category=UnitCategory.DISTRICT, **fields) -> Unit:
    n = next(_counter)
    if parent is not None:
        item = Unit(name=name or f"街道{n}", parent=parent, **fields)
    else:
        item = Unit(name=name or f"区{n}", category=UnitCategory(category).value, level=1, **fields)
    db.session.add(item)
    db.session.commit()
    return item


def account(role=roles.CITY_OFFICE, unit=None, username=None, password=PASSWORD, **fields) -> Account:
    from flask import current_app

    username = username or f"user{next(_counter)}"
    item = Account(
        username=username,
        first_name=fields.pop("first_name", username),
        last_name="",
        email=placeholder_email(username),
        active=True,
        password=generate_password_hash(password),
        unit=unit,
        roles=[current_app.appbuilder.sm.find_role(role)],
        **fields,
    )
    db.session.add(item)
    db.session.commit()
    return item


def campaign(year=2026, name=None, open_stage=None, at: datetime | None = None) -> Campaign:
    item = Campaign(name=name or f"第{next(_counter)}批", year=year)
    schedule.ensure_windows(item)
    if open_stage is not None:
        schedule.open_stage(item, open_stage, at=at)
    db.session.add(item)
    db.session.commit()
    return item


def district_with_streets(name="海淀区", streets=("中关村街道", "学院路街道")):
    parent = unit(name=name)
    children = [unit(name=s, parent=parent) for s in streets]
    return parent, children


def login(client, user_or_name, password=PASSWORD):
    username = getattr(user_or_name, "username", user_or_name)
    response = client.post("/login/", data={"username": username, "password": password})
    assert response.status_code == 302, f"login of {username} failed"
    return client
