"""专家评审, the expert's side: the to-do list (我的评审, first after sign-in) and one application per page with the
rubric beside it; and the city office's 评审记录 with 重新打开. What happens lives in app/scoring.py."""
from decimal import Decimal

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import false
from sqlalchemy.orm import selectinload

from app import schedule, scoping, scoring
from app.bounds import row_id
from app.extensions import db
from app.models import Application, Expert, ReviewAssignment, ReviewRound, Unit
from app.models.review import ASSIGNMENT_LABELS, AssignmentStatus
from app.workflow import WorkflowError

NEXT_ACTIONS = {"save": (False, False), "submit": (True, False), "save_next": (False, True),
                "submit_next": (True, True)}
RECORDS_PER_PAGE = 200


def _mean(values) -> Decimal | None:
    values = [v for v in values if v is not None]
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01"))


class ExpertReviewView(BaseView):
    route_base = "/expert"
    default_view = "todo"
    class_permission_name = "MyReview"
    method_permission_name = {"todo": "read", "review": "read", "save": "write", "mark_read": "write"}

    @expose("/")
    @has_access
    def todo(self):
        campaign = schedule.current_campaign()
        summary = scoring.todo(current_user, campaign, row_id(request.args.get("round")))
        return self.render_template(
            "expert/todo.html", todo=summary, campaign=campaign, time_left=summary.time_left(),
            my_rounds=scoring.my_rounds(current_user, campaign),
            messages=scoring.unread_messages(current_user),
        )

    @expose("/inbox/<int:message_id>/read", methods=["POST"])
    @has_access
    def mark_read(self, message_id):
        if not scoring.mark_read(current_user, message_id):
            abort(404)
        return redirect(url_for(".todo"))

    def _own(self, assignment_id) -> ReviewAssignment:
        assignment = db.session.get(ReviewAssignment, assignment_id)
        if not scoping.is_own_assignment(current_user, assignment):
            abort(404)
        return assignment

    def _page(self, assignment: ReviewAssignment, form=None, errors=None, status=200):
        review_round = assignment.round
        own = scoring.scores_of(assignment)
        if form is not None:
            entered = {c.id: form.get(scoring.score_field(c.id), "") for c in review_round.criteria}
            comment = form.get("comment", "")
        else:
            entered = {c.id: ("" if own.get(c.id) is None else _plain(own[c.id])) for c in review_round.criteria}
            comment = assignment.comment or ""
        others = scoring.other_reviews(current_user, assignment)
        after = scoring.next_unfinished(current_user, review_round.id, after_id=assignment.id)
        return self.render_template(
            "expert/review.html",
            assignment=assignment,
            round=review_round,
            m=scoring.materials(assignment),
            criteria=review_round.criteria,
            entered=entered,
            comment=comment,
            errors=errors or {},
            editable=scoring.allowed(current_user, assignment, "save"),
            window_message=scoring.window_message(review_round),
            own_scores=own,
            others=others,
            others_visible=scoring.others_visible(current_user, assignment),
            mean=_mean([assignment.total] + [o.total for o in others]) if assignment.total is not None else None,
            next_assignment=after,
            score_field=scoring.score_field,
            plain=_plain,
        ), status

    @expose("/review/<int:assignment_id>", methods=["GET"])
    @has_access
    def review(self, assignment_id):
        return self._page(self._own(assignment_id))

    @expose("/review/<int:assignment_id>", methods=["POST"])
    @has_access
    def save(self, assignment_id):
        assignment = self._own(assignment_id)
        submit, go_next = NEXT_ACTIONS.get(request.form.get("action", "save"), (False, False))
        review_round = assignment.round
        scores = {c.id: request.form.get(scoring.score_field(c.id), "") for c in review_round.criteria}
        try:
            scoring.save(current_user, assignment.id, scores, request.form.get("comment", ""), submit=submit)
        except WorkflowError as refused:
            flash(str(refused), "danger")
            db.session.expire_all()
            return self._page(self._own(assignment_id), form=request.form, errors=refused.errors,
                              status=refused.status)
        flash(_("已提交，谢谢您的评审") if submit else _("已暂存"), "success")
        if go_next:
            following = scoring.next_unfinished(current_user, review_round.id, after_id=assignment_id)
            if following is None:
                flash(_("本轮分配给您的评审已全部处理。"), "info")
                return redirect(url_for(".todo"))
            return redirect(url_for(".review", assignment_id=following.id))
        if submit:
            return redirect(url_for(".todo"))
        return redirect(url_for(".review", assignment_id=assignment_id))


def _plain(value) -> str:
    """8.0 -> "8", 8.5 -> "8.5": a score as the expert typed it."""
    if value is None:
        return ""
    text = format(Decimal(value).normalize(), "f")
    return text


class ReviewRecordView(BaseView):
    """评审记录: every review of the current campaign, by round, expert and status, with scores and totals; the city
    office reopens a submitted one from here."""

    route_base = "/review-records"
    default_view = "list"
    class_permission_name = "ReviewRecord"
    method_permission_name = {"list": "read", "reopen": "reopen"}

    @expose("/")
    @has_access
    def list(self):
        campaign = schedule.current_campaign()
        query = db.session.query(ReviewAssignment).filter(scoping.assignment_clause(current_user))
        rounds_ = []
        experts = []
        if campaign is not None:
            query = query.filter(ReviewAssignment.campaign_id == campaign.id)
            rounds_ = db.session.query(ReviewRound).filter_by(campaign_id=campaign.id).order_by(ReviewRound.id).all()
            experts = (
                db.session.query(Expert)
                .filter(Expert.id.in_(query.with_entities(ReviewAssignment.expert_id)))
                .order_by(Expert.id)
                .all()
            )
        else:
            query = query.filter(false())
        chosen = {key: request.args.get(key, "") for key in ("round", "expert", "status", "application")}
        # ?application=: one application's reviews, as the ranking's 评审数 links to them.
        application = None
        if row_id(chosen["application"]) is not None:
            query = query.filter(ReviewAssignment.application_id == row_id(chosen["application"]))
            application = db.session.query(Application).filter(
                Application.id == row_id(chosen["application"]), scoping.application_clause(current_user)).one_or_none()
        else:
            chosen["application"] = ""
        if row_id(chosen["round"]) is not None:
            query = query.filter(ReviewAssignment.round_id == row_id(chosen["round"]))
        if row_id(chosen["expert"]) is not None:
            query = query.filter(ReviewAssignment.expert_id == row_id(chosen["expert"]))
        if chosen["status"] in {s.value for s in AssignmentStatus}:
            query = query.filter(ReviewAssignment.status == chosen["status"])
        count = query.count()
        pages = max(1, -(-count // RECORDS_PER_PAGE))
        page = min(max(row_id(request.args.get("page")) or 1, 1), pages)
        rows = (
            query.options(
                selectinload(ReviewAssignment.application).selectinload(Application.unit).selectinload(Unit.parent),
                selectinload(ReviewAssignment.expert).selectinload(Expert.account),
                selectinload(ReviewAssignment.scores),
                selectinload(ReviewAssignment.round).selectinload(ReviewRound.criteria),
            )
            .order_by(ReviewAssignment.round_id, ReviewAssignment.application_id, ReviewAssignment.id)
            .offset((page - 1) * RECORDS_PER_PAGE)
            .limit(RECORDS_PER_PAGE)
            .all()
        )
        may_reopen = self.appbuilder.sm.has_access("can_reopen", self.class_permission_name)
        reopenable = scoring.allowed_among(current_user, rows, "reopen") if may_reopen else set()
        return self.render_template(
            "expert/records.html", rows=rows, count=count, page=page, pages=pages, rounds=rounds_, experts=experts, chosen=chosen,
            application=application,
            statuses=[(s.value, label) for s, label in ASSIGNMENT_LABELS.items()], campaign=campaign,
            may_reopen=may_reopen, scores_of=scoring.scores_of, plain=_plain,
            can_reopen=lambda a: a.id in reopenable,
        )

    @expose("/<int:assignment_id>/reopen", methods=["GET", "POST"])
    @has_access
    def reopen(self, assignment_id):
        assignment = db.session.get(ReviewAssignment, assignment_id)
        if not scoping.can_see_assignment(current_user, assignment):
            abort(404)
        errors, reason, status = {}, "", 200
        if request.method == "POST":
            reason = request.form.get("reason", "")
            try:
                scoring.reopen(current_user, assignment_id, reason)
            except WorkflowError as refused:
                flash(str(refused), "danger")
                errors, status = refused.errors, refused.status
                db.session.expire_all()
                assignment = db.session.get(ReviewAssignment, assignment_id)
            else:
                flash(_("已重新打开，专家可以修改后再次提交"), "success")
                return redirect(url_for(".list"))
        return self.render_template(
            "expert/reopen.html", assignment=assignment, reason=reason, errors=errors,
            scores=scoring.scores_of(assignment), plain=_plain,
        ), status
