"""评审推荐: submitted applications in the user's scope (never drafts), and the units' decisions on them.

A second-level unit decides 推荐/不推荐 with a written opinion, singly or for several at once, can return an
application while 在线报名 is open, and finally 提交 to its first-level unit; the first-level unit does the same and
上报 to the city office. Every step is app/workflow.py's; this view only collects the opinion and shows results.
"""
import enum
import re
from typing import NamedTuple

from flask import abort, flash, jsonify, make_response, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.sqla.filters import (
    FilterEqual,
    FilterIn,
    FilterRelationOneToManyEqual,
    FilterRelationOneToManyNotEqual,
    SQLAFilterConverter,
)
from flask_appbuilder.widgets import RenderTemplateWidget, SearchWidget
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_login import current_user
from sqlalchemy import bindparam, func
from sqlalchemy.orm import aliased
from wtforms import SelectField

from app import (
    clock, export_jobs, exports, jobs, labels, masking, prepared, request_cache, schedule, scoping, tallies, units,
    workflow,
)
from app.bounds import check_filters, row_id
from app.extensions import db
from app.models import Application, ApplicationStatus, Campaign, Unit
from app.models.application import STATUS_LABELS
from app.views import presentation
from app.views.base import PortalModelView
from app.views.fields import UnitSearchWidget
from app.views.jobs import offer
from app.views.list_widget import PortalListWidget
from app.views.presentation import WithDerivedColumns


def bulk_summary(decision: str, done: list, refused: dict, names: dict) -> tuple[str, str]:
    """One flash for a decision over several rows: what was done, then every row not done with its reason.
    Returns (message, category)."""
    parts = []
    if done:
        parts.append(_("%(done)s %(n)s 份", done=workflow.DONE_LABELS[decision], n=len(done)))
    if refused:
        reasons = "、".join(f"{names.get(i) or i}（{message}）" for i, message in refused.items())
        parts.append(_("%(n)s 份未处理：%(rows)s", n=len(refused), rows=reasons))
    category = "danger" if not done else "warning" if refused else "success"
    return "；".join(parts), category


def campaign_choices() -> list[tuple[str, str]]:
    """The 评选批次 filter's choices, oldest first: each campaign's id and name."""
    return [(str(c.id), c.name) for c in sorted(schedule.campaign_dates(), key=lambda c: c.id)]


_STATES = frozenset(s.value for s in ApplicationStatus)


class StatusEqual(FilterEqual):
    """等于 a state, the state written into the SQL (app/prepared.py's written: a rare state gets its own plan)."""

    def apply(self, query, value):
        if value not in _STATES:
            return super().apply(query, value)
        return query.filter(Application.status == prepared.written(value))


class StatusIn(FilterIn):
    """属于 one of several states (the dashboard's links), written into the SQL as StatusEqual's."""

    def apply(self, query, value):
        if not value or not set(value) <= _STATES:
            return super().apply(query, value)
        return query.filter(Application.status.in_(prepared.written(sorted(set(value)))))


class CampaignEqual(FilterRelationOneToManyEqual):
    """The 评选批次 filtered on, by its id written into the SQL (FAB's reads the campaign first, then sends its id
    as a parameter)."""

    def apply(self, query, value):
        if not str(value).isdigit():
            return super().apply(query, value)
        return query.filter(Application.campaign_id == prepared.written(int(value)))


class StatusEqualsConverter(SQLAFilterConverter):
    """The status is searched by equality on one state or on several (等于 / 属于: an index serves both; the
    dashboard links to several), not FAB's "starts with" on text ("featured" starts "featured_winner"). The states
    and the campaign filtered on are written into the SQL (app/prepared.py)."""

    conversion_table = (("is_listed_status", [StatusEqual, StatusIn]),
                        ("is_listed_campaign", [CampaignEqual, FilterRelationOneToManyNotEqual]),
                        *SQLAFilterConverter.conversion_table)
    # FAB converts every column of the model each time it makes a Filters (twice per list page), a few hundred filter
    # objects: they depend on the list's datamodel and the column only, and nothing changes them once made (FAB
    # shares its search form's between requests already), so they are made once per process.
    _made: dict = {}

    def convert(self, col_name):
        key = (self.datamodel, col_name)
        if key not in self._made:
            self._made[key] = list(super().convert(col_name) or ())
        return self._made[key]


class ListedUnit(NamedTuple):
    """The unit column of a listed row: its name and its first-level unit's, read as Unit.full_name reads."""

    name: str
    parent_name: str | None

    def __str__(self) -> str:
        return f"{self.parent_name} · {self.name}" if self.parent_name is not None else self.name


class ListedApplication:
    """One row of the review list as its select reads it: the columns the list shows and what its computed columns
    (the masked ID number, 男/女, the status with 过期无效) are worked out from, by the model's own properties. Plain
    attributes: 25 mapped objects with their units and first-level units cost more than the rest of the query."""

    __slots__ = ("id", "campaign_id", "status", "name", "gender", "id_number", "work_unit", "submitted_at", "unit")
    id_number_masked = Application.id_number_masked
    status_label = Application.status_label
    gender_label = Application.gender_label

    def __init__(self, row):
        (self.id, self.campaign_id, self.status, self.name, self.gender, self.id_number, self.work_unit,
         self.submitted_at, unit, parent) = row[:10]
        self.unit = ListedUnit(unit, parent) if unit is not None else None


_LISTED_UNIT, _LISTED_PARENT = aliased(Unit), aliased(Unit)  # aliases: a scope's EXISTS on unit stays uncorrelated
_LISTED_COLUMNS = (
    Application.id, Application.campaign_id, Application.status, Application.name, Application.gender,
    Application.id_number, Application.work_unit, Application.submitted_at, _LISTED_UNIT.name, _LISTED_PARENT.name,
)


class ApplicationListInterface(WithDerivedColumns):
    filter_converter_class = StatusEqualsConverter

    def is_listed_status(self, col_name: str) -> bool:
        return col_name == "status"

    def is_listed_campaign(self, col_name: str) -> bool:
        return col_name == "campaign"

    def _get_attr_value(self, item, col):
        # FAB looks a cell up three times (hasattr, "is it a method?", the value), and a translated label
        # (gender_label) is translated at each look and once more when escaped: look once, translate once.
        if col in self.derived:
            return self.derived[col](item)
        value = getattr(item, col, None)
        if isinstance(value, LazyString):
            return str(value)
        if value is None or callable(value) or isinstance(value, enum.Enum):
            return super()._get_attr_value(item, col)
        return value

    def get_inner_filters(self, filters):
        """Every filter of this list is on the application's own columns and relations (none dotted): all of them are
        inner, as they are (FAB's copies them into a new Filters, converting every column of the model again)."""
        return filters

    # The page's statements, kept per process by what they are built from (statement_key): building one (FAB's
    # filters, the scope, the tallies' count) and working out its cache key for SQLAlchemy's compiled cache took a
    # third of the list's own CPU at every request. The page's offset is a parameter; the rest is in the key.
    _statements: dict = {}
    _KEPT = 512

    def query(self, filters=None, order_column="", order_direction="", page=None, page_size=None,
              select_columns=None, outer_default_load=False):
        """A page of the list, and how many rows the scope and the filters hold, in one statement: the columns the
        list shows (ListedApplication) with the unit's and its first-level unit's names, and the count as a scalar
        subquery on the tallies kept per (campaign, unit, status) (app/tallies.py): a sum over a few hundred rows
        instead of a count over the scope's (up to 100,000). FAB's reads mapped objects with joinedload, then counts
        in a second statement. The scope of every unit and of the city office leaves drafts out, which the tallies do
        not keep; the filters of this list never join."""
        check_filters(filters)  # each request's values bounded (app/bounds.py), kept statement or not
        offset = bool(page and page_size)  # the first page has none: PostgreSQL keeps one plan for it (LIMIT 25)
        key = self.statement_key(filters, order_column, order_direction, page_size, offset)
        kept = self._statements.get(key) if key is not None else None
        if kept is None:
            kept = self._statement(filters, order_column, order_direction, page_size, offset)
            if key is not None:
                if len(self._statements) >= self._KEPT:
                    self._statements.clear()
                self._statements[key] = kept
        statement, tallied = kept
        # Columns only: run by Core on the session's connection, in its transaction (no ORM handling of the rows).
        parameters = {"list_offset": page * page_size} if offset else None
        rows = self.session.connection().execute(statement, parameters).all()
        if rows and tallied:
            count = rows[0][-1]
        elif not rows and not page:  # nothing matches
            count = 0
        else:  # a name searched (no tallies for it), or a page past the last (no row to carry the count)
            count = self.query_count(self.session.query(Application), filters)
        return count, [ListedApplication(row) for row in rows]

    def _statement(self, filters, order_column, order_direction, page_size, offset: bool) -> tuple:
        """The page's statement, its offset (if any) the parameter list_offset, and whether its last column is the
        count."""
        rows_query = self.session.query(*_LISTED_COLUMNS).select_from(Application) \
            .outerjoin(_LISTED_UNIT, _LISTED_UNIT.id == Application.unit_id) \
            .outerjoin(_LISTED_PARENT, _LISTED_PARENT.id == _LISTED_UNIT.parent_id)
        rows_query = self.apply_all(rows_query, filters, order_column, order_direction)
        if page_size:  # the page size written into the SQL (app/prepared.py): a plan for LIMIT 25, not for any LIMIT
            rows_query = rows_query.limit(prepared.written(page_size))
        if offset:
            rows_query = rows_query.offset(bindparam("list_offset"))
        where = rows_query.whereclause
        tallied = tallies.count_clause(where) if where is not None else None
        if tallied is not None:
            rows_query = rows_query.add_columns(tallied)
        return rows_query.statement, tallied is not None

    @staticmethod
    def statement_key(filters, order_column, order_direction, page_size, offset: bool) -> tuple | None:
        """What the page's statement is built from, or None where that is not known (a filter whose condition
        depends on more than its value): each filter's kind, column and value, the user's scope as the scope's
        filter tells it (app/scoping.py's identity_key), the order, the page size and whether it has an offset."""
        parts = []
        for flt, value in zip(filters.filters, filters.values) if filters else ():
            if isinstance(flt, scoping._ClauseFilter):
                scope = flt.key()
                if scope is None:
                    return None
                parts.append((type(flt), scope))
            elif callable(value):
                return None
            else:
                parts.append((type(flt), flt.column_name,
                              tuple(value) if isinstance(value, list) else value))
        return tuple(parts), order_column, order_direction, page_size, offset

    def query_count(self, query, filters=None, select_columns=None) -> int:
        """The rows counted from the tallies if it can be, else by id (not by wrapping the whole select in a
        subquery)."""
        filtered = self.apply_filters(query, filters)
        tallied = tallies.count(filtered.whereclause) if filtered.whereclause is not None else None
        if tallied is not None:
            return tallied
        return filtered.with_entities(func.count(Application.id)).order_by(None).scalar()


class ApplicationListWidget(PortalListWidget):
    """The portal's list (app/views/list_widget.py) with the applicant's name a link to the application. The list
    neither adds, edits nor deletes (its routes are not there): decisions are its actions."""

    name_links = True


class ApplicationSearchWidget(SearchWidget):
    """FAB's search form, its inputs written once per process and language wherever they are the same on every page:
    the name and work-unit boxes and the status dropdown (empty until the user picks a filter: the page's script
    fills them in), the 评选批次 dropdown for the same campaigns, the unit box unless the address filters on a unit
    (then it carries that unit); and the labels and the filters' names."""

    unchanging = ("name", "work_unit", "status")
    _rendered: dict = {}

    def __call__(self, **kwargs):
        form, language = self.template_args["form"], str(get_locale())
        form_fields = {}
        for col in self.template_args["include_cols"]:
            key = self.rendering_key(form, col, language)
            if key is None:
                form_fields[col] = form[col]()
                continue
            if key not in self._rendered:
                if len(self._rendered) > 200:  # campaigns renamed many times over: start again
                    self._rendered.clear()
                self._rendered[key] = form[col]()
            form_fields[col] = self._rendered[key]
        if (language, "texts") not in self._rendered:
            self._rendered[language, "texts"] = self.texts(form)
        label_columns, search_filters = self._rendered[language, "texts"]
        kwargs.update(label_columns=label_columns, form_fields=form_fields, search_filters=search_filters,
                      active_filters=self.filters.get_filters_values_tojson())
        return RenderTemplateWidget.__call__(self, **kwargs)

    def rendering_key(self, form, col: str, language: str):
        """What the input's markup depends on, or None when it is written for this page alone."""
        if col in self.unchanging:
            return language, col
        if col == "campaign":
            # The field's own choices function: asking the field (form[col].choices) makes WTForms inspect the
            # function's signature each time, a third of the search form's CPU.
            return language, col, tuple(campaign_choices())
        if col == "unit" and not any(re.match(r"_flt_\d+_unit$", arg) for arg in request.args):
            return language, col, request.script_root  # its search address is the application's
        return None

    def texts(self, form) -> tuple[dict, dict]:
        """Each search column's label and the names of its filters (等于, 包含, …), translated: the same on every
        page in a language."""
        dict_filters = self.filters.get_search_filters()
        columns = self.template_args["include_cols"]
        return (
            {col: str(form[col].label.text) for col in columns},
            {col: [str(flt.name) for flt in dict_filters[col]] for col in columns},
        )


class ApplicationView(PortalModelView):
    route_base = "/applications"
    datamodel = ApplicationListInterface(
        Application, {"status_display": presentation.status_display, "gender_label": presentation.gender_display}
    )
    class_permission_name = "Application"
    method_permission_name = {
        **PortalModelView.method_permission_name,
        "recommend": "decide",
        "reject": "decide",
        "return_for_changes": "decide",
        "decide": "decide",
        "submit_unit": "decide",
        "export": "read",
        "print_recommendation": "read",
        "reveal_identity": "read",
        "unit_choices": "read",
    }
    include_route_methods = {
        "list", "show", "action", "action_post", "decide", "submit_unit", "export", "print_recommendation",
        "reveal_identity", "unit_choices",
    }
    list_title = _l("报名信息列表")
    show_title = _l("报名信息")
    list_template = "review/list.html"
    list_widget = ApplicationListWidget
    search_widget = ApplicationSearchWidget
    base_filters = [["id", scoping.ApplicationScopeFilter, None]]
    base_order = ("submitted_at", "desc")
    label_columns = {**labels.APPLICATION}
    list_columns = ["name", "id_number_masked", "gender_label", "work_unit", "unit", "status_display", "submitted_at"]
    search_columns = ["name", "work_unit", "unit", "status", "campaign"]
    # The unit filter is searched as the user types (unit_choices below), never preloaded with every unit; the
    # states are chosen by their Chinese names (drafts are never listed).
    search_form_extra_fields = {
        "unit": SelectField(labels.APPLICATION["unit"], widget=UnitSearchWidget("ApplicationView.unit_choices")),
        "status": SelectField(
            labels.APPLICATION["status"],
            choices=[(s.value, STATUS_LABELS[s]) for s in ApplicationStatus if s is not ApplicationStatus.DRAFT],
            widget=Select2Widget(),
        ),
        # FAB's dropdown of a relation counts the campaigns and then reads every column of each: one query here.
        "campaign": SelectField(
            labels.APPLICATION["campaign"], choices=lambda: campaign_choices(), widget=Select2Widget(),
            render_kw={"required": True},
        ),
    }

    def _progress(self):
        """The unit's 评审进度 panel: once per request (the list and its template both show it)."""
        if not current_user.is_authenticated:
            return None
        return request_cache.remember(("unit_progress", current_user.id), lambda: workflow.unit_progress(current_user))

    def render_template(self, template, **kwargs):
        if "progress" not in kwargs:
            kwargs["progress"] = self._progress()
        kwargs.setdefault("now", clock.now())
        kwargs.setdefault("full_export", masking.full_export_allowed(current_user))
        return super().render_template(template, **kwargs)

    # FAB actions hand over rows fetched without base filters: only their ids are used, and the decision page
    # re-reads them through the scope.
    def _to_decision(self, items, decision):
        items = self.in_scope(items)
        ids = ",".join(str(item.id) for item in items)
        return redirect(url_for(".decide", decision=decision, ids=ids))

    @action("recommend", _l("推荐"), icon="fa-thumbs-up", single=True, multiple=True)
    def recommend(self, items):
        return self._to_decision(items, "recommend")

    @action("reject", _l("不推荐"), icon="fa-thumbs-down", single=True, multiple=True)
    def reject(self, items):
        return self._to_decision(items, "reject")

    @action("return_for_changes", _l("退回修改"), icon="fa-undo", single=True, multiple=False)
    def return_for_changes(self, items):
        return self._to_decision(items, "return")

    def _scoped(self, ids):
        rows = []
        for raw in ids:
            if row_id(raw) is None:
                abort(404)
            row = self.datamodel.get(row_id(raw), self._base_filters)
            if row is None:
                abort(404)
            rows.append(row)
        return rows

    @expose("/decide", methods=["GET", "POST"])
    @has_access
    def decide(self):
        """The decision form: the chosen applications, the decision and the required written opinion."""
        decision = request.values.get("decision", "")
        action_name = workflow.workflow_action(current_user, decision)
        if action_name is None:
            abort(404)
        ids = [i for i in request.values.get("ids", "").split(",") if i]
        applications = self._scoped(ids)
        if not applications:
            flash(_("请先勾选要办理的报名"), "warning")
            return redirect(url_for(".list"))
        opinion, error = request.form.get("opinion", ""), None
        if request.method == "POST":
            try:
                workflow.require_opinion(action_name, opinion)
            except workflow.WorkflowError as missing:
                error = str(missing)
            else:
                done, refused = workflow.perform_many(current_user, [a.id for a in applications], action_name, opinion)
                message, category = bulk_summary(decision, done, refused, {a.id: a.name for a in applications})
                flash(message, category)
                if len(applications) == 1 and done:
                    return redirect(url_for(".show", pk=applications[0].id))
                return redirect(url_for(".list"))
        return self.render_template(
            "review/decide.html",
            applications=applications,
            decision=decision,
            decision_label=workflow.DECISION_LABELS[decision],
            opinion=opinion,
            error=error,
            ids=",".join(str(a.id) for a in applications),
        )

    @expose("/api/units")
    @has_access
    def unit_choices(self):
        """The unit filter's choices for ?q=<part of a name>: units of the user's scope, a few at a time."""
        found = units.search_choices(current_user, request.args.get("q", ""))
        return jsonify(results=[{"id": unit.id, "text": unit.full_name} for unit in found])

    @expose("/submit-unit", methods=["POST"])
    @has_access
    def submit_unit(self):
        try:
            submission = workflow.submit_unit(current_user)
        except workflow.WorkflowError as refused:
            flash(str(refused), "danger")
        else:
            flash(
                _("已提交：推荐 %(r)s 人，不推荐 %(n)s 人。评审结果已锁定。", r=submission.recommended, n=submission.not_recommended),
                "success",
            )
        return redirect(url_for(".list"))

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        application = self.datamodel.get(pk, self._base_filters)
        if application is None:
            abort(404)
        return self._show(application, full_numbers=False)

    @expose("/show/<int:pk>/identity", methods=["POST"])
    @has_access
    def reveal_identity(self, pk):
        """查看完整号码: the show page again with this application's full ID and mobile numbers, audited. A POST (with
        the CSRF token) so that no link, prefetch or cross-site page can reveal them; answered directly, never
        cached, so that a reload shows the masked page again."""
        application = self.datamodel.get(pk, self._base_filters)
        if application is None:
            abort(404)
        try:
            masking.reveal(current_user, application.id)
        except masking.RevealRefused:
            abort(403)
        response = make_response(self._show(application, full_numbers=True))
        response.headers["Cache-Control"] = "private, no-store"
        return response

    def _show(self, application, full_numbers: bool):
        level = workflow.unit_level(current_user)
        choices = [
            (decision, workflow.DECISION_LABELS[decision])
            for decision, by_level in workflow.DECISIONS.items()
            if level in by_level and workflow.allowed(current_user, application, by_level[level])
        ]
        return self.render_template(
            "review/show.html",
            application=application,
            event_labels=workflow.labels(),
            choices=choices,
            full_numbers=full_numbers,
            may_reveal=masking.may_reveal(current_user, application),
        )

    # --- exports (R-OPS-3): the Excel list and the printable 推荐表; see app/exports.py ----------------------

    @expose("/export.xlsx", methods=["GET", "POST"])
    @has_access
    def export(self):
        """The review list as Excel: ?status=<value> (repeatable), ?stage=pending|l2|l1|reported, ?campaign=<id>,
        ?unit=<id>; the current campaign unless one is named. ID and mobile numbers masked; the city office's
        含完整证件号 variant has full=1, audited as such. A POST (CSRF token) starts the job; a GET answers with the
        page whose button does (app/views/jobs.offer)."""
        args = request.values
        full_numbers = request.method == "POST" and args.get("full") == "1"
        if full_numbers and not masking.full_export_allowed(current_user):
            abort(403)
        try:
            statuses = exports.statuses_for(
                args.getlist("status"), args.get("stage"), workflow.unit_level(current_user)
            )
        except exports.BadFilter:
            abort(400)
        campaign_arg, unit_arg = args.get("campaign", ""), args.get("unit", "")
        if (campaign_arg and row_id(campaign_arg) is None) or (unit_arg and row_id(unit_arg) is None):
            abort(400)
        campaign = db.session.get(Campaign, row_id(campaign_arg)) if campaign_arg else schedule.current_campaign()
        if campaign_arg and campaign is None:
            abort(404)
        statuses_asked = any(args.getlist("status"))
        scope = exports.scope_label(statuses, args.get("stage"), statuses_asked)
        if request.method == "GET":
            # The button POSTs this query string: its title says whether it asks for the full numbers.
            return offer(self, export_jobs.application_export_title(scope, args.get("full") == "1"))
        # Tens of thousands of rows take a minute: a background job writes the file (app/export_jobs.py).
        job = jobs.start(current_user, export_jobs.APPLICATIONS,
                         export_jobs.application_export_title(scope, full_numbers), {
                             "campaign_id": campaign.id if campaign is not None else None,
                             "statuses": sorted(statuses) if statuses is not None else None,
                             "statuses_asked": statuses_asked,
                             "stage": args.get("stage") or None,
                             "unit_id": int(unit_arg) if unit_arg else None,
                             "full_numbers": full_numbers,
                         })
        return redirect(url_for("JobView.show", job_id=job.id))

    @expose("/print/<pk>")
    @has_access
    def print_recommendation(self, pk):
        """The printable 推荐表: the applicant's data, then each level's opinion, with room for stamp and date."""
        application = self.datamodel.get(pk, self._base_filters) if row_id(pk) is not None else None
        if application is None:
            abort(404)
        return self.render_template(
            "review/print.html", application=application, sections=exports.level_sections(application)
        )
