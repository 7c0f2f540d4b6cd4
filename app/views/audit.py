"""审计日志: read-only for everybody; the routes to change it are never registered.

The log stores codes and values as the code has them ("unit.create", {"ends_at": [old, new]}, "l2_forwarded", unit
ids); this screen reads them back in words: the field labels of the screens where the values are edited, old → new,
是/否, status and category labels, units and campaigns by name, roles without brackets.
"""
import re
from datetime import datetime

from flask import current_app, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.urltools import get_filter_args
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app import audit, exports, jobs, objections, workflow
from app.display import format_time
from app.labels import UNIT as UNIT_LABELS
from app.datamodel import PortalInterface
from app.extensions import db
from app.models import Account, AuditEvent, Campaign, Stage, Unit, UnitCategory
from app.models.application import GENDER_LABELS, Application, ApplicationStatus
from app.models.publicity import OBJECTION_FINDING_LABELS, OBJECTION_STATUS_LABELS
from app.models.review import ASSIGNMENT_LABELS, AssignmentStatus, Expert, RubricCriterion
from app.views.accounts import UnitAccountView
from app.views.applications import ApplicationView
from app.views.base import PortalModelView, display_value
from app.views.jobs import offer
from app.views.campaigns import CampaignView, StageWindowView
from app.views.past_winners import PastWinnerView
from app.views.review_settings import RecommendationQuotaView

# The log stores codes ("unit.create"); the screen shows them in words. An unknown code is shown as stored.
OBJECT_TYPES = {
    "unit": _l("单位"),
    "account": _l("账号"),
    "campaign": _l("评选批次"),
    "stage_window": _l("阶段时间"),
    "role": _l("角色"),
    "past_winner": _l("历届学习之星"),
    "application": _l("报名"),
    "recommendation_quota": _l("推荐名额"),
    "review_round": _l("评审轮次"),
    "expert": _l("评审专家"),
    "expert_panel": _l("专家组"),
    "expert_conflict": _l("回避关系"),
    "review_assignment": _l("评审任务"),
    "certificate": _l("荣誉证书"),
    "backup": _l("备份"),  # flask backup create/restore (app/backup.py)
    "files": _l("上传文件"),  # flask files check --delete-orphans
    "request": _l("页面或接口"),
    "audit_event": _l("审计记录"),
    "objection": _l("异议"),  # 公示异议 (app/objections.py): lodged by the public, handled by the office
}
CHANGES = {"create": _l("新增"), "update": _l("修改"), "delete": _l("删除")}
ACTIONS = {
    "account.password_reset": _l("重置密码"),
    "account.password_changed": _l("修改密码"),
    "roles.sync": _l("同步角色权限"),
    "role.permissions_edited": _l("修改角色权限"),  # detail: role, granted / withdrawn (the editor's cell labels)
    "export.applications": _l("导出报名信息"),
    # Personal data (app/masking.py, app/retention.py): who read which application's full numbers; media purged.
    "application.identity_viewed": _l("查看完整证件号码"),
    "retention.purge_media": _l("按期删除未入选者照片和视频"),
    # 评审进度 (app/rounds.py, app/views/review_progress.py)
    "review_round.close": _l("结束评审轮次"),
    "review_round.remind": _l("提醒专家"),
    "review_round.rank": _l("刷新评审排名"),
    "export.score_sheet": _l("导出评分表"),
    "expert.activated": _l("启用专家账号"),
    "expert.deactivated": _l("停用专家账号"),
    "expert.imported": _l("批量导入专家"),
    "export.ranking": _l("导出评审排名"),
    "export.candidates": _l("导出拟评选名单"),
    "demo.generate": _l("生成评审演示数据"),  # flask demo generate (app/demo/generate.py)
    # 评审分配 (app/assignment.py) and the expert's review (app/scoring.py)
    "review.assign": _l("自动分配"),
    "review.move": _l("改派"),
    "review.decline": _l("专家声明回避"),
    "review.save": _l("暂存评审"),
    "review.submit": _l("提交评审"),
    "review.reopen": _l("重新打开评审"),
    "certificate.revoke": _l("撤销荣誉证书"),
    "campaign.approve": _l("审核确定"),  # app/approval.py; detail: the date, 文号, winners and featured  # app/certificates.py; detail: the reason
    # app/backup.py's commands
    "backup.create": _l("创建备份"),
    "backup.restore": _l("恢复备份"),
    "backup.restore_refused": _l("拒绝恢复备份"),
    "files.delete_orphans": _l("删除没有记录的上传文件"),
    # Sign-in (app/signin.py): the actor of a failure is the name typed; a lock is of an account or an address.
    "account.signin": _l("登录"),
    "account.signin_failed": _l("登录失败"),
    "account.locked": _l("登录锁定"),
    "account.unlocked": _l("解除登录锁定"),
    "account.signout": _l("退出登录"),
    # 三员分立 (app/duties.py): grants on the command line; refusals and exports (app/audit.py)
    "account.role_granted": _l("授予角色"),
    "account.role_revoked": _l("收回角色"),
    "account.admin_created": _l("创建管理员账号"),
    "access.refused": _l("拒绝访问"),
    "audit.purged": _l("清理过期审计记录"),
    "export.audit": _l("导出审计日志"),
    "export.objections": _l("导出异议登记"),
    "export.public_list": _l("导出公示名单"),
    "export.final_list": _l("导出最终名单"),
    "export.print_recommendation": _l("打印推荐表"),
    "export.print_application_form": _l("打印申报表"),
    "export.print_public_list": _l("打印公示名单"),
    "export.print_final_list": _l("打印最终名单"),
    "export.print_certificate": _l("打印荣誉证书"),
    "export.certificate_pdf": _l("下载荣誉证书"),
    "export.certificates_pdf": _l("下载全部荣誉证书"),
    "export.job_file": _l("下载导出文件"),
}
# The words of app/signin.py's codes.
SIGNIN_VALUES = {
    "outcome": {"success": _l("成功"), "failed": _l("用户名或密码不正确"), "locked": _l("已锁定，未核对密码")},
    "via": {"form": _l("登录页面"), "api": _l("接口（令牌）")},
    "scope": {"account": _l("账号"), "source": _l("来源地址")},
}
RESULTS = {"success": _l("成功"), "refused": _l("拒绝"), "failure": _l("失败")}
VIAS = {"command_line": _l("服务器命令行")}

# Field labels per kind of object: the labels of the screens where those fields are edited, and a few of the
# log's own (what a decision or an export records).
_COMMON_LABELS = {
    "campaign": _l("评选批次"),
    "unit": _l("单位"),
    "campaign_id": _l("评选批次"),
    "unit_id": _l("所属单位"),
    "parent_id": _l("所属一级单位"),
    "level": _l("单位级别"),
    # A unit's 提交/上报 records its counts (app/workflow.submit_unit), as 提交情况 labels them.
    "recommended": _l("推荐人数"),
    "not_recommended": _l("不推荐人数"),
    "from_status": _l("原状态"),
    "to_status": _l("新状态"),
    "opinion": _l("意见"),
    "rows": _l("导出行数"),
    "filters": _l("导出范围"),
    "full_numbers": _l("完整身份证号和手机号"),
    # 按期删除材料 (app/retention.py): counts only.
    "applications": _l("报名数"),
    "photos": _l("删除照片数"),
    "videos": _l("删除视频数"),
    "retention_days": _l("保存天数"),
    "stage": _l("阶段"),
    "status": _l("状态"),
    "by": _l("办理人"),
    "added": _l("新增"),
    # The permission editor's record (app/permissions.py): the role and the cells it granted or withdrew.
    "role": _l("角色"),
    "granted": _l("授予"),
    "withdrawn": _l("收回"),
    # An account's roles before and after a change (app/audit.py), and how a grant was made (app/duties.py).
    "roles_before_after": _l("角色（变更前 → 变更后）"),
    "via": _l("办理途径"),
    "os_user": _l("服务器操作系统用户"),
    "method": _l("请求方式"),
    "path": _l("地址"),
    "older_than_days": _l("删除多少天以前的记录"),
    "before": _l("删除此时间以前的记录"),
    # 结束本轮, 提醒 and the score sheets (app/rounds.py): what each records.
    "early": _l("截止前提前结束"),
    "submitted": _l("已提交评审"),
    "missing": _l("未提交评审"),
    "experts": _l("提醒的专家"),
    "unfinished": _l("未提交评审"),
    "expert": _l("专家"),
    "round_closed": _l("本轮已结束"),
    # An export of 评审排名 records its order (app/views/ranking.py).
    "order": _l("排序"),
    # flask demo generate records how much it made.
    "generated_applications": _l("生成报名数"),
    "generated_experts": _l("生成专家数"),
}
RANKING_ORDERS = {"mean": _l("按平均分"), "z": _l("按标准化分")}
FIELD_LABELS = {
    "unit": {**UNIT_LABELS, "parent_id": UNIT_LABELS["parent"]},
    "account": {**UnitAccountView.label_columns, "unit_id": UnitAccountView.label_columns["unit"],
                "email": _l("电子邮箱"), "last_name": _l("姓"), "password": _l("密码"), "login_count": _l("登录次数")},
    "campaign": {**CampaignView.label_columns, "decided_on": _l("审核日期"), "document_number": _l("文号"),
                 "winners": _l("入选人数"), "featured": _l("重点宣传人数")},
    "stage_window": {**StageWindowView.label_columns, "stage": StageWindowView.label_columns["stage_label"]},
    "role": {"name": _l("角色名称"), "permissions": _l("权限")},
    "past_winner": {**PastWinnerView.label_columns, "application_id": _l("报名记录")},
    "objection": {"application_id": _l("被提出异议的候选人"), "finding": _l("核实结论")},
    "application": {**ApplicationView.label_columns, "unit": _l("单位"), "campaign": _l("评选批次")},
    "recommendation_quota": RecommendationQuotaView.label_columns,
    "expert": {"account_id": _l("专家账号"), "employer": _l("工作单位"), "employer_unit_id": _l("所在单位（本系统）"),
               "field": _l("专业领域"), "created_at": _l("创建时间")},
    "expert_panel": {"experts": _l("专家"), "units": _l("负责的一级单位"), "round": _l("评审轮次")},
    "expert_conflict": {"expert_id": _l("专家"), "unit_id": _l("回避单位"), "application_id": _l("回避申报人"),
                        "reason": _l("回避原因"), "declared_at": _l("登记时间"), "declared_by_id": _l("登记人")},
    "review_round": {"experts_per_application": _l("每份申报的评审专家人数"), "closed_at": _l("结束时间"),
                     "closed_by_id": _l("结束人"),
                     # 自动分配's counts (app/assignment.assign_round)
                     "placed": _l("新分配"), "kept": _l("保留"), "removed": _l("调整"), "applications": _l("申报数")},
    "review_assignment": {"application_id": _l("申报人"), "from_expert": _l("原专家"), "to_expert": _l("改派给"),
                          "reason": _l("理由"), "replacement": _l("接替专家"), "scores": _l("各项评分"),
                          "total": _l("加权总分")},
    "certificate": {"reason": _l("撤销理由")},
    "backup": {"database": _l("数据库类型"), "alembic_revision": _l("数据库版本"), "tables": _l("数据表数"),
               "rows": _l("总行数"), "files": _l("上传文件数"), "bytes": _l("大小（字节）"),
               "missing": _l("有记录但缺失的文件数"), "created_at": _l("备份时间"), "forced": _l("覆盖已有数据"),
               "problems": _l("核对发现的问题数"), "reason": _l("拒绝原因")},
    "files": {"files": _l("删除的文件数"), "bytes": _l("大小（字节）"), "names": _l("文件名")},
}
# What a sign-in records (app/signin.py); the account screen's own labels (用户名) stay as they are.
for _key, _label in {"username": _l("用户名"), "outcome": _l("登录结果"), "via": _l("登录方式"), "failures": _l("失败次数"),
                     "scope": _l("锁定对象"), "until": _l("锁定至"), "source": _l("来源地址")}.items():
    FIELD_LABELS["account"].setdefault(_key, _label)
# The import of 专家 counts the experts it made, not exported rows.
FIELD_LABELS["expert"]["rows"] = _l("导入人数")
# Bookkeeping that says nothing to a reader: the row's own id, derived columns, the order of stages.
HIDDEN = {"id", "parent_level", "position"}
EXPORT_STAGES = {"pending": _l("待本单位评审"), "l2": _l("二级单位已推荐"), "l1": _l("一级单位已推荐"),
                 "reported": _l("已上报市学习办"), "shortlisted": _l("入围复审"), "candidates": _l("拟评选")}
_BRACKETED = re.compile(r"^\[(.*)\]$")


def object_type_label(code):
    return OBJECT_TYPES.get(code, code)


def action_label(code):
    if code in ACTIONS:
        return ACTIONS[code]
    object_type, _dot, change = (code or "").partition(".")
    workflow_labels = workflow.labels()  # application.l2_recommend, unit.l2_submit, ...
    if object_type in ("application", "unit") and change in workflow_labels:
        return _("%(object)s：%(action)s", object=OBJECT_TYPES[object_type], action=workflow_labels[change])
    if object_type == "objection" and change in objections.EVENT_LABELS:  # objection.lodge, objection.accept, ...
        return _("%(object)s：%(action)s", object=OBJECT_TYPES[object_type], action=objections.EVENT_LABELS[change])
    if object_type in OBJECT_TYPES and change in CHANGES:
        return _("%(change)s%(object)s", change=CHANGES[change], object=OBJECT_TYPES[object_type])
    return code


def actor_label(event):
    """The person ("中关村街道 · 张伟") with the login name the log recorded; 系统 for the portal itself."""
    if event.actor_name == "system":
        return _("系统")
    if event.actor is None:
        return event.actor_name
    return f"{event.actor.person_label}（{event.actor_name}）"


def _field_label(object_type: str, key: str) -> str:
    label = FIELD_LABELS.get(object_type, {}).get(key)
    if label is None or str(label) == _fab_label(key):
        # FAB fills a view's label_columns with a label of its own for every column it was not given ("Campaign
        # Id"): the portal's words for such a key are the common ones.
        label = _COMMON_LABELS.get(key) or label
    return str(label or key)


def _fab_label(key: str) -> str:
    """The label FAB makes up for a column (BaseModelView._prettify_column)."""
    return re.sub("[._]", " ", key).title()


# Keys whose stored value is a unit's id, read by the unit's full name.
UNIT_KEYS = ("unit_id", "parent_id", "unit", "employer_unit_id")


def _named(model, value):
    row = db.session.get(model, int(value)) if str(value).isdigit() else None
    if row is None:
        return str(value)
    return row.full_name if isinstance(row, Unit) else row.name


def _status(value) -> str:
    try:
        return str(ApplicationStatus(value).label)
    except ValueError:
        return str(value)


def _person(value) -> str:
    from app.models import Account

    account = db.session.get(Account, int(value)) if str(value).isdigit() else None
    return account.person_label if account is not None else str(value)


def _by_id(model, value, label=lambda row: row.name) -> str:
    row = db.session.get(model, int(value)) if str(value).isdigit() else None
    return label(row) if row is not None else str(value)


def _review_value(object_type: str, key: str, value):
    """专家评审's stored ids and codes in words (None: not one of them)."""
    if object_type == "objection" and key in ("status", "from_status", "to_status", "finding"):
        labels = OBJECTION_FINDING_LABELS if key == "finding" else OBJECTION_STATUS_LABELS
        return next((str(label) for code, label in labels.items() if code.value == value), str(value))
    if key == "application_id" and object_type in ("objection", "past_winner"):
        return _by_id(Application, value)
    if object_type == "review_assignment" and key in ("status", "from_status", "to_status"):
        try:
            return str(ASSIGNMENT_LABELS[AssignmentStatus(value)])
        except ValueError:
            return str(value)
    if object_type == "review_assignment" and key == "scores" and isinstance(value, dict):
        return "，".join(f"{_by_id(RubricCriterion, k, lambda c: c.label)}：{v}" for k, v in value.items())
    if key == "application_id" and object_type in ("review_assignment", "expert_conflict"):
        return _by_id(Application, value)
    if (key == "expert_id" and object_type == "expert_conflict") or (
            key in ("experts", "expert") and object_type == "review_round" and isinstance(value, int)):
        return _by_id(Expert, value)
    if key in ("declared_by_id", "closed_by_id") or (key == "account_id" and object_type == "expert"):
        return _person(value)
    return None


def value_text(key: str, value, object_type: str = "") -> str:
    """One stored value in words."""
    if value is None or value == "":
        return _("（空）")
    reviewed = _review_value(object_type, key, value)
    if reviewed is not None:
        return reviewed
    if isinstance(value, list):
        return "、".join(value_text(key, v, object_type) for v in value) or _("（空）")
    if isinstance(value, dict):
        return "，".join(f"{_field_label('', k)}：{value_text(k, v)}" for k, v in value.items() if v is not None)
    if isinstance(value, bool):
        return str(display_value(value))
    if key in UNIT_KEYS and isinstance(value, int):
        return _named(Unit, value)
    if key == "campaign_id":
        return _named(Campaign, value)
    if key in ("status", "from_status", "to_status"):
        return _status(value)
    if key == "stage":
        if value in EXPORT_STAGES:
            return str(EXPORT_STAGES[value])
        try:
            return str(Stage(value).label)
        except ValueError:
            return str(value)
    if key == "category":
        try:
            return str(UnitCategory(value).label)
        except ValueError:
            return str(value)
    if key == "level" and value in (1, 2):
        return _("一级单位") if value == 1 else _("二级单位")
    if key in SIGNIN_VALUES and value in SIGNIN_VALUES[key]:
        return str(SIGNIN_VALUES[key][value])
    if key == "until" and object_type == "account":
        try:
            return format_time(datetime.fromisoformat(value))
        except (TypeError, ValueError):
            return str(value)
    if key == "via" and value in VIAS:
        return str(VIAS[value])
    if key == "order" and value in RANKING_ORDERS:
        return str(RANKING_ORDERS[value])
    if key == "gender" and value in GENDER_LABELS:
        return str(GENDER_LABELS[value])
    bracketed = _BRACKETED.match(str(value))
    return bracketed.group(1) if bracketed else str(value)


def _change_text(key: str, value, object_type: str = "") -> str:
    if value == "***":
        return _("（已更改，内容不记录）")
    if isinstance(value, list) and len(value) == 2 and key not in ("roles", "permissions", "status", "experts"):
        return f"{value_text(key, value[0], object_type)} → {value_text(key, value[1], object_type)}"
    if isinstance(value, dict) and set(value) <= {"added", "removed"}:
        parts = []
        if value.get("added"):
            parts.append(_("增加 %(v)s", v=value_text(key, value["added"])))
        if value.get("removed"):
            parts.append(_("去掉 %(v)s", v=value_text(key, value["removed"])))
        return "；".join(parts)
    return value_text(key, value, object_type)


def detail_lines(event) -> list[tuple[str, str]]:
    """(label, text) per recorded field, in words."""
    detail = event.detail or {}
    lines = []
    for key, value in detail.items():
        if key in HIDDEN or (key == "unit_id" and "unit" in detail) or (key == "parent_id" and "parent" in detail):
            continue
        if event.action.endswith(".create") and value in (None, "", False) and key != "active":
            continue  # a new row's empty fields say nothing
        if key == "email" and str(value).endswith("@accounts.invalid"):
            continue  # the placeholder FAB needs (app.accounts.placeholder_email), not an address anyone gave
        lines.append((_field_label(event.object_type, key), _change_text(key, value, event.object_type)))
    return lines


def detail_html(event) -> Markup:
    return Markup("<br>").join(Markup("{}：{}").format(label, text) for label, text in detail_lines(event))


# The list page counts at most this many matching events: at hundreds of thousands an exact count(*) scans them all on
# every page, and what the auditor needs is the newest events and "more than a screen's worth: narrow the filters".
LIST_COUNT_CAP = 10_000


class AtLeast(int):
    """A capped count: pages are computed from the number, the page reads 超过 N 条 instead of a wrong total."""

    def __str__(self):
        return _("超过 %(n)s 条（请用筛选缩小范围）", n=f"{int(self) - 1:,}")


class AuditInterface(PortalInterface):
    """Hands the detail and actor formatters the whole event: labels depend on what kind of object changed. Each
    page's actors (with their units) come in its query and the units its details name in one more."""

    def __init__(self, obj):
        super().__init__(obj, eager=(joinedload(AuditEvent.actor).joinedload(Account.unit),))

    def query_count(self, query, filters=None, select_columns=None):
        cap = g.get("audit_count_cap")
        if cap is None:
            return super().query_count(query, filters, select_columns)
        inner = self._apply_inner_all(query, filters, select_columns=select_columns, aliases_mapping={})
        limited = inner.with_entities(self.obj.id).limit(cap + 1).subquery()
        count = self.session.query(func.count()).select_from(limited).scalar()
        return AtLeast(count) if count > cap else count

    def query(self, *args, **kwargs):
        count, rows = super().query(*args, **kwargs)
        unit_ids = {int(value) for event in rows for key, value in (event.detail or {}).items()
                    if key in UNIT_KEYS and str(value).isdigit()}
        if unit_ids:  # into the session's identity map, where value_text's db.session.get finds them
            db.session.query(Unit).filter(Unit.id.in_(unit_ids)).all()
        return count, rows

    @staticmethod
    def _get_attr_value(item, col):
        if col in ("detail", "actor_name"):
            return item
        return PortalInterface._get_attr_value(item, col)


def result_label(code):
    return RESULTS.get(code, code)


class AuditEventView(PortalModelView):
    """审计日志: the audit administrator (审计员) filters it by who, action, time range, result and address, and
    exports what the filters select to Excel (itself audited)."""

    route_base = "/audit"
    datamodel = AuditInterface(AuditEvent)
    class_permission_name = "AuditEvent"
    include_route_methods = {"list", "show", "export"}
    method_permission_name = {"list": "read", "show": "read", "export": "read"}
    list_template = "audit/list.html"
    list_title = _l("审计日志")
    show_title = _l("审计记录")
    base_order = ("id", "desc")
    label_columns = {
        "at": _l("时间"),
        "actor_name": _l("操作人"),
        "ip": _l("来源 IP"),
        "action": _l("操作"),
        "result": _l("结果"),
        "object_type": _l("对象类型"),
        "object_id": _l("对象编号"),
        "object_label": _l("对象"),
        "detail": _l("详情"),
    }
    list_columns = ["at", "actor_name", "ip", "action", "result", "object_type", "object_label", "detail"]
    show_columns = ["at", "actor_name", "ip", "action", "result", "object_type", "object_id", "object_label", "detail"]
    search_columns = ["at", "actor_name", "action", "result", "object_type", "object_label", "ip"]
    formatters_columns = {"action": action_label, "object_type": object_type_label, "actor_name": actor_label,
                          "detail": detail_html, "result": result_label}

    @expose("/list/")
    @has_access
    def list(self):
        g.audit_count_cap = LIST_COUNT_CAP  # this request's list only: the export counts what it exports
        return super().list()

    def render_template(self, template, **kwargs):
        if template == self.list_template:
            kwargs["export_query"] = request.query_string.decode("latin-1")
            kwargs["results"] = RESULTS
        return super().render_template(template, **kwargs)

    @expose("/export.xlsx", methods=["GET", "POST"])
    @has_access
    def export(self):
        """What the list's filters select (same query string), newest first, as Excel: a background job
        (export_audit_log below, in the stand-in request that carries this query string), started by a POST; a
        GET answers with the page whose button does (app/views/jobs.offer)."""
        if request.method == "GET":
            return offer(self, _("导出审计日志"))
        job = jobs.start(current_user, AUDIT_EXPORT, _("导出审计日志"))
        return redirect(url_for("JobView.show", job_id=job.id))

    def selected_ids(self):
        """The ids of the events the request's list filters select, newest first, and the filters."""
        filters = self.datamodel.get_filters(self.search_columns)
        get_filter_args(filters)
        joined = filters.get_joined_filters(self._base_filters)
        query = self.datamodel.apply_all(db.session.query(AuditEvent), joined, "id", "desc")
        return [event_id for (event_id,) in query.with_entities(AuditEvent.id)], filters


AUDIT_EXPORT = "export.audit"
EXPORT_BATCH = 1000


@jobs.handler(AUDIT_EXPORT)
def export_audit_log(work: jobs.Work) -> jobs.Outcome:
    """Every event the filters select (no cap: the worker has the time), read a batch at a time by id so that no
    cursor stays open while progress is written."""
    view = next(v for v in current_app.appbuilder.baseviews if isinstance(v, AuditEventView))
    ids, filters = view.selected_ids()
    total = len(ids)
    work.progress(0, total, force=True)
    labels = view.label_columns
    heads = [(str(labels[c]), w) for c, w in (
        ("at", 20), ("actor_name", 24), ("ip", 16), ("action", 18), ("result", 6), ("object_type", 10),
        ("object_label", 30), ("detail", 60))]

    def cells():
        for start in range(0, total, EXPORT_BATCH):
            chunk = ids[start:start + EXPORT_BATCH]
            events = {e.id: e for e in db.session.scalars(select(AuditEvent).where(AuditEvent.id.in_(chunk)))}
            for event_id in chunk:
                e = events.get(event_id)
                if e is None:
                    continue
                yield [format_time(e.at), actor_label(e), e.ip or "", str(action_label(e.action)),
                       str(result_label(e.result)), str(object_type_label(e.object_type)), e.object_label or "",
                       "；".join(f"{label}：{text}" for label, text in detail_lines(e))]
            work.progress(min(start + EXPORT_BATCH, total), total)

    caption = _("审计日志（%(count)s 条，按时间倒序）", count=total)
    path = work.path("xlsx")
    n = exports.write_table(_("审计日志"), heads, cells(), str(path), caption=caption)
    audit.record("export.audit", "audit_event", None, "", rows=n,
                 filters=[[column, "、".join(map(str, value if isinstance(value, list) else [value]))[:64]]
                          for column, _name, value in filters.get_filters_values_tojson()])
    db.session.commit()
    today = work.job.created_at.date()
    return jobs.Outcome(path=path, download_name=exports.xlsx_name(_("审计日志"), "", today.strftime("%Y-%m-%d")),
                        ascii_name=f"audit-{today:%Y-%m-%d}.xlsx", mimetype=exports.XLSX_MIMETYPE)
