"""评审排名 and 拟评选名单: the city office reads each round's ranking (app/ranking.py) and picks from it — 入围复审 from
初审 (selected, or the top K), 拟评选 and 重点宣传 from 复审 — through app/workflow.py's transitions; the auditor reads.
Both pages export Excel through app/exports.py."""
from urllib.parse import quote

from flask import abort, flash, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_login import current_user

from app import audit, export_jobs, exports, jobs, ranking, rounds, schedule, workflow
from app.bounds import row_id
from app.extensions import db
from app.models import Application, Campaign, Stage
from app.views.jobs import start_or_offer


def chosen_order() -> str:
    order = request.values.get("order", "mean")
    return order if order in ranking.ORDERS else "mean"


RANKING_PAGE = 100  # rows of a ranking page: FAB's lists show 25; each row here is a pick's checkbox


def round_title(stage: str) -> str:
    return _("初审排名") if stage == Stage.INITIAL_REVIEW.value else _("复审排名")


def chosen_campaign():
    """?campaign=<id>, else the current campaign; 404 for an unknown id."""
    raw = request.values.get("campaign", "")
    if raw:
        campaign = db.session.get(Campaign, int(raw)) if raw.isdigit() else None
        if campaign is None:
            abort(404)
        return campaign
    return schedule.current_campaign()


def chosen_stage() -> str:
    stage = request.values.get("stage", Stage.INITIAL_REVIEW.value)
    if stage not in workflow.PICKS:
        abort(404)
    return stage


def pick_summary(action: str, done: list, refused: dict, names: dict) -> tuple[str, str]:
    """One flash for a pick over several rows: what was done, then every row not done with its reason."""
    parts = []
    if done:
        parts.append(_("%(done)s %(n)s 份", done=workflow.PICK_DONE_LABELS[action], n=len(done)))
    if refused:
        reasons = "；".join(f"{names.get(i) or i}：{message}" for i, message in refused.items())
        parts.append(_("%(n)s 份未处理——%(rows)s", n=len(refused), rows=reasons))
    category = "danger" if not done else "warning" if refused else "success"
    return "。".join(parts), category


def send_workbook(out, size: int, name: str, ascii_name: str):
    response = send_file(out, mimetype=exports.XLSX_MIMETYPE, as_attachment=True, download_name=name, max_age=0)
    response.headers.set("Content-Disposition", "attachment", filename=ascii_name,
                         **{"filename*": "UTF-8''" + quote(name, safe="!#$&+-.^_`|~")})
    response.content_length = size
    response.headers["Cache-Control"] = "private, no-store"
    return response


class RankingView(BaseView):
    """评审排名 of one round (?stage=initial_review|final_review, ?order=mean|z, ?campaign=<id>)."""

    route_base = "/ranking"
    default_view = "list"
    class_permission_name = "Ranking"
    method_permission_name = {"list": "read", "export": "read", "pick": "write", "top": "write", "pick_top": "write",
                              "refresh": "write"}

    def _page(self, stage, order, campaign, *, selected=(), opinion="", errors=None, refused=None, k="",
              action="", top_n=None):
        review_round = rounds.round_for(campaign, stage, create=False) if campaign is not None else None
        # A round may hold 100,000 applications: the page reads RANKING_PAGE of them (the picks of 按排名选前 N 名
        # still work on the whole ranking). A page past the last shows the last.
        page = max(row_id(request.values.get("page")) or 1, 1)
        # Where the figures come from (app/ranking.py): stored, computed now (a small round), or not ready yet.
        how = ranking.source_of(review_round) if review_round else ranking.LIVE
        rows, ranked_total = ranking.page(review_round, order, page, RANKING_PAGE, how) if review_round else ([], 0)
        pages = max(1, -(-ranked_total // RANKING_PAGE))
        if page > pages:
            page = pages
            rows, ranked_total = ranking.page(review_round, order, page, RANKING_PAGE, how) \
                if review_round else ([], 0)
        job = review_round.ranking_job if review_round is not None else None
        counts = workflow.pick_counts(campaign.id) if campaign is not None else {"candidates": 0, "featured": 0}
        may_pick = self.appbuilder.sm.has_access("can_write", self.class_permission_name)
        # 按排名选前 N 名: what N starts as (the places the quota has left), or what was typed.
        top_defaults = {a: workflow.places_left(campaign, a) for a in workflow.TOP_PICKS} if campaign else {}
        top_defaults.update(top_n or {})
        return self.render_template(
            "ranking/ranking.html",
            title=round_title(stage),
            stage=stage,
            order=order,
            campaign=campaign,
            campaigns=db.session.query(Campaign).order_by(Campaign.year.desc(), Campaign.id.desc()).all(),
            review_round=review_round,
            rows=rows,
            ranked_total=ranked_total,
            page=page,
            pages=pages,
            counts=counts,
            actions=[(a, workflow.TRANSITIONS[a].label) for a in workflow.PICKS[stage]],
            may_pick=may_pick,
            selected={int(i) for i in selected},
            opinion=opinion,
            errors=errors or {},
            refused=refused or {},
            k=k,
            action=action,
            disagreement=ranking.DISAGREEMENT,
            # Translated once for the page (the template fills in each row's name): not a gettext per row.
            row_labels=(_("选择 %(name)s"), _("查看 %(name)s 的各位专家评分"), _("并列"), _("无评分"), _("分歧")),
            round_titles={s: round_title(s) for s in workflow.PICKS},
            top_defaults=top_defaults,
            top_labels={"candidate": _("按排名选前 N 名为拟评选"), "feature": _("按排名选前 N 名重点宣传")},
            how=how,
            ranking_job=job if job is not None and ranking.job_running(review_round) else None,
            ranking_job_failed=job is not None and job.state == "failed",
            ranking_job_mine=job is not None and job.owner_id == current_user.id,
            may_refresh=may_pick and how in (ranking.SNAPSHOT, ranking.NOT_YET, ranking.COMPUTING),
        )

    def _order(self) -> str:
        return chosen_order()

    @expose("/")
    @has_access
    def list(self):
        return self._page(chosen_stage(), self._order(), chosen_campaign())

    @expose("/pick", methods=["POST"])
    @has_access
    def pick(self):
        """The chosen pick on the ticked rows, with the reason when the pick departs from the ranking."""
        stage, order, campaign = chosen_stage(), self._order(), chosen_campaign()
        if campaign is None:
            abort(404)
        action = request.form.get("action", "")
        if action not in workflow.PICKS[stage]:
            abort(400)
        raw_ids = request.form.getlist("ids")
        if not all(i.isdigit() for i in raw_ids):
            abort(400)
        ids = [int(i) for i in raw_ids]
        opinion = request.form.get("opinion", "")
        if not ids:
            flash(_("请先勾选要办理的报名"), "warning")
            return self._page(stage, order, campaign, opinion=opinion, action=action)
        if not opinion.strip():
            why = workflow.pick_opinion_needed(ids, action)
            if why:
                return self._page(stage, order, campaign, selected=ids, opinion=opinion, action=action,
                                  errors={"opinion": why})
        names = dict(db.session.query(Application.id, Application.name)
                     .filter(Application.id.in_(ids)).all())
        done, refused = workflow.pick_many(current_user, ids, action, opinion)
        message, category = pick_summary(action, done, refused, names)
        flash(message, category)
        if refused:
            return self._page(stage, order, campaign, selected=list(refused), opinion=opinion, action=action,
                              refused=refused)
        return redirect(url_for(".list", stage=stage, order=order, campaign=campaign.id))

    @expose("/top", methods=["POST"])
    @has_access
    def top(self):
        """前 K 名入围: the top K of the 初审 ranking into 复审, ties at the boundary included."""
        campaign, k = chosen_campaign(), request.form.get("k", "")
        if campaign is None:
            abort(404)
        stage, order = Stage.INITIAL_REVIEW.value, self._order()
        review_round = rounds.round_for(campaign, stage, create=False) if campaign is not None else None
        try:
            result = workflow.shortlist_top(current_user, review_round.id if review_round else "", k)
        except workflow.WorkflowError as refused:
            errors = refused.errors or {"k": str(refused)}
            return self._page(stage, order, campaign, k=k, errors=errors)
        parts = [_("前 %(k)s 名共 %(n)s 人：新入围复审 %(d)s 人", k=result.k, n=len(result.chosen), d=len(result.done))]
        if result.already:
            parts.append(_("%(n)s 人此前已入围", n=result.already))
        if result.tied_extra:
            parts.append(_("第 %(k)s 名有并列，并列者一并入围（多 %(n)s 人）", k=result.k, n=result.tied_extra))
        names = {row.application.id: row.application.name for row in result.chosen}
        if result.refused:
            parts.append(_("%(n)s 份未处理——%(rows)s", n=len(result.refused),
                           rows="；".join(f"{names.get(i)}：{m}" for i, m in result.refused.items())))
        flash("；".join(parts), "warning" if result.refused or result.tied_extra else "success")
        if result.refused:
            return self._page(stage, order, campaign, refused=result.refused, k=k)
        return redirect(url_for(".list", stage=stage, order=order, campaign=campaign.id))

    @expose("/pick-top", methods=["POST"])
    @has_access
    def pick_top(self):
        """按排名选前 N 名为拟评选 / 重点宣传 from the 复审 ranking; ties at the boundary left to the office, ticked."""
        campaign, action, n = chosen_campaign(), request.form.get("action", ""), request.form.get("n", "")
        if campaign is None:
            abort(404)
        if action not in workflow.TOP_PICKS:
            abort(400)
        stage, order = Stage.FINAL_REVIEW.value, self._order()
        review_round = rounds.round_for(campaign, stage, create=False)
        try:
            result = workflow.pick_top(current_user, review_round.id if review_round else "", action, n)
        except workflow.WorkflowError as refused:
            message = (refused.errors or {}).get("n") or str(refused)
            return self._page(stage, order, campaign, errors={f"top_{action}": message}, top_n={action: n})
        parts = [_("按复审排名前 %(n)s 名：%(done)s %(d)s 人", n=result.n, done=workflow.PICK_DONE_LABELS[action],
                   d=len(result.done))]
        if result.refused:
            names = dict(db.session.query(Application.id, Application.name)
                         .filter(Application.id.in_(list(result.refused))).all())
            parts.append(_("%(n)s 份未处理——%(rows)s", n=len(result.refused),
                           rows="；".join(f"{names.get(i) or i}：{m}" for i, m in result.refused.items())))
        if result.tied:
            parts.append(result.tie_message)
        flash("；".join(parts), "warning" if result.refused or result.tied else "success")
        if result.tied or result.refused:
            # The tied rows ticked, so that the office picks among them at the 理由 field below the table.
            return self._page(stage, order, campaign, selected=[r.application.id for r in result.tied],
                              refused=result.refused, action=action)
        return redirect(url_for(".list", stage=stage, order=order, campaign=campaign.id))

    @expose("/refresh", methods=["POST"])
    @has_access
    def refresh(self):
        """刷新排名: a job computes the round's figures; its page shows the progress, then comes back here."""
        stage, order, campaign = chosen_stage(), self._order(), chosen_campaign()
        review_round = rounds.round_for(campaign, stage, create=False) if campaign is not None else None
        if review_round is None:
            abort(404)
        back = redirect(url_for(".list", stage=stage, order=order, campaign=campaign.id))
        try:
            job = rounds.refresh_ranking(current_user, review_round.id)
        except workflow.WorkflowError as refused:
            flash(str(refused), "warning")
            return back
        if job.owner_id != current_user.id:
            flash(_("排名正在计算中（由其他账号发起），请稍后刷新本页"), "info")
            return back
        return redirect(url_for("JobView.show", job_id=job.id))

    @expose("/export.xlsx", methods=["GET", "POST"])
    @has_access
    def export(self):
        """The round's ranking as Excel: rank, mean, normalised score, spread and every expert's total. A
        background job (ranking_workbook below, in the stand-in request with this query string), started by a POST."""
        stage, campaign = chosen_stage(), chosen_campaign()
        if campaign is None or rounds.round_for(campaign, stage, create=False) is None:
            abort(404)
        return start_or_offer(self, RANKING_EXPORT, _("导出%(title)s（%(campaign)s）", title=round_title(stage),
                                                       campaign=campaign.name))


class CandidateView(BaseView):
    """拟评选名单: the candidates, featured first, with the reasons recorded for each pick."""

    route_base = "/candidates"
    default_view = "list"
    class_permission_name = "Ranking"
    method_permission_name = {"list": "read", "export": "read"}

    @expose("/")
    @has_access
    def list(self):
        campaign = chosen_campaign()
        rows = ranking.candidates(campaign) if campaign is not None else []
        counts = workflow.pick_counts(campaign.id) if campaign is not None else {"candidates": 0, "featured": 0}
        return self.render_template(
            "ranking/candidates.html", title=_("拟评选名单"), campaign=campaign, rows=rows, counts=counts,
            campaigns=db.session.query(Campaign).order_by(Campaign.year.desc(), Campaign.id.desc()).all(),
        )

    @expose("/export.xlsx", methods=["GET", "POST"])
    @has_access
    def export(self):
        """拟评选名单 as Excel: a background job (candidates_workbook below), started by a POST."""
        campaign = chosen_campaign()
        if campaign is None:
            abort(404)
        return start_or_offer(self, CANDIDATES_EXPORT, _("导出拟评选名单（%(campaign)s）", campaign=campaign.name))


# --- the exports as background jobs (app/export_jobs.workbook): the view's query string, the owner as current_user --

RANKING_EXPORT = "export.ranking"
CANDIDATES_EXPORT = "export.candidates"


@export_jobs.workbook(RANKING_EXPORT)
def ranking_workbook(work):
    stage, order, campaign = chosen_stage(), chosen_order(), chosen_campaign()
    review_round = rounds.round_for(campaign, stage, create=False) if campaign is not None else None
    if review_round is None:
        raise jobs.JobFailed(_("该轮评审已不存在。"))
    rows = ranking.rank(review_round, order, background=True)  # stored figures if final, else computed here
    heads, cells = exports.ranking_sheet(review_round, rows, ranking.experts_of(rows))
    out, n, _size = exports.spooled_table(round_title(stage), heads, cells)
    audit.record("export.ranking", "review_round", review_round.id, repr(review_round), rows=n, order=order)
    db.session.commit()
    today = work.job.created_at.date()
    name = exports.xlsx_name(round_title(stage), campaign.name, today.strftime("%Y-%m-%d"))
    return out, name, f"ranking-{stage}-{today:%Y-%m-%d}.xlsx"


@export_jobs.workbook(CANDIDATES_EXPORT)
def candidates_workbook(work):
    campaign = chosen_campaign()
    if campaign is None:
        raise jobs.JobFailed(_("所选评选批次已不存在。"))
    heads, cells = exports.candidate_sheet(ranking.candidates(campaign))
    out, n, _size = exports.spooled_table(_("拟评选名单"), heads, cells)
    audit.record("export.candidates", "campaign", campaign.id, campaign.name, rows=n)
    db.session.commit()
    today = work.job.created_at.date()
    name = exports.xlsx_name(_("拟评选名单"), campaign.name, today.strftime("%Y-%m-%d"))
    return out, name, f"candidates-{today:%Y-%m-%d}.xlsx"
