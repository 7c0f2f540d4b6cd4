"""`flask demo generate`: a campaign's worth of applications with their history, audit log, unit accounts,
experts, panels and a few conflicts, at the scale of a real city (issue 11: 100,000 applications, 400 streets).

Data, not workflow: rows are written in bulk (Core inserts of a few thousand rows each, no ORM object per row) as the
chain would have written them, each step with its history event and its audit event, inside the campaign's windows.
Where each application stands is planned by app/demo/spread.py: all reported (the rehearsal of 专家评审 and
`flask demo advance`), or spread like a real campaign seen during 一级单位推荐上报 (drafts, returns, streets' and
districts' decisions, late units).

Applicants get accounts (username = their mobile, as citizens sign in; one password hash shared by all), streets
and districts get clerk accounts when they have none, so the history names real accounts. One portrait and one
short video are generated and stored once; every generated row refers to the same two files (generated rows are
never edited by their applicant through the portal's media replacement, which would delete a file others name).

Experts: accounts with role 专家 (password DEMO_PASSWORD, no forced change), Expert rows with employers — one per
初审 panel works for a first-level unit that panel reviews (a conflict by employer) — panels for 初审 splitting the
first-level units (the last panel takes the rest), one 复审 panel with every expert, and a few declared conflicts
(with a street, with one applicant). A campaign whose rounds already have panels keeps them: the new experts join
them.

A campaign is generated once: a second run is refused unless `force` (then another batch is added).
"""
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import JSON, insert, text
from stdnum.cn import ric
from flask_appbuilder.security.sqla.models import assoc_user_role
from werkzeug.security import generate_password_hash

from app import audit, clock, roles, rounds, schedule, storage
from app.accounts import placeholder_email
from app.demo import applications as demo_apps
from app.demo.spread import (
    APPLICANT,
    CAMPAIGN,
    DISTRICT,
    REPORTED,
    SPREADS,
    STREET,
    Plan,
    Spread,
    UnitPlan,
    Windows,
    district_plan,
    plan,
    street_plan,
)
from app.extensions import db
from app.models import (
    Account,
    Application,
    ApplicationEvent,
    ApplicationStatus,
    ApplicationTally,
    AuditEvent,
    Campaign,
    Expert,
    ExpertConflict,
    ExpertPanel,
    ExpertPanelMember,
    ExpertPanelUnit,
    Stage,
    Unit,
    UnitCategory,
    UnitSubmission,
)
from app.phones import PhoneError, normalize_mobile

S = ApplicationStatus
AUDIT_ACTION = "demo.generate"
MIN_EXPERTS = 8  # 复审 needs 5 experts per application, and some experts are conflicted
SEED = 2027
MAX_DEFAULT_EXPERTS = 60  # issue 11 plans for 60 experts in a campaign of 100,000
BATCH = 5000  # rows per INSERT executemany: large enough to amortise, small enough to keep memory flat
PROGRESS_EVERY = 10_000
UNIT_ACTIONS = ("l2_submit", "l1_report")  # a unit's 提交/上报: one history event per application, one audit event

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
    spread: str = "reported"
    new_units: int = 0  # second-level units made for --streets
    events: int = 0  # history events written
    audit_events: int = 0
    statuses: Counter = field(default_factory=Counter)


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
            prefix = rng.choice(demo_apps.MOBILE_PREFIXES)
            number = prefix + f"{rng.randrange(10 ** 8):08d}"
            if number in self.usernames or number in self.phones:
                continue
            if not self._valid_prefix(prefix, number):
                continue
            self.usernames.add(number)
            self.phones.add(number)
            return number

    _prefixes: dict = {}

    @classmethod
    def _valid_prefix(cls, prefix: str, number: str) -> bool:
        """Checked with the portal's own normalize_mobile once per prefix, not per number (phonenumbers costs
        ~0.3 ms a number): mainland mobile validity is decided by the first three digits for these prefixes
        (phonenumbers' pattern 1(?:[38]\\d|4[57]|[59][0-35-9]|6[25-7]|7[0-35-8])\\d{8}); tests check every number."""
        if prefix not in cls._prefixes:
            try:
                cls._prefixes[prefix] = normalize_mobile(number) == number
            except PhoneError:
                cls._prefixes[prefix] = False
        return cls._prefixes[prefix]

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


def _windows(campaign: Campaign, spread: Spread) -> Windows:
    register_start, _ = _window(campaign, Stage.REGISTER)
    apply_start, apply_end = _window(campaign, Stage.APPLY)
    l2_start, l2_end = _window(campaign, Stage.L2_REVIEW)
    l1_start, l1_end = _window(campaign, Stage.L1_REVIEW)
    # The realistic campaign is seen three days before 上报 closes: some districts have reported, others not yet.
    as_of = l1_end if spread is REPORTED else l1_end - timedelta(days=3)
    return Windows(min(register_start, apply_start), apply_start, apply_end, l2_start, l2_end, l1_start, l1_end,
                   as_of)


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


# Names for the second-level units `--streets` adds under the districts: towns (镇), areas (地区) and streets.
PLACE_WORDS = ("永安", "和平", "新华", "长青", "金台", "安贞", "广源", "青云", "双桥", "南苑", "北湖", "东坝", "西山",
               "清河", "白塔", "兴隆", "太平", "福海", "康乐", "春晖", "明德", "瑞安", "鼎新", "嘉园", "丰泽", "怡和",
               "桃园", "柳林", "榆树", "杏坛")
PLACE_KINDS = ("街道", "镇", "地区", "乡")


def _add_streets(wanted: int, rng: random.Random) -> int:
    """Second-level units under the districts until there are `wanted` in all (issue 11 plans for 400); returns how
    many were made. Names are unique under each district, codes gen<n>."""
    session = db.session
    have = session.query(Unit).filter(Unit.level == 2).count()
    if have >= wanted:
        return 0
    districts = (session.query(Unit).filter(Unit.level == 1, Unit.category == UnitCategory.DISTRICT.value)
                 .order_by(Unit.id).all())
    if not districts:
        raise GenerateError("系统中没有区级一级单位，无法补充二级单位")
    taken = {(parent, name) for parent, name in session.query(Unit.parent_id, Unit.name).filter(Unit.level == 2)}
    made = 0
    names = [w + k for k in PLACE_KINDS for w in PLACE_WORDS]
    for i in range(wanted - have):
        district = districts[i % len(districts)]
        name = next((n for n in rng.sample(names, len(names)) if (district.id, n) not in taken), None)
        if name is None:
            name = f"{district.name}第{i + 1}社区"
        taken.add((district.id, name))
        session.add(Unit(name=name, code=f"gen{have + i + 1}", parent=district))
        made += 1
    session.flush()
    return made


def _unit_plans(units: list[Unit], level: int, campaign: Campaign, spread: Spread, w: Windows, rng) -> dict:
    """unit id -> UnitPlan. A unit that has submitted already (an earlier batch, the demo) keeps its 提交/上报 and
    the new applications join it; in a realistic campaign a unit with applications but no 提交 stays without one
    (its decided applications cannot be left behind a 提交 that would have moved them)."""
    ids = [u.id for u in units]
    existing = {s.unit_id: s for s in db.session.query(UnitSubmission).filter(
        UnitSubmission.campaign_id == campaign.id, UnitSubmission.unit_id.in_(ids))}
    query = db.session.query(Application.unit_id if level == 2 else Unit.parent_id).select_from(Application)
    if level == 1:
        query = query.join(Unit, Unit.id == Application.unit_id)
    busy = {u for (u,) in query.filter(Application.campaign_id == campaign.id).distinct()}
    start, end = (w.l2_start, w.l2_end) if level == 2 else (w.l1_start, min(w.l1_end, w.as_of))
    plans = {}
    for unit in units:
        if unit.id in existing:
            at = min(max(existing[unit.id].at, start + timedelta(hours=2)), end)
            plans[unit.id] = UnitPlan(True, at, existing=True)
        elif spread is CAMPAIGN and unit.id in busy:
            plans[unit.id] = UnitPlan(False)
        else:
            plans[unit.id] = (street_plan if level == 2 else district_plan)(rng, spread, w)
    return plans


@dataclass
class _Person:
    street: Unit
    gender: str
    name: str
    born: date
    mobile: str
    id_number: str
    work_unit: str
    position: str
    address: str


def _person(rng, unique: _Unique, street: Unit) -> _Person:
    gender = rng.choice(("male", "female"))
    name = _names(rng, gender)
    born = date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28))
    if street.parent.category == "district":
        pattern, position = rng.choice(JOBS)
    else:  # a commission, a university, a school: someone working there
        pattern, position = rng.choice(INSTITUTION_JOBS)
    work_unit = pattern.format(area=street.parent.name, brand=rng.choice(BRANDS))
    address = (f"北京市{street.parent.name if street.parent.category == 'district' else '海淀区'}"
               f"{rng.choice(('幸福', '和平', '光明', '育新', '安华', '团结'))}路{rng.randint(1, 99)}号院"
               f"{rng.randint(1, 12)}号楼{rng.randint(1, 6)}单元{rng.randint(101, 1806)}室")
    return _Person(street, gender, name, born, unique.mobile(rng), unique.id_number(rng, gender, born), work_unit,
                   position, address)


# Documentation address blocks (RFC 5737): the audit log carries addresses as requests would, none of them real.
def _citizen_ip(rng) -> str:
    return f"{rng.choice(('192.0.2', '198.51.100', '203.0.113'))}.{rng.randint(1, 254)}"


class _Writer:
    """Bulk inserts in batches: COPY on PostgreSQL (psycopg's fastest path; an executemany there still sends one
    statement per row), an executemany on SQLite. Rows are dicts with the same keys."""

    def __init__(self, table, batch: int = BATCH):
        self.table, self.batch, self.rows, self.written = table, batch, [], 0
        self.copy = db.session.get_bind().dialect.name == "postgresql"

    def add(self, row: dict) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        if self.copy:
            columns = list(self.rows[0])
            json_columns = {c.name for c in self.table.columns if isinstance(c.type, JSON)}
            # The session's own connection: the rows belong to its transaction, committed (or not) with the rest.
            cursor = db.session.connection().connection.dbapi_connection.cursor()
            with cursor.copy(f"COPY {self.table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in self.rows:
                    copy.write_row([json.dumps(row[c]) if c in json_columns else row[c] for c in columns])
        else:
            db.session.execute(insert(self.table), self.rows)
        self.written += len(self.rows)
        self.rows = []


def _insert_returning_ids(table, rows: list[dict]) -> list[int]:
    """Insert rows in their order; their ids. On PostgreSQL the ids are drawn from the table's sequence first and
    the rows COPYed with them (an INSERT … RETURNING of thousands of rows took ~2 s per thousand there)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return list(db.session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
                    .scalars())
    ids = list(db.session.execute(
        text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) AS id FROM generate_series(1, :n) ORDER BY id"),
        {"table": table.name, "n": len(rows)}).scalars())
    writer = _Writer(table, batch=len(rows) + 1)
    for row, row_id in zip(rows, ids):
        writer.add({"id": row_id, **row})
    writer.flush()
    return ids


@dataclass(frozen=True)
class _Media:
    photo: str
    video: str
    video_size: int
    video_seconds: int


def _media() -> _Media:
    """One portrait and one video, stored once, named by every generated application."""
    tmp = storage.root() / "tmp"
    tmp.mkdir(exist_ok=True)
    photo = storage.store_bytes(demo_apps.portrait_jpeg(), "photo", "jpg")
    video_bytes, video_seconds = demo_apps.video_mp4(tmp)
    return _Media(photo, storage.store_bytes(video_bytes, "video", "mp4"), len(video_bytes), video_seconds)


def _write_applications(campaign, people, plans, hashed, role_id, media: _Media, rng, say) -> list[tuple[int, int]]:
    """Each citizen's account (role 申报人) and application, in the order they registered so that ids follow time
    as they would; returns (account id, application id) by plan index."""
    started = time.perf_counter()
    n = len(plans)
    order = sorted(range(n), key=lambda i: plans[i].registered_at)
    ids = [(0, 0)] * n
    role_rows = _Writer(assoc_user_role)
    for offset in range(0, n, BATCH):
        chunk = order[offset:offset + BATCH]
        accounts = []
        for i in chunk:
            person, p = people[i], plans[i]
            accounts.append(dict(
                first_name=person.name, last_name="", username=person.mobile, password=hashed, active=True,
                email=placeholder_email(person.mobile), last_login=None, login_count=None,
                fail_login_count=None, created_on=p.registered_at, changed_on=p.registered_at,
                created_by_fk=None, changed_by_fk=None, unit_id=None, must_change_password=False,
                phone=person.mobile, security_stamp=f"{rng.getrandbits(128):032x}",
                password_changed_at=p.registered_at))
        account_ids = _insert_returning_ids(Account.__table__, accounts)
        for account_id in account_ids:
            role_rows.add(dict(user_id=account_id, role_id=role_id))
        role_rows.flush()
        rows = [_application_row(rng, campaign, people[i], plans[i], account_id, media)
                for i, account_id in zip(chunk, account_ids)]
        for i, account_id, application_id in zip(chunk, account_ids,
                                                 _insert_returning_ids(Application.__table__, rows)):
            ids[i] = (account_id, application_id)
        done = offset + len(chunk)
        if done % PROGRESS_EVERY < BATCH or done == n:
            say(f"报名 {done}/{n}（{time.perf_counter() - started:.1f} 秒）")
    return ids


def _write_history(campaign, people, plans, ids, clerks, streets, districts, rng, say) -> tuple[int, int]:
    """Every step's history event and audit event, the citizens' registrations and the units' 提交/上报 (audit
    event and UnitSubmission row), all in time order across the campaign. streets, districts: (units, plans by
    unit id). Returns how many history and audit events were written."""
    started = time.perf_counter()
    counts: dict[int, list[int]] = {}  # unit id -> [recommended, not recommended] handed on
    stream = []
    for i, p in enumerate(plans):
        stream.append((p.registered_at, 0, i, -1))
        for k, s in enumerate(p.steps):
            stream.append((s[0], 1, i, k))
            if s[1] in UNIT_ACTIONS:
                unit_id = people[i].street.id if s[1] == "l2_submit" else people[i].street.parent_id
                tally = counts.setdefault(unit_id, [0, 0])
                tally[0 if s[3] in (S.L2_FORWARDED, S.REPORTED) else 1] += 1
    new_units = {}
    for (units, unit_plans), level in ((streets, 2), (districts, 1)):
        for unit in units:
            up = unit_plans[unit.id]
            if up.submits and not up.existing:
                new_units[unit.id] = (unit, level, up.at)
                stream.append((up.at, 2, unit.id, level))
    stream.sort()
    say(f"写入办理记录与审计日志：{len(stream)} 条")
    events, audits = _Writer(ApplicationEvent.__table__), _Writer(AuditEvent.__table__)
    clerk_ip = {}
    for n, (at, kind, i, k) in enumerate(stream, 1):
        if kind == 0:  # a citizen registers (citizens.register: audited as the account's creation)
            person = people[i]
            audits.add(dict(at=at, actor_id=None, actor_name="system", ip=_citizen_ip(rng),
                            action="account.create", object_type="account", object_id=str(ids[i][0]),
                            object_label=f"{person.name} ",
                            detail={"first_name": person.name, "last_name": "", "username": person.mobile,
                                    "active": True, "email": placeholder_email(person.mobile),
                                    "phone": person.mobile, "roles": [roles.APPLICANT]},
                            result="success"))
        elif kind == 1:  # a step of one application (workflow.perform, or its part of a unit's 提交/上报)
            at, action, source, target, who, opinion = plans[i].steps[k]
            person = people[i]
            if who == APPLICANT:
                actor_id, actor_name, unit_id = ids[i][0], person.mobile, None
                ip = _citizen_ip(rng)
            else:
                unit_id = person.street.id if who == STREET else person.street.parent_id
                clerk = clerks[who][unit_id]
                actor_id, actor_name = clerk.id, clerk.username
                ip = clerk_ip.setdefault(unit_id, _citizen_ip(rng))
            events.add(dict(application_id=ids[i][1], at=at, actor_id=actor_id, actor_name=actor_name,
                            unit_id=unit_id, action=action, from_status=source.value, to_status=target.value,
                            opinion=opinion))
            if action not in UNIT_ACTIONS:  # a unit's 提交/上报 is one audit event for the unit
                audits.add(dict(at=at, actor_id=actor_id, actor_name=actor_name, ip=ip,
                                action=f"application.{action}", object_type="application",
                                object_id=str(ids[i][1]), object_label=f"{person.name} · {campaign.name}",
                                detail={"from_status": source.value, "to_status": target.value,
                                        "opinion": opinion},
                                result="success"))
        else:  # a unit's 提交/上报 (workflow.submit_unit)
            unit, level, _at = new_units[i]
            clerk = clerks[STREET if level == 2 else DISTRICT][unit.id]
            recommended, not_recommended = counts.get(unit.id, (0, 0))
            audits.add(dict(at=at, actor_id=clerk.id, actor_name=clerk.username,
                            ip=clerk_ip.setdefault(unit.id, _citizen_ip(rng)),
                            action="unit.l2_submit" if level == 2 else "unit.l1_report", object_type="unit",
                            object_id=str(unit.id), object_label=unit.full_name,
                            detail={"recommended": recommended, "not_recommended": not_recommended},
                            result="success"))
        if n % (PROGRESS_EVERY * 5) == 0:
            say(f"办理记录与审计日志 {n}/{len(stream)}（{time.perf_counter() - started:.1f} 秒）")
    events.flush()
    audits.flush()

    # Units' 提交 / 上报: new rows for the units that submitted in this run, counts added to earlier ones.
    submissions = []
    for unit_id, (unit, level, at) in sorted(new_units.items(), key=lambda item: item[1][2]):
        clerk = clerks[STREET if level == 2 else DISTRICT][unit_id]
        recommended, not_recommended = counts.get(unit_id, (0, 0))
        submissions.append(dict(campaign_id=campaign.id, unit_id=unit_id, level=level, at=at, actor_id=clerk.id,
                                actor_name=clerk.username, recommended=recommended,
                                not_recommended=not_recommended))
    if submissions:
        db.session.execute(insert(UnitSubmission.__table__), submissions)
    for row in db.session.query(UnitSubmission).filter(UnitSubmission.campaign_id == campaign.id,
                                                       UnitSubmission.unit_id.in_(list(counts))):
        if row.unit_id not in new_units:
            row.recommended += counts[row.unit_id][0]
            row.not_recommended += counts[row.unit_id][1]
    return events.written, audits.written


def generate(n_applications: int, n_experts: int | None = None, campaign_name: str | None = None,
             force: bool = False, password: str | None = None, seed: int = SEED, *, spread: str = "reported",
             streets: int | None = None, progress=None) -> Generated:
    """Fill a campaign (see the module's docstring); commits. Raises GenerateError with a Chinese message.

    spread: "reported" (every application reported) or "campaign" (app/demo/spread.py). streets: make second-level
    units under the districts until there are this many. progress(text): called every PROGRESS_EVERY rows."""
    started = time.perf_counter()
    say = progress or (lambda text: None)
    if n_applications < 1:
        raise GenerateError("报名数须为正整数")
    if spread not in SPREADS:
        raise GenerateError("分布须为 campaign（真实批次）或 reported（全部已上报）")
    shares = SPREADS[spread]
    n_experts = n_experts if n_experts is not None else max(12, min(MAX_DEFAULT_EXPERTS, n_applications // 25))
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
    result = Generated(campaign, spread=spread)

    session.info["audit_suppressed"] = True  # the generated rows carry their own audit events; one for the run
    try:
        if streets:
            result.new_units = _add_streets(streets, rng)
        if shares is REPORTED:
            candidates = _eligible_streets(campaign)
        else:
            candidates = session.query(Unit).filter(Unit.level == 2).order_by(Unit.id).all()
        if not candidates:
            raise GenerateError("没有可用的二级单位：各一级单位都还有未办完的报名，或者系统中没有二级单位")
        unique = _Unique(campaign)
        hashed = generate_password_hash(password)  # one hash for every generated account: scrypt costs ~0.2 s
        applicant_role, expert_role = sm.find_role(roles.APPLICANT), sm.find_role(roles.EXPERT)

        # Where each application comes from: districts carry most, and a handful of first-level units more than
        # the rest, as in a real campaign.
        parents = sorted({s.parent_id for s in candidates})
        category = {s.parent_id: s.parent.category for s in candidates}
        weight = {d: rng.choice((1, 1, 2, 3, 5)) * (4 if category[d] == "district" else 1) for d in parents}
        by_parent: dict[int, list[Unit]] = {}
        for s in candidates:
            by_parent.setdefault(s.parent_id, []).append(s)
        chosen = rng.choices(parents, weights=[weight[d] for d in parents], k=n_applications)
        placed = [rng.choice(by_parent[d]) for d in chosen]
        used_streets = sorted({s.id: s for s in placed}.values(), key=lambda u: u.id)
        used_districts = sorted({s.parent.id: s.parent for s in placed}.values(), key=lambda u: u.id)
        street_clerks, made2 = _clerks(used_streets, 2, unique, rng, hashed, sm.find_role(roles.L2_CLERK))
        district_clerks, made1 = _clerks(used_districts, 1, unique, rng, hashed, sm.find_role(roles.L1_CLERK))
        session.flush()
        result.clerks, result.units = made1 + made2, len(used_streets)

        w = _windows(campaign, shares)
        street_plans = _unit_plans(used_streets, 2, campaign, shares, w, rng)
        district_plans = _unit_plans(used_districts, 1, campaign, shares, w, rng)
        opinions = {"return": demo_apps.RETURN_REASONS, "l2_recommend": demo_apps.L2_YES,
                    "l2_reject": demo_apps.L2_NO, "l1_recommend": demo_apps.L1_YES, "l1_reject": demo_apps.L1_NO}
        people, plans = [], []
        for street in placed:
            people.append(_person(rng, unique, street))
            plans.append(plan(rng, shares, w, street_plans[street.id], district_plans[street.parent_id], opinions))
        say(f"已规划 {n_applications} 份报名（{time.perf_counter() - started:.1f} 秒）")

        media = _media()
        ids = _write_applications(campaign, people, plans, hashed, applicant_role.id, media, rng, say)
        result.applications = n_applications
        clerks = {STREET: street_clerks, DISTRICT: district_clerks}
        result.events, result.audit_events = _write_history(campaign, people, plans, ids, clerks,
                                                            (used_streets, street_plans),
                                                            (used_districts, district_plans), rng, say)
        result.statuses = Counter(p.status.value for p in plans)

        # Experts review what was reported; a campaign with nothing reported yet still gets its experts and panels.
        reported = [(ids[i][1], people[i].street) for i, p in enumerate(plans) if p.status == S.REPORTED]
        reviewed = reported or [(ids[i][1], people[i].street) for i in range(n_applications)]
        _experts(result, campaign, n_experts, used_districts, used_streets, reviewed, unique, rng, hashed,
                 expert_role)
        session.flush()
    finally:
        session.info.pop("audit_suppressed", None)
    audit.record(AUDIT_ACTION, "campaign", campaign.id, campaign.name, generated_applications=result.applications,
                 generated_experts=len(result.experts), spread=spread)
    session.commit()
    analyze()
    result.seconds = time.perf_counter() - started
    return result


def analyze() -> None:
    """Vacuum the rows just written and gather their planner statistics (PostgreSQL), as autovacuum would some time
    after a bulk load, or never where it is off. Without statistics the planner takes the new tables for nearly empty
    (the export read the whole event history for every batch of opinions); without the vacuum the tallies, updated
    once per application written, keep ~70 dead versions per live row (70,000 at 100,000 applications), which every
    list page's count and 评审进度 panel read through. Their table is rewritten first (VACUUM FULL: 4.7 MB of pages
    for 56 kB of rows at 100,000 applications, which the city office's count read whole: 0.85 → 0.34 ms); a
    campaign's tallies, updated a few times a minute under autovacuum, never grow so. VACUUM cannot run in a
    transaction: it gets a connection of its own. SQLite plans these queries by their indexes and keeps no dead
    versions."""
    if db.engine.dialect.name != "postgresql":
        return
    db.session.commit()
    quote = db.engine.dialect.identifier_preparer.quote
    tables = ", ".join(quote(t.name) for t in db.metadata.sorted_tables)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"VACUUM (FULL) {quote(ApplicationTally.__tablename__)}"))
        connection.execute(text(f"VACUUM (ANALYZE) {tables}"))


def _application_row(rng, campaign, person: _Person, p: Plan, account_id: int, media: _Media) -> dict:
    """The application's columns as its citizen left them: all of it once submitted, a draft as far as it got."""
    level = p.completeness if p.status == S.DRAFT else 3
    has = {  # what a draft holds at each level of completeness (0: nothing but the name)
        "personal": level >= 1, "unit": level >= 2, "video": level >= 3,
    }
    row = dict(
        campaign_id=campaign.id, applicant_id=account_id, status=p.status.value, name=person.name,
        gender=None, birth_date=None, id_number=None, mobile=person.mobile, work_unit=None, position=None,
        address=None, is_permanent_resident=False, unit_id=None, deeds=None, declaration_confirmed=False,
        photo_file=None, photo_original_name=None, video_file=None, video_original_name=None, video_size=None,
        video_duration=None, created_at=p.created_at, updated_at=p.updated_at, submitted_at=p.submitted_at,
    )
    if has["personal"]:
        # Birth date and gender as the ID number states them (the model's before_insert hook, which Core skips).
        row.update(gender=person.gender, birth_date=person.born, id_number=person.id_number,
                   work_unit=person.work_unit, position=person.position, address=person.address)
    if has["unit"]:
        row.update(unit_id=person.street.id,
                   deeds=_deeds(rng, person.name, person.gender, person.position, person.work_unit),
                   photo_file=media.photo, photo_original_name=f"{person.name}一寸照.jpg")
    if has["video"]:
        row.update(video_file=media.video, video_original_name=f"{person.name}学习分享.mp4",
                   video_size=media.video_size, video_duration=media.video_seconds, is_permanent_resident=True)
    if p.status != S.DRAFT:
        row["declaration_confirmed"] = True
    return row


def _experts(result: Generated, campaign, n_experts, districts, streets, reviewed, unique, rng, hashed,
             role) -> None:
    """reviewed: (application id, street) of what the experts will review (counted here, not queried back: an IN
    of 100,000 ids is no query)."""
    application_ids = [application_id for application_id, _street in reviewed]
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
        for _application_id, street in reviewed:
            counts[street.parent_id] = counts.get(street.parent_id, 0) + 1
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
