"""/api/v1/public/: the public notice (公示) and the approved list (名单) as JSON, without sign-in — the same data as
the pages /gongshi and /mingdan (app/publicity.py), for news sites and the city's other portals."""
from flask import request
from flask_appbuilder.api import BaseApi, expose, safe

from app import publicity
from app.api.base import ChineseAnswers


def _campaign_json(campaign) -> dict | None:
    return {"name": campaign.name, "year": campaign.year} if campaign is not None else None


def _period_json(notice: publicity.Notice) -> dict | None:
    period = notice.period
    return {"starts_at": period[0], "ends_at": period[1]} if period else None


class PublicApi(ChineseAnswers, BaseApi):
    """No @protect: everything here is public, and answers only what the public pages show."""

    resource_name = "public"
    openapi_spec_tag = "Public"

    @expose("/gongshi", methods=["GET"])
    @safe
    def gongshi(self):
        """The current campaign's 公示: its state, its period and, while it runs, the candidates.
        ---
        get:
          parameters:
          - in: query
            name: q
            schema: {type: string}
            description: words that name or unit must contain (case ignored)
          responses:
            200:
              description: >-
                state (no_campaign, not_scheduled, before, during, after), period {starts_at, ends_at} in Beijing
                time, count and candidates [{id, name, gender, unit, extract, featured, photo_url}], the featured
                first; objection_url
        """
        notice = publicity.notice_of()
        rows = publicity.candidates(notice, request.args.get("q", "")[:50])
        return self.response(
            200, campaign=_campaign_json(notice.campaign), state=notice.state, period=_period_json(notice),
            approved=notice.approval is not None, count=len(rows), candidates=[row.as_json() for row in rows],
            objection_url="/gongshi/yiyi/",
        )

    @expose("/mingdan", methods=["GET"])
    @safe
    def mingdan(self):
        """The current campaign's approved list of 首都市民学习之星 (until it is approved, the latest approved one's),
        the featured first; empty while no campaign is approved.
        ---
        get:
          responses:
            200:
              description: >-
                published, approval {document_number, decided_on} or null, count and winners
                [{id, name, gender, unit, extract, featured, photo_url}]
        """
        listed = publicity.final_list()
        approval = listed.approval
        return self.response(
            200, campaign=_campaign_json(listed.campaign), published=listed.published,
            approval={"document_number": approval.document_number, "decided_on": approval.decided_on.isoformat()}
            if approval is not None else None,
            count=len(listed.rows), winners=[row.as_json() for row in listed.rows],
        )
