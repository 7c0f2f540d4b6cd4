"""专家评审 → 评审进度: the city office follows a round of the current campaign (初审 / 复审): its window, each
expert's done/assigned, the missing reviews; reminds experts (提醒, 全部提醒), closes the round (结束本轮) and
exports the score sheets. The auditor reads the page and, once the round is closed, the sheets.

Everything it does is app/rounds.py's (close, progress, missing, remind) and app/score_sheets.py's; the view only
collects the form and shows results.
"""

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from app import assignment, audit, clock, export_jobs, jobs, rounds, schedule, score_sheets, scoping
from app.bounds import row_id
from app.extensions import db
from app.models import Expert, ExpertPanelMember, ReviewAssignment, ReviewRound
from app.views.jobs import start_or_offer
from app.workflow import WorkflowError


EXPERTS_PAGE = 200
MISSING_SHOWN = 200


def may_export(user, review_round: ReviewRound) -> bool:
    """The city office at any time (an open round's sheet says so), the auditor once the round is closed."""
    return scoping.is_city_office(user) or (review_round.is_closed and scoping.sees_everything(user))


def _scoped_round(round_id: int) -> ReviewRound:
    found = (
        db.session.query(ReviewRound)
        .filter(ReviewRound.id == round_id, scoping.review_round_clause(current_user))
        .one_or_none()
    )
    if found is None:
        abort(404)
    return found


def _expert_of(review_round: ReviewRound, expert_id: int) -> Expert:
    """An expert of the round (a panel member or one with reviews in it), else 404."""
    expert = db.session.get(Expert, expert_id)
    in_round = expert is not None and (
        db.session.query(ExpertPanelMember.id).filter_by(round_id=review_round.id, expert_id=expert_id).first()
        or db.session.query(ReviewAssignment.id).filter_by(round_id=review_round.id, expert_id=expert_id).first()
    )
    if not in_round:
        abort(404)
    return expert


class ReviewProgressView(BaseView):
    route_base = "/review-progress"
    default_view = "show"
    class_permission_name = "ReviewProgress"
    method_permission_name = {
        "show": "read",
        "show_round": "read",
        "export_round": "read",
        "export_expert": "read",
        "close": "write",
        "remind": "write",
    }

    @expose("/")
    @has_access
    def show(self):
        """The current campaign's round of ?stage= (else the one open now, else 初审)."""
        campaign = schedule.current_campaign()
        stage = request.args.get("stage", "")
        if stage and stage not in {s.value for s in rounds.ROUNDS}:
            abort(404)
        review_round = None
        if campaign is not None:
            if not stage:
                now = clock.now()
                stage = next((s.value for s in rounds.ROUNDS if (w := campaign.window(s)) and w.is_open(now)),
                             rounds.ROUNDS[0].value)
            review_round = self._round_of(campaign, stage)
        return self._render(campaign, stage or rounds.ROUNDS[0].value, review_round)

    @staticmethod
    def _round_of(campaign, stage):
        """The campaign's round of this stage. The city office's first visit makes it (with the notice's rubric,
        as 评审设置 would); the auditor only reads. Two first visits at once: the second reads the first's row."""
        create = scoping.is_city_office(current_user)
        try:
            review_round = rounds.round_for(campaign, stage, create=create)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            review_round = rounds.round_for(campaign, stage, create=False)
        return review_round

    @expose("/<int:round_id>")
    @has_access
    def show_round(self, round_id):
        review_round = _scoped_round(round_id)
        return self._render(review_round.campaign, review_round.stage, review_round)

    def _render(self, campaign, stage, review_round):
        # 4,000 experts and tens of thousands of open reviews at 100,000 applications: the page lists a page of
        # experts and the first MISSING_SHOWN open reviews; the totals are the whole round's.
        number = max(row_id(request.args.get("page")) or 1, 1)
        rows, whole = rounds.progress_page(review_round, (number - 1) * EXPERTS_PAGE, EXPERTS_PAGE) \
            if review_round is not None else ([], rounds.Totals())
        pages = max(1, -(-whole.experts // EXPERTS_PAGE))
        if number > pages:
            number = pages
            rows, whole = rounds.progress_page(review_round, (number - 1) * EXPERTS_PAGE, EXPERTS_PAGE)
        window = campaign.window(stage) if campaign is not None else None
        now = clock.now()
        return self.render_template(
            "review_progress/progress.html",
            title=_("评审进度"),
            campaign=campaign,
            stage=stage,
            stages=[(s.value, s.label) for s in rounds.ROUNDS],
            review_round=review_round,
            window=window,
            window_status=window.status(now) if window is not None else None,
            window_open=window is not None and window.is_open(now),
            time_left=rounds.duration_text(rounds.time_left(review_round, now)) if review_round is not None else "",
            rows=rows,
            page=number,
            pages=pages,
            totals=whole,
            missing=rounds.missing(review_round, MISSING_SHOWN) if review_round is not None else [],
            missing_shown=MISSING_SHOWN,
            may_manage=scoping.is_city_office(current_user),
            may_export=review_round is not None and may_export(current_user, review_round),
            window_ended=review_round is not None and rounds.window_ended(review_round, now),
            # Applications with fewer non-declined experts than the round asks (an expert declined and nobody of
            # the panel could take over): the office fixes them in 评审分配, which this page links to. Not once the
            # round is closed: nothing can be assigned any more (and the count reads every review of the round).
            short_of_experts=assignment.missing_count(review_round)
            if review_round is not None and not review_round.is_closed else 0,
            may_assign=self.appbuilder.sm.has_access("can_read", "ReviewAssignment"),
        )

    def _back(self, review_round):
        return redirect(url_for(".show", stage=review_round.stage)
                        if review_round.campaign_id == getattr(schedule.current_campaign(), "id", None)
                        else url_for(".show_round", round_id=review_round.id))

    @expose("/<int:round_id>/close", methods=["POST"])
    @has_access
    def close(self, round_id):
        review_round = _scoped_round(round_id)
        try:
            rounds.close(current_user, review_round.id)
        except WorkflowError as refused:
            flash(str(refused), "danger")
        else:
            flash(_("「%(round)s」已结束：评分为最终结果，专家现在可以看到其他专家的评分。", round=review_round.stage_label),
                  "success")
            db.session.refresh(review_round)
            if not review_round.ranking_final:
                flash(_("最终排名正在后台计算，完成后可在「评审排名」查看和按排名选择。"), "info")
        return self._back(review_round)

    @expose("/<int:round_id>/remind", methods=["POST"])
    @has_access
    def remind(self, round_id):
        """提醒 one expert (expert_id in the form) or 全部提醒 (none)."""
        review_round = _scoped_round(round_id)
        raw = request.form.getlist("expert_id")
        if any(not value.isdigit() for value in raw):
            abort(400)
        try:
            n = rounds.remind(current_user, review_round.id, [int(v) for v in raw] if raw else None)
        except WorkflowError as refused:
            flash(str(refused), "danger")
        else:
            if n:
                flash(_("已向 %(n)s 位专家发送站内提醒。", n=n), "success")
            else:
                flash(_("没有需要提醒的专家：所选专家的评审都已提交。"), "info")
        return self._back(review_round)

    # --- score sheets ----------------------------------------------------------------------------------------

    @expose("/<int:round_id>/scores.xlsx", methods=["GET", "POST"])
    @has_access
    def export_round(self, round_id):
        return self._export(_scoped_round(round_id), None)

    @expose("/<int:round_id>/experts/<int:expert_id>/scores.xlsx", methods=["GET", "POST"])
    @has_access
    def export_expert(self, round_id, expert_id):
        review_round = _scoped_round(round_id)
        return self._export(review_round, _expert_of(review_round, expert_id))

    def _export(self, review_round, expert):
        if not may_export(current_user, review_round):
            flash(_("「%(round)s」尚未结束：结束后才能导出评分表。", round=review_round.stage_label), "warning")
            return self._back(review_round)
        # A background job (score_sheet_workbook below), started by a POST.
        title = _("导出评分表（%(round)s）", round=review_round.stage_label) if expert is None else \
            _("导出评分表（%(round)s，%(expert)s）", round=review_round.stage_label, expert=expert.name)
        return start_or_offer(self, SCORE_SHEET_EXPORT, title,
                              {"round_id": review_round.id, "expert_id": expert.id if expert is not None else None})


SCORE_SHEET_EXPORT = "export.score_sheet"


@export_jobs.workbook(SCORE_SHEET_EXPORT)
def score_sheet_workbook(work):
    review_round = _scoped_round(work.params["round_id"])
    expert_id = work.params.get("expert_id")
    expert = _expert_of(review_round, expert_id) if expert_id is not None else None
    if not may_export(work.owner, review_round):
        raise jobs.JobFailed(_("「%(round)s」尚未结束：结束后才能导出评分表。", round=review_round.stage_label))
    out, n, _size = score_sheets.spooled_score_sheet(review_round, expert)
    audit.record("export.score_sheet", "review_round", review_round.id, repr(review_round), rows=n,
                 expert=expert.id if expert is not None else None, round_closed=review_round.is_closed)
    db.session.commit()
    today = work.job.created_at.date()
    return (out, score_sheets.file_name(review_round, expert, today),
            score_sheets.ascii_file_name(review_round, expert, today))
