"""The Chinese names of the models' fields, one dict per model, shared by the screens (app/views/) and the REST API
(app/api/), so a column is called the same on a page, in `/api/v1/…/_info` and in a list's `label_columns`."""
from flask_babel import lazy_gettext as _l

UNIT = {
    "id": _l("编号"),
    "name": _l("单位名称"),
    "category": _l("类别"),
    "category_label": _l("类别"),
    "level": _l("级别"),
    "level_label": _l("级别"),
    "parent": _l("所属一级单位"),
    "parent_id": _l("所属一级单位编号"),
    "parent_level": _l("所属一级单位级别"),
    "code": _l("代码"),
    "contact_name": _l("联系人"),
    "contact_phone": _l("联系电话"),
    "children": _l("二级单位"),
    "accounts": _l("账号"),
    "created_at": _l("创建时间"),
}

CAMPAIGN = {
    "id": _l("编号"),
    "name": _l("批次名称"),
    "year": _l("年度"),
    "winner_quota": _l("拟评选人数"),
    "featured_quota": _l("重点宣传人数"),
    "created_at": _l("创建时间"),
    "windows": _l("时间安排"),
    "approval": _l("审核决定"),  # the leading group's decision (CampaignApproval), once recorded
}

STAGE_WINDOW = {
    "id": _l("编号"),
    "campaign": _l("评选批次"),
    "campaign_id": _l("评选批次编号"),
    "stage": _l("阶段"),
    "stage_label": _l("阶段"),
    "position": _l("顺序"),
    "starts_at": _l("开始时间（北京时间）"),
    "ends_at": _l("截止时间（北京时间）"),
    "status": _l("状态"),
}

APPLICATION = {
    "id": _l("编号"),
    "campaign": _l("评选批次"),
    "campaign_id": _l("评选批次编号"),
    "applicant": _l("申报人账号"),
    "applicant_id": _l("申报人账号编号"),
    "name": _l("姓名"),
    "gender": _l("性别"),
    "gender_label": _l("性别"),
    "birth_date": _l("出生日期"),
    "id_number": _l("居民身份证号"),
    "mobile": _l("手机号码"),
    # app/masking.py: what the review API and lists show of the two.
    "id_number_masked": _l("居民身份证号（隐去中间位）"),
    "mobile_masked": _l("手机号码（隐去中间位）"),
    "media_purged_at": _l("照片和视频删除时间"),
    "work_unit": _l("工作单位"),
    "position": _l("职务"),
    "address": _l("住址"),
    "is_permanent_resident": _l("北京市常住居民"),
    "unit": _l("推荐单位"),
    "unit_id": _l("推荐单位编号"),
    "first_level_unit": _l("一级单位"),
    "deeds": _l("个人先进事迹"),
    "declaration_confirmed": _l("已承诺信息真实"),
    "photo_file": _l("照片"),
    "photo_original_name": _l("照片文件名"),
    "video_file": _l("视频"),
    "video_original_name": _l("视频文件名"),
    "video_size": _l("视频大小（字节）"),
    "video_duration": _l("视频时长（秒）"),
    "video_warning": _l("视频提醒"),
    "status": _l("状态"),
    "status_display": _l("状态"),
    "submitted_at": _l("提交时间"),
    "created_at": _l("创建时间"),
    "updated_at": _l("修改时间"),
    "events": _l("办理记录"),
}

# An application's history rows (application_event), as the history table on the pages heads them.
APPLICATION_EVENT = {
    "at": _l("时间"),
    "actor_name": _l("办理人"),
    "unit": _l("单位"),
    "action": _l("操作"),
    "opinion": _l("意见"),
}


def nested(prefix: str, labels: dict) -> dict:
    """Labels of a related model's columns as a REST API names them: `events.opinion`."""
    return {f"{prefix}.{key}": value for key, value in labels.items()}

REVIEW_ASSIGNMENT = {
    "id": _l("编号"),
    "round": _l("评审轮次"),
    "round_id": _l("评审轮次"),
    "campaign_id": _l("评选批次"),
    "application": _l("申报"),
    "application_id": _l("申报"),
    "application.name": _l("申报人"),
    "expert": _l("专家"),
    "expert_id": _l("专家"),
    "status": _l("状态"),
    "comment": _l("评审意见"),
    "total": _l("加权得分"),
    "scores": _l("各项评分"),
    "declined_reason": _l("回避理由"),
    "assigned_at": _l("分配时间"),
    "updated_at": _l("更新时间"),
    "submitted_at": _l("提交时间"),
}

# 荣誉证书 (app/certificates.py): the screen 公示与表彰 → 荣誉证书 and /api/v1/certificate/.
CERTIFICATE = {
    "id": _l("编号"),
    "code": _l("证书编号"),
    "name": _l("姓名"),
    "title": _l("荣誉称号"),
    "featured": _l("重点宣传"),
    "campaign": _l("评选批次"),
    "campaign_id": _l("评选批次编号"),
    "campaign.name": _l("评选批次"),
    "application": _l("报名"),
    "application_id": _l("报名编号"),
    "issued_at": _l("颁发时间"),
    "revoked_at": _l("撤销时间"),
    "revoked_reason": _l("撤销理由"),
}

# 公示异议 (app/objections.py): the objection register of the city office, its screens, export and REST API.
OBJECTION = {
    "id": _l("编号"),
    "receipt_number": _l("回执编号"),
    "campaign": _l("评选批次"),
    "campaign_id": _l("评选批次编号"),
    "application": _l("异议对象（候选人）"),
    "application_id": _l("候选人报名编号"),
    "application.name": _l("候选人"),
    "candidate": _l("候选人"),
    "candidate_unit": _l("候选人推荐单位"),
    "objector_name": _l("异议人姓名"),
    "objector_phone": _l("异议人手机号码"),
    "objector_unit": _l("异议人工作单位或住址"),
    "facts": _l("异议的事实和理由"),
    "status": _l("办理状态"),
    "status_label": _l("办理状态"),
    "finding": _l("核实结论"),
    "finding_label": _l("核实结论"),
    "conclusion": _l("办理结论或不予受理理由"),
    "lodged_at": _l("提出时间"),
    "concluded_at": _l("办结时间"),
    "updated_at": _l("更新时间"),
    "events": _l("办理记录"),
}

# An objection's handling steps (objection_event).
OBJECTION_EVENT = {
    "at": _l("时间"),
    "actor_name": _l("办理人"),
    "action": _l("操作"),
    "from_status": _l("原状态"),
    "to_status": _l("新状态"),
    "note": _l("说明"),
}
