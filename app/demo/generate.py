"""`flask demo generate`: a campaign's worth of applications for 专家评审, already reported by the first-level units,
with experts, panels and a few conflicts, so that the city office can take 初审 and 复审 through to 拟评选名单.

Data, not workflow: rows are written in bulk as the chain would have written them — the applicant's 提交, the
street's 推荐 with its 推荐意见 and 提交, the district's 推荐 with its 推荐意见 and 上报 — with times inside the
campaign's windows, so that experts read both units' opinions. Every application is 'reported'.

Applicants get accounts (username = their mobile, as citizens sign in), streets and districts get clerk accounts
when they have none, so the history names real accounts. One portrait and one short video are generated and stored
once; every generated row refers to the same two files (reported applications are never edited by their applicant,
so no replacement ever deletes a file another row still names).

Experts: accounts with role 专家 (password DEMO_PASSWORD, no forced change), Expert rows with employers — one per
初审 panel works for a first-level unit that panel reviews (a conflict by employer) — panels for 初审 splitting the
first-level units (the last panel takes the rest), one 复审 panel with every expert, and a few declared conflicts
(with a street, with one applicant). A campaign whose rounds already have panels keeps them: the new experts join
them.

A campaign is generated once: a second run is refused unless `force` (then another batch is added).
"""
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import insert, select
from stdnum.cn import ric
from werkzeug.security import generate_password_hash

from app import audit, clock, roles, rounds, schedule, storage
from app.accounts import placeholder_email
from app.demo import applications as demo_apps
from app.extensions import db
from app.models import (
    Account,
    Application,
    ApplicationEvent,
    ApplicationStatus,
    AuditEvent,
    Campaign,
    Expert,
    ExpertConflict,
    ExpertPanel,
    ExpertPanelMember,
    ExpertPanelUnit,
    Stage,
    Unit,
    UnitSubmission,
)
from app.phones import normalize_mobile

S = ApplicationStatus
AUDIT_ACTION = "demo.generate"
MIN_EXPERTS = 8  # 复审 needs 5 experts per application, and some experts are conflicted
SEED = 2027

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
            "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宁浩凯健俊帆志国建文博宇晨阳旭东立新海峰振"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀玲桂英华红梅琳雪婷慧颖洁倩晶蓉欣怡悦佳雅琪瑶璐萍燕琴兰"
# Area codes of places of birth (the first six digits of the ID number): Beijing's districts mostly.
ORIGINS = ("110101", "110102", "110105", "110106", "110107", "110108", "110109", "110111", "110112", "110113",
           "110114", "110115", "110116", "110117", "110118", "110119", "130102", "120103", "310104", "320106",
           "410105", "510107", "350102", "210102")
# (work unit pattern, position): {area} is the applicant's first-level unit, {brand} a company name.
JOBS = (
    ("{area}某社区居委会", "社区工作者"), ("北京{brand}科技有限公司", "软件工程师"), ("{area}某小学", "语文教师"),
    ("{area}某中学", "物理教师"), ("{area}某社区卫生服务中心", "全科医生"), ("北京{brand}物业服务有限公司", "电工班长"),
    ("{area}某图书馆", "馆员"), ("北京{brand}餐饮有限公司", "厨师长"), ("{area}某文化馆", "群众文化辅导员"),
    ("北京{brand}出租汽车有限公司", "出租车驾驶员"), ("{area}某幼儿园", "园长"), ("北京{brand}快递服务有限公司", "快递员"),
    ("北京{brand}建筑设计有限公司", "建筑师"), ("{area}某养老驿站", "护理员"), ("北京{brand}银行某支行", "客户经理"),
    ("{area}某街道办事处（退休）", "退休干部"), ("北京{brand}制药有限公司", "质检员"), ("{area}某医院", "主管护师"),
)
INSTITUTION_JOBS = (("{area}机关服务中心", "职工"), ("{area}图书馆", "馆员"), ("{area}继续教育学院", "教师"),
                    ("{area}后勤保障处", "技术员"), ("{area}工会", "干事"))
BRANDS = ("华信", "联创", "博远", "天成", "恒达", "瑞丰", "金桥", "新元", "锦程", "泰和", "宏图", "中和", "安泰", "康宁")
PURSUITS = (
    "坚持每天学习一小时，系统学习人工智能课程", "利用业余时间系统学习心理学", "退休后坚持学习短视频制作和科普写作",
    "坚持学习英语口语和北京历史文化", "参加社会工作专业自学考试", "坚持学习老年护理与康复知识",
    "坚持学习中医药适宜技术和全科医学新知", "跟着社区学校学习书法和传统文化", "在老年大学学习摄影和数字影像处理",
    "坚持学习建筑信息模型技术", "坚持学习儿童文学和阅读指导", "坚持学习金融知识和防范电信诈骗知识",
    "坚持学习非遗保护知识", "坚持学习营养学和烹饪技艺", "坚持学习法律知识，备考法律职业资格",
)
FEATS = (
    "在社区开设读书沙龙三十余期，带动两百余位居民参加", "取得本科学历和中级职业资格证书",
    "制作的科普短视频累计播放逾十万次", "为社区老人开设智能手机课堂四十余场",
    "编写的学习手册在街道推广使用", "带出徒弟二十余名，多人取得高级工证书", "在区级技能比赛中获得一等奖",
    "组建社区学习小组，成员从五人发展到六十余人", "撰写学习心得十余万字，多篇在报刊发表",
)
# 复审/初审 experts' employers (none of them a portal unit's name, nor inside any generated work unit).
EMPLOYERS = ("首都师范大学", "北京教育科学研究院", "北京市社区教育指导中心", "首都图书馆", "北京联合大学",
             "北京工业大学", "中国社会科学院", "北京市终身学习促进会", "北京语言大学", "首都经济贸易大学",
             "北京城市学院", "北京市委党校")
FIELDS = ("终身教育", "社区教育", "成人教育", "教育学", "社会学", "职业教育", "阅读推广", "心理学", "老年教育")


class GenerateError(Exception):
    """Refused (Chinese message)."""


@dataclass
class Generated:
    campaign: Campaign
    applications: int = 0
    experts: list = field(default_factory=list)  # (username, name, employer, panel)
    panels: list = field(default_factory=list)  # (round label, panel name, members, units)
    conflicts: list = field(default_factory=list)  # text
    clerks: int = 0
    units: int = 0
    seconds: float = 0.0


def already_generated(campaign: Campaign) -> bool:
    return db.session.query(AuditEvent.id).filter(
        AuditEvent.action == AUDIT_ACTION, AuditEvent.object_type == "campaign",
        AuditEvent.object_id == str(campaign.id)).first() is not None


def _campaign(name: str | None) -> Campaign:
    if name:
        found = db.session.query(Campaign).filter_by(name=name).one_or_none()
        if found is not None:
            return found
    else:
        found = schedule.current_campaign()
        if found is not None:
            return found
        name = f"{clock.now().year}年生成批次"
    campaign = Campaign(name=name, year=clock.now().year, winner_quota=100, featured_quota=10)
    schedule.ensure_windows(campaign)
    db.session.add(campaign)
    db.session.flush()
    return campaign


def _eligible_streets(campaign: Campaign) -> list[Unit]:
    """Second-level units of districts with no work in progress in the campaign: the generator never reports for a
    unit whose clerks still have applications to decide or submit (the demo's own clerks keep theirs)."""
    waiting = {S.DRAFT.value, S.SUBMITTED.value, S.RETURNED.value, S.L2_RECOMMENDED.value,
               S.L2_NOT_RECOMMENDED.value, S.L2_FORWARDED.value, S.L1_RECOMMENDED.value, S.L1_NOT_RECOMMENDED.value}
    busy = {parent for (parent,) in db.session.query(Unit.parent_id).join(Application, Application.unit_id == Unit.id)
            .filter(Application.campaign_id == campaign.id, Application.status.in_(waiting))}
    streets = (db.session.query(Unit).filter(Unit.level == 2, Unit.parent_id.notin_(busy or {0}))
               .order_by(Unit.id).all())
    return streets


def _names(rng: random.Random, gender: str) -> str:
    given = GIVEN_MALE if gender == "male" else GIVEN_FEMALE
    return rng.choice(SURNAMES) + "".join(rng.choice(given) for _ in range(rng.choice((1, 2, 2))))


class _Unique:
    """Mobiles, ID numbers and usernames not yet taken (in the database or in this run)."""

    def __init__(self, campaign: Campaign):
        self.usernames = {u for (u,) in db.session.query(Account.username)}
        self.phones = {p for (p,) in db.session.query(Account.phone).filter(Account.phone.isnot(None))}
        self.ids = {i for (i,) in db.session.query(Application.id_number).filter(
            Application.campaign_id == campaign.id, Application.id_number.isnot(None))}

    def mobile(self, rng) -> str:
        while True:
            number = rng.choice(demo_apps.MOBILE_PREFIXES) + f"{rng.randrange(10 ** 8):08d}"
            if number in self.usernames or number in self.phones:
                continue
            if normalize_mobile(number) != number:
                continue
            self.usernames.add(number)
            self.phones.add(number)
            return number

    def id_number(self, rng, gender: str, born: date) -> str:
        while True:
            sequence = rng.randrange(0, 500) * 2 + (1 if gender == "male" else 0)
            body = f"{rng.choice(ORIGINS)}{born:%Y%m%d}{sequence:03d}"
            number = body + ric.calc_check_digit(body + "0")  # stdnum wants a placeholder check digit
            if number not in self.ids:
                self.ids.add(number)
                return number

    def username(self, wanted: str) -> str:
        name, n = wanted, 1
        while name in self.usernames:
            n += 1
            name = f"{wanted}-{n}"
        self.usernames.add(name)
        return name


def _deeds(rng: random.Random, name: str, gender: str, position: str, work_unit: str) -> str:
    he = "他" if gender == "male" else "她"
    fields = dict(name=name, pursuit=rng.choice(PURSUITS), position=position, work_unit=work_unit,
                  years=rng.randint(3, 25), he=he)
    parts = [rng.choice(demo_apps.OPENINGS), rng.choice(demo_apps.MOTIVES), *rng.sample(demo_apps.PRACTICES, 2),
             f"{{he}}的努力取得了实实在在的成果：{rng.choice(FEATS)}。", rng.choice(demo_apps.SHARINGS),
             rng.choice(demo_apps.CLOSINGS)]
    return "".join(part.format(**fields) for part in parts)


def _window(campaign: Campaign, stage: Stage) -> tuple[datetime, datetime]:
    window = campaign.window(stage)
    return window.starts_at, window.ends_at


def _clerks(units: list[Unit], level: int, unique: _Unique, rng, hashed: str, role) -> tuple[dict, int]:
    """unit id -> a clerk account of that unit (an existing one, else one made here)."""
    role_name = roles.L2_CLERK if level == 2 else roles.L1_CLERK
    found = {}
    for account in (db.session.query(Account).filter(Account.unit_id.in_([u.id for u in units]))
                    .order_by(Account.id)):
        if account.unit_id not in found and any(r.name == role_name for r in account.roles):
            found[account.unit_id] = account
    made = []
    for unit in units:
        if unit.id in found:
            continue
        if unit.code and (level == 1 or (unit.parent is not None and unit.parent.code)):
            wanted = (f"l1-{unit.code}" if level == 1 else f"l2-{unit.parent.code}-{unit.code}")
        else:
            wanted = f"l{level}-unit{unit.id}"
        username = unique.username(wanted)
        account = Account(username=username, first_name=_names(rng, rng.choice(("male", "female"))), last_name="",
                          email=placeholder_email(username), active=True, password=hashed, unit=unit, roles=[role])
        found[unit.id] = account
        made.append(account)
    db.session.add_all(made)
    return found, len(made)


def generate(n_applications: int, n_experts: int | None = None, campaign_name: str | None = None,
             force: bool = False, password: str | None = None, seed: int = SEED) -> Generated:
    """Fill a campaign (see the module's docstring); commits. Raises GenerateError with a Chinese message."""
    import time

    started = time.perf_counter()
    if n_applications < 1:
        raise GenerateError("报名数须为正整数")
    n_experts = n_experts if n_experts is not None else max(12, n_applications // 25)
    if n_experts < MIN_EXPERTS:
        raise GenerateError(f"专家至少 {MIN_EXPERTS} 位：复审每份申报需 5 位专家评审，另有专家需回避")
    password = password or current_app.config["DEMO_PASSWORD"]
    sm = current_app.appbuilder.sm
    rng = random.Random(seed)
    session = db.session
    if session.query(Unit.id).first() is None:
        from app.demo import load_units

        load_units()
        session.flush()
    campaign = _campaign(campaign_name)
    if already_generated(campaign) and not force:
        raise GenerateError(f"评选批次「{campaign.name}」已生成过评审数据；如需再追加一批，请加 --force")
    streets = _eligible_streets(campaign)
    if not streets:
        raise GenerateError("没有可用的二级单位：各一级单位都还有未办完的报名，或者系统中没有二级单位")
    result = Generated(campaign)
    unique = _Unique(campaign)
    hashed = generate_password_hash(password)
    applicant_role, expert_role = sm.find_role(roles.APPLICANT), sm.find_role(roles.EXPERT)

    session.info["audit_suppressed"] = True  # one audit event for the whole run, not one per account
    try:
        # Where each application comes from: a handful of districts carry most, as in a real campaign.
        districts = sorted({s.parent_id for s in streets})
        weight = {d: rng.choice((1, 1, 2, 3, 5)) for d in districts}
        by_district: dict[int, list[Unit]] = {}
        for s in streets:
            by_district.setdefault(s.parent_id, []).append(s)
        chosen_districts = rng.choices(districts, weights=[weight[d] for d in districts], k=n_applications)
        placed = [rng.choice(by_district[d]) for d in chosen_districts]
        used_streets = sorted({s.id: s for s in placed}.values(), key=lambda u: u.id)
        used_districts = sorted({s.parent.id: s.parent for s in placed}.values(), key=lambda u: u.id)
        street_clerks, made2 = _clerks(used_streets, 2, unique, rng, hashed, sm.find_role(roles.L2_CLERK))
        district_clerks, made1 = _clerks(used_districts, 1, unique, rng, hashed, sm.find_role(roles.L1_CLERK))
        result.clerks, result.units = made1 + made2, len(used_streets)

        tmp = storage.root() / "tmp"
        tmp.mkdir(exist_ok=True)
        photo = storage.store_bytes(demo_apps.portrait_jpeg(), "photo", "jpg")
        video_bytes, video_seconds = demo_apps.video_mp4(tmp)
        video = storage.store_bytes(video_bytes, "video", "mp4")

        apply_start, apply_end = _window(campaign, Stage.APPLY)
        l2_start, l2_end = _window(campaign, Stage.L2_REVIEW)
        l1_start, l1_end = _window(campaign, Stage.L1_REVIEW)
        l2_submitted_at = {s.id: l2_end - timedelta(days=1, hours=rng.randint(1, 40)) for s in used_streets}
        l1_reported_at = {d.id: l1_end - timedelta(hours=rng.randint(2, 30)) for d in used_districts}

        people, applicants = [], []
        for unit in placed:
            gender = rng.choice(("male", "female"))
            name = _names(rng, gender)
            born = date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28))
            mobile = unique.mobile(rng)
            if unit.parent.category == "district":
                pattern, position = rng.choice(JOBS)
            else:  # a commission, a university, a school: someone working there
                pattern, position = rng.choice(INSTITUTION_JOBS)
            work_unit = pattern.format(area=unit.parent.name, brand=rng.choice(BRANDS))
            people.append((unit, gender, name, born, mobile, work_unit, position))
            applicants.append(Account(username=mobile, first_name=name, last_name="", email=placeholder_email(mobile),
                                      active=True, password=hashed, phone=mobile, roles=[applicant_role]))
        session.add_all(applicants)
        session.flush()

        rows, events = [], []
        apply_days = max(1, (apply_end - apply_start).days - 1)
        for (unit, gender, name, born, mobile, work_unit, position), applicant in zip(people, applicants):
            submitted_at = apply_start + timedelta(days=rng.randrange(apply_days), hours=rng.randint(8, 21),
                                                   minutes=rng.randrange(60))
            rows.append(dict(
                campaign_id=campaign.id, applicant_id=applicant.id, status=S.REPORTED.value, name=name,
                gender=gender, birth_date=born, id_number=unique.id_number(rng, gender, born), mobile=mobile,
                work_unit=work_unit, position=position,
                address=f"北京市{unit.parent.name}{rng.choice(('幸福', '和平', '光明', '育新', '安华', '团结'))}路"
                        f"{rng.randint(1, 99)}号院{rng.randint(1, 12)}号楼{rng.randint(1, 6)}单元{rng.randint(101, 1806)}室",
                is_permanent_resident=True, unit_id=unit.id, deeds=_deeds(rng, name, gender, position, work_unit),
                declaration_confirmed=True, photo_file=photo, photo_original_name=f"{name}一寸照.jpg",
                video_file=video, video_original_name=f"{name}学习分享.mp4", video_size=len(video_bytes),
                video_duration=video_seconds, created_at=submitted_at - timedelta(days=1, hours=2),
                updated_at=l1_reported_at[unit.parent_id], submitted_at=submitted_at,
            ))
        ids = session.scalars(insert(Application).returning(Application.id, sort_by_parameter_order=True),
                              rows).all()
        submissions = {}
        for application_id, row, applicant, street in zip(ids, rows, applicants, placed):
            street_clerk, district_clerk = street_clerks[street.id], district_clerks[street.parent_id]
            l2_at = l2_start + timedelta(days=rng.randint(0, max(0, (l2_end - l2_start).days - 3)),
                                         hours=rng.randint(9, 17), minutes=rng.randrange(60))
            l1_at = l1_start + timedelta(days=rng.randint(0, max(0, (l1_end - l1_start).days - 3)),
                                         hours=rng.randint(9, 17), minutes=rng.randrange(60))
            chain = [
                (row["submitted_at"], applicant, None, "submit", S.DRAFT, S.SUBMITTED, None),
                (l2_at, street_clerk, street.id, "l2_recommend", S.SUBMITTED, S.L2_RECOMMENDED,
                 rng.choice(demo_apps.L2_YES)),
                (l2_submitted_at[street.id], street_clerk, street.id, "l2_submit", S.L2_RECOMMENDED, S.L2_FORWARDED,
                 None),
                (l1_at, district_clerk, street.parent_id, "l1_recommend", S.L2_FORWARDED, S.L1_RECOMMENDED,
                 rng.choice(demo_apps.L1_YES)),
                (l1_reported_at[street.parent_id], district_clerk, street.parent_id, "l1_report", S.L1_RECOMMENDED,
                 S.REPORTED, None),
            ]
            for at, actor, unit_id, action, source, target, opinion in chain:
                events.append(dict(application_id=application_id, at=at, actor_id=actor.id,
                                   actor_name=actor.username, unit_id=unit_id, action=action,
                                   from_status=source.value, to_status=target.value, opinion=opinion))
            for unit_id, level, at, clerk in ((street.id, 2, l2_submitted_at[street.id], street_clerk),
                                              (street.parent_id, 1, l1_reported_at[street.parent_id], district_clerk)):
                submissions.setdefault(unit_id, [level, at, clerk, 0])[3] += 1
        session.execute(insert(ApplicationEvent), events)
        existing = {s.unit_id: s for s in session.query(UnitSubmission).filter(
            UnitSubmission.campaign_id == campaign.id, UnitSubmission.unit_id.in_(list(submissions)))}
        for unit_id, (level, at, clerk, count) in submissions.items():
            if unit_id in existing:
                existing[unit_id].recommended += count
            else:
                session.add(UnitSubmission(campaign_id=campaign.id, unit_id=unit_id, level=level, at=at,
                                           actor_id=clerk.id, actor_name=clerk.username, recommended=count,
                                           not_recommended=0))
        result.applications = len(ids)

        _experts(result, campaign, n_experts, used_districts, used_streets, ids, unique, rng, hashed, expert_role)
        session.flush()
    finally:
        session.info.pop("audit_suppressed", None)
    audit.record(AUDIT_ACTION, "campaign", campaign.id, campaign.name, generated_applications=result.applications,
                 generated_experts=len(result.experts))
    session.commit()
    result.seconds = time.perf_counter() - started
    return result


def _experts(result: Generated, campaign, n_experts, districts, streets, application_ids, unique, rng, hashed,
             role) -> None:
    session = db.session
    taken = {u for u in unique.usernames if u.startswith("expert") and u[6:].isdigit()}
    number = max((int(u[6:]) for u in taken), default=0)
    accounts, experts = [], []
    for i in range(n_experts):
        number += 1
        username = unique.username(f"expert{number}")
        gender = rng.choice(("male", "female"))
        phone = unique.mobile(rng)
        account = Account(username=username, first_name=_names(rng, gender), last_name="",
                          email=placeholder_email(username), active=True, password=hashed, phone=phone,
                          roles=[role])
        accounts.append(account)
        experts.append(Expert(account=account, employer=EMPLOYERS[i % len(EMPLOYERS)], field=rng.choice(FIELDS)))
    session.add_all(accounts + experts)
    session.flush()

    initial = rounds.round_for(campaign, Stage.INITIAL_REVIEW)
    final = rounds.round_for(campaign, Stage.FINAL_REVIEW)
    city = (session.query(Account).filter(Account.roles.any(name=roles.CITY_OFFICE)).order_by(Account.id).first())
    declared_by = city.id if city is not None else None

    existing = session.query(ExpertPanel).filter(ExpertPanel.round_id == initial.id).order_by(ExpertPanel.id).all()
    if existing:
        panels = [(p, [u.unit_id for u in p.units]) for p in existing]
        for i, expert in enumerate(experts):
            panel = panels[i % len(panels)][0]
            session.add(ExpertPanelMember(panel_id=panel.id, round_id=initial.id, expert=expert))
        if all(units for _p, units in panels):  # no panel takes "the rest": the new districts go to the first
            covered = {u for _p, units in panels for u in units}
            for d in districts:
                if d.id not in covered:
                    session.add(ExpertPanelUnit(panel_id=panels[0][0].id, round_id=initial.id, unit_id=d.id))
        groups = [[e for j, e in enumerate(experts) if j % len(panels) == i] for i in range(len(panels))]
        units_of = [[session.get(Unit, u) for u in units] for _p, units in panels]
        panel_rows = [p for p, _u in panels]
    else:
        k = max(1, min(3, n_experts // 5))
        groups = [experts[i::k] for i in range(k)]
        # The districts by how many applications they carry; the first k-1 panels take named districts up to
        # their share, the last panel (no units) every other application.
        counts: dict[int, int] = {}
        street_parent = {s.id: s.parent_id for s in streets}
        for (unit_id,) in session.query(Application.unit_id).filter(Application.id.in_(application_ids)):
            counts[street_parent[unit_id]] = counts.get(street_parent[unit_id], 0) + 1
        order = sorted(districts, key=lambda d: (-counts.get(d.id, 0), d.id))
        share = len(application_ids) / k
        units_of, i, load = [[] for _ in range(k)], 0, 0
        for d in order:
            if i >= k - 1:
                break
            units_of[i].append(d)
            load += counts.get(d.id, 0)
            if load >= share * (i + 1):
                i += 1
        names = ("初审第一组", "初审第二组", "初审第三组")
        panel_rows = []
        for i in range(k):
            panel = ExpertPanel(round=initial, name=names[i])
            session.add(panel)
            session.flush()
            with session.no_autoflush:
                panel.members = [ExpertPanelMember(panel_id=panel.id, round_id=initial.id, expert=e)
                                 for e in groups[i]]
                panel.units = [ExpertPanelUnit(panel_id=panel.id, round_id=initial.id, unit=u) for u in units_of[i]]
            panel_rows.append(panel)
        # The last panel takes the rest: the districts no other panel named.
        named = {d.id for units in units_of for d in units}
        units_of[k - 1] = [d for d in districts if d.id not in named]

    # Conflicts: in each panel one expert works for a district the panel reviews (by employer), and one declares a
    # conflict — with a street of the first panel, with one applicant elsewhere. At most two per panel: a panel of
    # five still has three experts for every application.
    for i, group in enumerate(groups):
        units = [u for u in units_of[i] if u is not None]
        if len(group) >= 4 and units:
            employed = group[1]
            employed.employer_unit = units[0]
            employed.employer = (f"{units[0].name}学习型城市建设领导小组办公室" if units[0].category == "district"
                                 else units[0].name)
            result.conflicts.append(f"{employed.account.first_name}（{employed.account.username}）工作单位为"
                                    f"「{units[0].name}」，回避该单位的申报人")
        if len(group) >= 5:
            declarer = group[2]
            if i == 0:
                street = next((s for s in streets if any(s.parent_id == u.id for u in units)), None)
                if street is not None:
                    session.add(ExpertConflict(expert=declarer, unit=street, reason="曾在该街道挂职",
                                               declared_by_id=declared_by))
                    result.conflicts.append(f"{declarer.account.first_name}（{declarer.account.username}）"
                                            f"声明回避「{street.parent.name}{street.name}」")
            else:
                target = session.get(Application, application_ids[(i * 7919) % len(application_ids)])
                session.add(ExpertConflict(expert=declarer, application=target, reason="与申报人系亲属",
                                           declared_by_id=declared_by))
                result.conflicts.append(f"{declarer.account.first_name}（{declarer.account.username}）"
                                        f"声明回避申报人「{target.name}」")

    finals = session.query(ExpertPanel).filter(ExpertPanel.round_id == final.id).order_by(ExpertPanel.id).all()
    if finals:
        final_panel = next((p for p in finals if not p.units), finals[0])
        for expert in experts:
            session.add(ExpertPanelMember(panel_id=final_panel.id, round_id=final.id, expert=expert))
    else:
        final_panel = ExpertPanel(round=final, name="复审专家组")
        session.add(final_panel)
        session.flush()
        # Everyone: the new experts and those already in this campaign's 初审 panels.
        members = {e.id: e for e in experts}
        for member in session.query(ExpertPanelMember).filter(ExpertPanelMember.round_id == initial.id):
            members.setdefault(member.expert_id, member.expert)
        with session.no_autoflush:
            final_panel.members = [ExpertPanelMember(panel_id=final_panel.id, round_id=final.id, expert=e)
                                   for e in members.values()]
    panel_of = {e.id: p.name for p, group in zip(panel_rows, groups) for e in group}
    result.experts = [(e.account.username, e.account.first_name, e.employer, panel_of.get(e.id, ""))
                      for e in experts]
    session.flush()
    for panel, units in zip(panel_rows + [final_panel], units_of + [None]):
        size = session.query(ExpertPanelMember).filter(ExpertPanelMember.panel_id == panel.id).count()
        if units is None:
            where = "全部申报"
        elif not panel.units:
            where = "其余各单位（未分给其他组的）"
        else:
            where = "、".join(pu.unit.name for pu in panel.units)
        result.panels.append((str(panel.round.stage_label), panel.name, size, where))
