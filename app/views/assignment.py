"""评审分配 (the city office: panels and loads, 自动分配, the assignments with 改派) and the expert's 声明回避 form.

Thin: every change is app/assignment.py's assign_round / move / decline, as in the REST API."""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_
from sqlalchemy.orm import selectinload

from app import assignment, jobs, rounds, schedule
from app.bounds import row_id
from app.extensions import db
from app.models import Application, Unit
from app.models.review import ASSIGNMENT_LABELS, ReviewAssignment, ReviewRound
from app.workflow import WorkflowError

PAGE_SIZE = 100


class ReviewAssignmentView(BaseView):
    """评审分配: per round of the current campaign."""

    route_base = "/review-assignments"
    default_view = "list"
    class_permission_name = "ReviewAssignment"
    method_permission_name = {"list": "read", "run": "write", "move": "write"}

    def _round(self, stage: str | None) -> tuple[object, str, ReviewRound | None]:
        campaign = schedule.current_campaign()
        stage = stage if stage in assignment.ROUND_STATUSES else None
        if stage is None:  # the round whose window is open, without making its row on a GET
            open_now = [s.value for s in rounds.ROUNDS
                        if campaign is not None and (w := campaign.window(s)) is not None and w.is_open()]
            stage = open_now[0] if open_now else "initial_review"
        found = rounds.round_for(campaign, stage, create=False) if campaign is not None else None
        return campaign, stage, found

    def _page(self, campaign, stage, review_round, result=None, move_errors=None, status=200):
        can_write = self.appbuilder.sm.has_access("can_write", self.class_permission_name)
        context = dict(campaign=campaign, stage=stage, round=review_round, result=result,
                       move_errors=move_errors or {}, can_write=can_write, stages=rounds.ROUNDS,
                       labels=ASSIGNMENT_LABELS, panels=[], loads={}, ranges={}, rows=[], experts=[], missing=0,
                       expert_filter=request.args.get("expert", ""), application_filter=request.args.get("application", ""),
                       status_filter=request.args.get("status", ""), page=1, pages=1, total=0,
                       is_open=False)
        if review_round is not None:
            panels = assignment.round_panels(review_round)
            experts = sorted({m.expert for p in panels for m in p.members}, key=lambda e: e.name)
            query = (
                db.session.query(ReviewAssignment)
                .filter(ReviewAssignment.round_id == review_round.id)
                .join(Application, Application.id == ReviewAssignment.application_id)
                .options(selectinload(ReviewAssignment.application).selectinload(Application.unit)
                         .selectinload(Unit.parent),
                         selectinload(ReviewAssignment.expert))
            )
            if row_id(context["expert_filter"]) is not None:
                query = query.filter(ReviewAssignment.expert_id == row_id(context["expert_filter"]))
            if context["application_filter"].strip():
                needle = f"%{context['application_filter'].strip()}%"
                query = query.filter(or_(Application.name.like(needle), Application.work_unit.like(needle)))
            if context["status_filter"] in {s.value for s in ASSIGNMENT_LABELS}:
                query = query.filter(ReviewAssignment.status == context["status_filter"])
            total = query.count()
            pages = max(1, -(-total // PAGE_SIZE))
            page = min(max(1, request.args.get("page", 1, type=int) or 1), pages)
            rows = (query.order_by(Application.id, ReviewAssignment.id)
                    .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE).all())
            loads = assignment.loads(review_round)
            ranges = {p.id: (min(v), max(v)) for p in panels if (v := [loads.get(m.expert_id, 0) for m in p.members])}
            context.update(panels=panels, loads=loads, ranges=ranges, rows=rows, experts=experts,
                           missing=assignment.missing_count(review_round), page=page, pages=pages, total=total,
                           is_open=rounds.is_open(review_round))
        return self.render_template("review/assignments.html", title=_("评审分配"), **context), status

    @expose("/")
    @has_access
    def list(self):
        # After 自动分配: the result of the user's own job, shown as the run used to show it (422 when impossible).
        job = jobs.find(current_user, request.args.get("job", ""))
        if job is not None and job.kind == assignment.ASSIGN_JOB and job.result:
            result = assignment.result_from_summary(job.result["assignment"])
            return self._page(*self._round(request.args.get("stage")), result=result,
                              status=200 if result.ok else 422)
        return self._page(*self._round(request.args.get("stage")))

    @expose("/run/<int:pk>", methods=["POST"])
    @has_access
    def run(self, pk):
        review_round = db.session.get(ReviewRound, pk)
        if review_round is None:
            abort(404)
        # A background job (app/assignment.assign_round_job): its page, then this list with the result (?job=…).
        job = jobs.start(current_user, assignment.ASSIGN_JOB, _("自动分配（%(stage)s）", stage=review_round.stage_label),
                         {"round_id": pk, "stage": review_round.stage})
        return redirect(url_for("JobView.show", job_id=job.id))

    @expose("/move/<int:pk>", methods=["POST"])
    @has_access
    def move(self, pk):
        row = db.session.get(ReviewAssignment, pk)
        if row is None:
            abort(404)
        stage = row.round.stage
        try:
            assignment.move(current_user, pk, request.form.get("expert_id"))
        except WorkflowError as refused:
            if refused.status == 404:
                abort(404)
            review_round = db.session.get(ReviewRound, row.round_id)
            return self._page(review_round.campaign, stage, review_round,
                              move_errors={pk: (str(refused.errors.get("expert_id") or refused),
                                                request.form.get("expert_id", ""))},
                              status=refused.status)
        flash(_("已改派"), "success")
        return redirect(self._list_url(stage))

    @staticmethod
    def _list_url(stage):
        from flask import url_for

        keep = {k: v for k, v in request.args.items() if k in ("expert", "application", "status", "page") and v}
        return url_for("ReviewAssignmentView.list", stage=stage, **keep)


class ExpertDeclineView(BaseView):
    """声明回避: the expert says they must not review an application assigned to them; it goes to another expert."""

    route_base = "/expert"
    class_permission_name = "ReviewAssignment"
    method_permission_name = {"decline": "decline"}

    @expose("/review/<int:assignment_id>/decline", methods=["GET", "POST"])
    @has_access
    def decline(self, assignment_id):
        expert = assignment._expert_of(current_user)
        row = db.session.get(ReviewAssignment, assignment_id)
        if row is None or expert is None or row.expert_id != expert.id or row.status == assignment.DECLINED:
            abort(404)
        reason, error, status = request.form.get("reason", ""), None, 200
        if request.method == "POST":
            try:
                done = assignment.decline(current_user, assignment_id, reason)
            except WorkflowError as refused:
                error, status = refused.errors.get("reason") or str(refused), refused.status
            else:
                flash(done.message, "success")
                return redirect("/expert/")
        return self.render_template("review/decline.html", title=_("声明回避"), row=row, reason=reason,
                                    error=error, is_open=rounds.is_open(row.round)), status
