"""The demo data: Beijing's real structure and one account per role, loaded once, never in production."""
from app import demo, roles
from app.extensions import db
from app.models import Account, Campaign, Unit, UnitCategory
from tests import factories


def test_demo_has_the_real_structure_and_accounts(app):
    demo.load("Demo@2026")
    db.session.commit()
    districts = db.session.query(Unit).filter_by(level=1, category=UnitCategory.DISTRICT.value).all()
    assert len(districts) == 16
    haidian = db.session.query(Unit).filter_by(name="海淀区").one()
    assert {"中关村街道", "学院路街道", "海淀街道"} <= {c.name for c in haidian.children}
    assert len(db.session.query(Unit).filter_by(name="朝阳区").one().children) > 20
    assert len(db.session.query(Unit).filter_by(name="东城区").one().children) >= 17
    for name in ("北京大学", "清华大学", "中国人民大学", "北京师范大学"):
        assert db.session.query(Unit).filter_by(name=name, category=UnitCategory.UNIVERSITY.value).one().children
    for category in UnitCategory:
        assert db.session.query(Unit).filter_by(level=1, category=category.value).count() >= 4
    assert db.session.query(Campaign).one().name == "第九批"

    account = db.session.query(Account).filter_by(username="l2-chaoyang-jianwai").one()
    assert account.unit.name == "建外街道" and account.unit.parent.name == "朝阳区"
    assert db.session.query(Account).filter_by(username="l2-haidian-zhongguancun").one().unit.name == "中关村街道"
    assert {a.username for a in db.session.query(Account)} >= {"city", "auditor", "l1-haidian", "expert6"}
    factories.login(app.test_client(), "city", "Demo@2026")


def test_cli_loads_once_and_never_in_production(app):
    runner = app.test_cli_runner()
    assert "demo loaded" in runner.invoke(args=["demo", "load", "--if-empty"]).output
    assert "not loaded" in runner.invoke(args=["demo", "load", "--if-empty"]).output
    out = runner.invoke(args=["demo", "accounts"]).output
    assert "l2-haidian-zhongguancun" in out and "Demo@2026" in out
    app.config["APP_ENV"] = "production"
    try:
        result = runner.invoke(args=["demo", "load"])
        assert result.exit_code != 0 and "production" in result.output
    finally:
        app.config["APP_ENV"] = "development"


def test_cli_open_stage_moves_the_current_campaign(app):
    campaign = factories.campaign(year=2026)
    result = app.test_cli_runner().invoke(args=["campaign", "open-stage", "l2_review"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    from app import schedule
    from app.models import Stage

    assert schedule.is_open(Stage.L2_REVIEW, campaign)
    assert not schedule.is_open(Stage.APPLY, campaign)
    assert db.session.query(Campaign).count() == 1


def test_roles_file_seeding_is_idempotent_and_keeps_manual_grants(app):
    from app.cli import sync_security

    sm = app.appbuilder.sm
    role = sm.find_role(roles.EXPERT)
    extra = sm.add_permission_view_menu("can_read", "AuditEvent")
    sm.add_permission_role(role, extra)
    try:
        assert set(sync_security().values()) == {0}
        assert extra in sm.find_role(roles.EXPERT).permissions
    finally:
        sm.del_permission_role(role, extra)


def test_demo_accounts_list_sample_applicants(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["demo", "load"])
    out = runner.invoke(args=["demo", "accounts"]).output
    assert "申报人（用手机号登录，示例）" in out and "退回修改" in out


def test_demo_initial_review_is_assigned_so_experts_see_work_at_once(app):
    """`flask demo load` then `flask campaign open-stage initial_review`: an expert signs in and has 初审 to do,
    without the city office clicking 自动分配 first; no expert got an application they are conflicted with."""
    from app import assignment
    from app.models.review import ReviewAssignment

    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["campaign", "open-stage", "initial_review"]).exit_code == 0
    rows = db.session.query(ReviewAssignment).all()
    assert rows and all(assignment.conflicted(r.expert, r.application) is None for r in rows)
    client = app.test_client()
    factories.login(client, "expert1", "Demo@2026")
    html = client.get("/expert/").get_data(as_text=True)
    assert "开始评审下一份" in html and "本轮还没有分配给您的报名" not in html
    # The clerks of the first-level units in review are named, so one can sign in and see the review's states.
    out = runner.invoke(args=["demo", "accounts"]).output
    assert "l1-dongcheng" in out and "l1-xicheng" in out and "东城区（申报已进入专家评审）" in out
    clerk = factories.login(app.test_client(), "l1-dongcheng", "Demo@2026")
    assert "一级单位已上报市学习办" in clerk.get("/applications/list/").get_data(as_text=True)
