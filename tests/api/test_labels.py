"""The REST API names its columns and titles in Chinese, as the screens do (app/labels.py)."""
import re
from datetime import datetime

from flask_appbuilder.api import ModelRestApi

from app import clock, roles
from app.models import Stage
from tests import factories

CJK = re.compile(r"[\u4e00-\u9fff]")
NOW = datetime(2026, 5, 1, 10, 0)


def not_chinese(labels: dict) -> dict:
    return {key: str(label) for key, label in labels.items() if not CJK.search(str(label))}


def test_every_column_of_every_api_has_a_chinese_label(app):
    apis = [v for v in app.appbuilder.baseviews if isinstance(v, ModelRestApi) and type(v).__module__.startswith("app.api")]
    assert {type(api).__name__ for api in apis} >= {"UnitApi", "CampaignApi", "StageWindowApi", "ApplicationApi"}
    for api in apis:
        columns = {*api.list_columns, *api.show_columns, *api.add_columns, *api.edit_columns, *api.search_columns}
        labels = {column: api.label_columns.get(column, column) for column in columns}
        # FAB also makes up labels for every other column of the model: they must not be English either.
        labels.update(api.label_columns)
        titles = {"list": api.list_title, "show": api.show_title, "add": api.add_title, "edit": api.edit_title}
        assert not_chinese(labels) == {} and not_chinese(titles) == {}, type(api).__name__


def test_info_list_and_show_answer_chinese_labels(app):
    clock.freeze(NOW)
    campaign = factories.campaign(open_stage=Stage.L2_REVIEW, at=NOW)
    _, (street, _) = factories.district_with_streets()
    application = factories.application(unit=street)
    city = factories.api_client(app, factories.account(roles.CITY_OFFICE))
    resources = {"unit": street.id, "campaign": campaign.id, "stage_window": campaign.windows[0].id,
                 "application": application.id}
    for resource, pk in resources.items():
        info = city.get(f"/api/v1/{resource}/_info").json
        fields = {f"{kind}.{field['name']}": field["label"] for kind in ("add_columns", "edit_columns")
                  for field in info.get(kind, [])}
        assert not_chinese(fields) == {}, (resource, fields)
        descriptions = [field["description"] for kind in ("add_columns", "edit_columns") for field in info.get(kind, [])]
        assert not any("Project-Id-Version" in text for text in descriptions), resource  # gettext("") is the header
        assert not_chinese({"add_title": info["add_title"], "edit_title": info["edit_title"]}) == {}, resource
        listed = city.get(f"/api/v1/{resource}/").json
        assert listed["count"] >= 1 and set(listed["label_columns"]) == set(listed["list_columns"]), resource
        assert not_chinese(listed["label_columns"]) == {} and CJK.search(listed["list_title"]), resource
        shown = city.get(f"/api/v1/{resource}/{pk}").json
        assert set(shown["label_columns"]) == set(shown["show_columns"]), resource
        assert not_chinese(shown["label_columns"]) == {} and CJK.search(shown["show_title"]), resource
    listed = city.get("/api/v1/application/").json["label_columns"]
    assert (listed["gender"], listed["submitted_at"], listed["unit_id"]) == ("性别", "提交时间", "推荐单位编号")
