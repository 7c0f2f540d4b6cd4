"""Command-line tasks: `flask deploy` (migrate + permissions + roles), `flask campaign ...`, `flask demo ...`,
`flask backup create|restore DIR` and `flask files check` (app/backup.py), `flask retention purge-media`
(app/retention.py)."""
import logging

import click
from flask import current_app
from flask.cli import AppGroup
from flask_migrate import upgrade

from app import audit, retention, roles, schedule
from app.backup import backup_cli, files_cli
from app.extensions import db
from app.media.cli import media_cli
from app.models import Stage

campaign_cli = AppGroup("campaign", help="评选批次与时间安排")
demo_cli = AppGroup("demo", help="演示数据")
retention_cli = AppGroup("retention", help="个人信息保存期限（照片、视频按期删除）")
accounts_cli = AppGroup("accounts", help="管理员账号与角色（三员分立：管理员角色只在命令行授予）")
audit_cli = AppGroup("audit", help="审计日志")
jobs_cli = AppGroup("jobs", help="后台任务（导出、导入等较长的操作）")
notify_cli = AppGroup("notify", help="站内通知（截止提醒、过期无效通知、清理已读通知）")


def sync_security() -> dict[str, int]:
    """FAB's permissions for every registered view and menu, FAB's own roles, then ours from roles.yaml."""
    from flask_appbuilder.security.manager import BaseSecurityManager

    appbuilder = current_app.appbuilder
    added = {}
    with audit.summarized(db.session, "roles.sync", "role", added=added):
        BaseSecurityManager.create_db(appbuilder.sm)  # Admin and Public roles
        appbuilder.add_permissions(update_perms=True)
        added.update(roles.sync_roles(appbuilder.sm))
    db.session.commit()
    return added


def register_commands(app) -> None:
    app.cli.add_command(campaign_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(deploy)
    app.cli.add_command(media_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(files_cli)
    app.cli.add_command(retention_cli)
    app.cli.add_command(accounts_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(notify_cli)


# --- background jobs (app/jobs.py) ------------------------------------------------------------------------------


@jobs_cli.command("worker")
@click.option("--workers", type=int, default=None, help="Threads running jobs (default JOBS_WORKERS, 2).")
def jobs_worker(workers):
    """Run the task worker (Huey's consumer) until stopped: it runs the queued jobs and, every 15 minutes, removes
    expired jobs and their files."""
    from app import jobs

    queue = jobs.huey()
    if queue.immediate:
        raise click.ClickException("JOBS_IMMEDIATE is set: jobs run inside the request, there is nothing to consume.")
    count = workers or current_app.config.get("JOBS_WORKERS", 2)
    logging.getLogger("huey").setLevel(logging.INFO)
    # Threads: the jobs wait on the database and the disk; one process keeps one app and one connection pool.
    # An idle worker looks at the SQLite queue 10 times a second (Huey's default backs off to 10 s: a job started
    # after a quiet spell would wait that long; at 1 s, bench/export.py's 10,000 rows took 4.0 s, at 0.25 s 3.3 s,
    # and a job still waited 0.12 s on average — while a read of a local SQLite file 10 times a second costs
    # nothing). Redis delivers at once (blocking pop).
    consumer = queue.create_consumer(workers=count, worker_type="thread", periodic=True, check_worker_health=True,
                                     initial_delay=0.1, backoff=1.0, max_delay=0.1)
    consumer.run()


@jobs_cli.command("purge")
def jobs_purge():
    """Remove the jobs (and their files) kept longer than JOBS_KEEP_HOURS."""
    from app import jobs

    click.echo(f"removed {jobs.purge()} expired jobs")


# --- 站内通知 (app/notifications.py) ----------------------------------------------------------------------------


@notify_cli.command("deadlines")
def notify_deadlines():
    """Send what is due now: reminders to units whose review window ends within 3 days and within 1 day with
    applications still waiting, and 过期无效 notices to citizens. Each once: running it again sends nothing twice
    (the task worker runs it every hour)."""
    from app import notifications

    counts = notifications.run_due()
    click.echo(f"deadline reminders: {counts['deadline']}, void notices: {counts['void']}")


@notify_cli.command("purge")
def notify_purge():
    """Remove read notifications older than NOTIFICATION_KEEP_DAYS (unread ones are kept)."""
    from app import notifications

    click.echo(f"removed {notifications.purge()} read notifications")


# --- 三员分立 (app/duties.py): the only way to the administrator roles and Admin ------------------------------

_ANY_ROLE = click.Choice([*roles.SEEDED_ROLES, roles.ADMIN])


@accounts_cli.command("create-admin")
@click.argument("username")
@click.option("--role", "role_name", type=_ANY_ROLE, required=True,
              help="系统管理员, 安全管理员, 审计员 (the audit administrator) or Admin.")
@click.option("--name", default="", help="The holder's name (联系人姓名).")
def create_admin(username, role_name, name):
    """Create an administrator account; prints its generated password, which must be changed at first sign-in."""
    from app.duties import CommandError, create_administrator

    try:
        account, password = create_administrator(username, name, role_name)
    except CommandError as refused:
        db.session.rollback()
        raise click.ClickException(str(refused)) from refused
    click.echo(f"账号 {account.username}（{role_name}）已创建，初始密码：{password}（首次登录须修改）")


@accounts_cli.command("grant")
@click.argument("username")
@click.argument("role_name", type=_ANY_ROLE)
def grant_role(username, role_name):
    """Grant ROLE_NAME to USERNAME (audited with the operating-system user who ran it)."""
    _grant_or_revoke("grant", username, role_name)


@accounts_cli.command("grant-admin")
@click.argument("username")
def grant_admin(username):
    """Grant FAB's Admin role (every permission) to USERNAME: no screen can."""
    _grant_or_revoke("grant", username, roles.ADMIN)


@accounts_cli.command("revoke")
@click.argument("username")
@click.argument("role_name", type=_ANY_ROLE)
def revoke_role(username, role_name):
    """Take ROLE_NAME away from USERNAME (audited)."""
    _grant_or_revoke("revoke", username, role_name)


def _grant_or_revoke(what, username, role_name):
    from app import duties

    try:
        account = getattr(duties, what)(username, role_name)
    except duties.CommandError as refused:
        db.session.rollback()
        raise click.ClickException(str(refused)) from refused
    held = "、".join(sorted(role.name for role in account.roles)) or "（无）"
    click.echo(f"{'已授予' if what == 'grant' else '已收回'} {account.username} 角色 {role_name}；现有角色：{held}")


@audit_cli.command("purge")
@click.option("--older-than-days", "days", type=click.IntRange(min=1), required=True,
              help="Delete audit events older than this many days (at least AUDIT_RETENTION_DAYS).")
def purge_audit(days):
    """Delete audit events older than DAYS days; refuses anything younger than AUDIT_RETENTION_DAYS (>= 180)."""
    from app.audit import RetentionError, purge

    try:
        removed = purge(days)
    except RetentionError as refused:
        db.session.rollback()
        raise click.ClickException(str(refused)) from refused
    click.echo(f"已删除 {removed} 条 {days} 天以前的审计记录")


@click.command("deploy")
def deploy():
    """Migrate the database to the newest schema and seed roles and permissions (idempotent; run on every release)."""
    upgrade()
    added = sync_security()
    click.echo("roles: " + ", ".join(f"{name} +{count}" for name, count in added.items()))


@campaign_cli.command("open-stage")
@click.argument("key", type=click.Choice([s.value for s in Stage]))
def open_stage(key):
    """Move the current campaign's schedule so that stage KEY is open now and the stages before it have closed."""
    campaign = schedule.current_campaign()
    if campaign is None:
        raise click.ClickException("没有评选批次")
    schedule.open_stage(campaign, key)
    db.session.commit()
    for window in schedule.windows_of(campaign):
        click.echo(
            f"{window.stage:15} {schedule.format_time(window.starts_at)} – {schedule.format_time(window.ends_at)}"
            f"  {'OPEN' if window.is_open() else ''}"
        )
    if key == Stage.PUBLICITY.value and not _has_candidates(campaign):
        click.echo("本批次还没有拟评选人选；演示可运行 flask demo advance publicity（经初审、复审选出拟评选名单）")


def _has_candidates(campaign) -> bool:
    from app.models import Application, ApplicationStatus as S

    listed = (S.CANDIDATE.value, S.FEATURED.value, S.WINNER.value, S.FEATURED_WINNER.value)
    return db.session.query(Application.id).filter(Application.campaign_id == campaign.id,
                                                   Application.status.in_(listed)).first() is not None


@campaign_cli.command("show")
def show_campaign():
    """Print the current campaign's schedule."""
    campaign = schedule.current_campaign()
    if campaign is None:
        raise click.ClickException("没有评选批次")
    click.echo(f"{campaign.name} ({campaign.year})")
    for window in schedule.windows_of(campaign):
        click.echo(f"{window.stage:15} {schedule.format_time(window.starts_at)} – {schedule.format_time(window.ends_at)}")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has units.")
def load_demo(if_empty):
    """Load the demo: Beijing's units, the 第九批 campaign and the demo accounts. Refused in production."""
    from app.demo import load, is_empty

    if current_app.config.get("APP_ENV") == "production":
        raise click.ClickException("APP_ENV=production: demo data is never loaded in production")
    if if_empty and not is_empty():
        click.echo("database already has data: demo not loaded")
        return
    counts = load(current_app.config["DEMO_PASSWORD"])
    db.session.commit()
    click.echo("demo loaded: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    from app.demo.experts import assign_initial_review

    result = assign_initial_review(schedule.current_campaign())
    if result.ok:
        click.echo(f"初审 assigned: {result.placed} reviews")
    else:
        click.echo("初审 not assigned: " + "; ".join(f"{a.id}: {reason}" for a, reason in result.unplaceable))


@demo_cli.command("generate")
@click.option("--applications", "n_applications", type=click.IntRange(min=1), required=True,
              help="How many applications (报名数).")
@click.option("--experts", "n_experts", type=click.IntRange(min=1), default=None,
              help="How many experts (default: applications // 25, at least 12, at most 60).")
@click.option("--campaign", "campaign_name", default=None,
              help="The campaign's name: an existing one is filled, a new one is made. Default: the current campaign.")
@click.option("--spread", type=click.Choice(["campaign", "reported"]), default="campaign", show_default=True,
              help="campaign: states spread like a real campaign during 一级单位推荐上报 (drafts, returns, "
                   "decisions, late units); reported: every application reported (for 专家评审).")
@click.option("--streets", type=click.IntRange(min=1), default=None,
              help="Add second-level units under the districts until there are this many (e.g. 400).")
@click.option("--force", is_flag=True, help="Add another batch to a campaign that already has generated data.")
def generate_demo(n_applications, n_experts, campaign_name, spread, streets, force):
    """Fill a campaign with applications, their history and audit log, experts, panels and conflicts. Refused in
    production."""
    from app.demo.generate import GenerateError, generate
    from app.models import ApplicationStatus

    if current_app.config.get("APP_ENV") == "production":
        raise click.ClickException("APP_ENV=production: demo data is never generated in production")
    try:
        made = generate(n_applications, n_experts, campaign_name, force=force, spread=spread, streets=streets,
                        progress=lambda text: click.echo(f"  … {text}"))
    except GenerateError as refused:
        db.session.rollback()
        raise click.ClickException(str(refused)) from refused
    password = current_app.config["DEMO_PASSWORD"]
    if spread == "reported":
        what = "均已由一级单位上报"
    else:
        what = "按真实批次分布，截至一级单位推荐上报截止前三天"
    click.echo(f"评选批次「{made.campaign.name}」：生成报名 {made.applications} 份（{what}），"
               f"分布在 {made.units} 个二级单位；新建单位账号 {made.clerks} 个；用时 {made.seconds:.1f} 秒")
    if made.new_units:
        click.echo(f"  新建二级单位 {made.new_units} 个（--streets {streets}）")
    click.echo(f"  办理记录 {made.events} 条，审计日志 {made.audit_events} 条")
    for status in ApplicationStatus:
        if made.statuses.get(status.value):
            click.echo(f"  {status.label}：{made.statuses[status.value]}")
    for stage, name, size, units in made.panels:
        click.echo(f"  {stage} · {name}：{size} 位专家，负责 {units}")
    for text in made.conflicts:
        click.echo(f"  回避：{text}")
    click.echo(f"专家账号（密码均为 DEMO_PASSWORD = {password}）:")
    for username, name, employer, panel in made.experts:
        click.echo(f"  {username:12} {name:6} {employer}  {panel}")
    if spread == "reported":
        click.echo("下一步：flask campaign open-stage initial_review（使专家初审开放），市学习办在「专家评审 → 评审分配」点「自动分配」。")
        click.echo("或者一步到位：flask demo advance final_review / publicity / approval（经初审、复审直到公示或审核确定）。")


@demo_cli.command("advance")
@click.argument("stage", type=click.Choice(["initial_review", "final_review", "publicity", "approval"]))
@click.option("--applications", "n_applications", type=click.IntRange(min=1), default=None,
              help="Top the campaign up to this many reported applications first (default: 1.5 × winner_quota).")
def advance_demo(stage, n_applications):
    """Bring the current campaign to STAGE at once: 初审 open and assigned, 复审 open and assigned, 公示 with the
    candidates, or 审核确定 with winners and certificates; through the portal's own commands. Refused in production."""
    from app.demo.advance import AdvanceError, advance, where_to_look
    from app.workflow import WorkflowError

    if current_app.config.get("APP_ENV") == "production":
        raise click.ClickException("APP_ENV=production: the demo is never advanced in production")
    try:
        done = advance(stage, n_applications)
    except (AdvanceError, WorkflowError) as refused:
        db.session.rollback()
        raise click.ClickException(str(refused)) from refused
    click.echo(f"评选批次「{done.campaign.name}」推进到「{Stage(stage).label}」：")
    for line in done.lines:
        click.echo(f"  {line}")
    click.echo(f"用时 {done.seconds:.1f} 秒。可以打开：")
    for line in where_to_look(stage, current_app.config["DEMO_PASSWORD"]):
        click.echo(f"  {line}")


@demo_cli.command("accounts")
def demo_accounts():
    """Print the demo accounts."""
    from app.demo import DEMO_ACCOUNTS
    from app.models import Account

    password = current_app.config["DEMO_PASSWORD"]
    click.echo("演示账号（密码均为 DEMO_PASSWORD = %s）:" % password)
    for username, role, _unit in DEMO_ACCOUNTS:
        account = db.session.query(Account).filter_by(username=username).first()
        unit = account.unit.full_name if account is not None and account.unit is not None else ""
        click.echo(f"  {username:26} {role:5} {unit}")
    from app.assignment import ROUND_STATUSES
    from app.models import Application, ApplicationStatus, Unit

    # The first-level units whose applications are in the expert review (the demo's 东城区 and 西城区): their
    # clerks see them in the review's states, so they are listed too.
    reviewed = (db.session.query(Unit).filter(Unit.level == 1, Unit.id.in_(
        db.session.query(Unit.parent_id).join(Application, Application.unit_id == Unit.id)
        .filter(Application.status.in_(ROUND_STATUSES["initial_review"])))).order_by(Unit.id).all())
    listed = {username for username, _role, _unit in DEMO_ACCOUNTS}
    for unit in reviewed:
        for account in db.session.query(Account).filter_by(unit_id=unit.id).order_by(Account.username):
            if account.username not in listed:
                click.echo(f"  {account.username:26} {roles.L1_CLERK:5} {unit.full_name}（申报已进入专家评审）")

    samples = []
    for status in (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED, ApplicationStatus.SUBMITTED):
        application = db.session.query(Application).filter_by(status=status.value).order_by(Application.id).first()
        if application is not None:
            samples.append(application)
    if samples:
        click.echo("  申报人（用手机号登录，示例）:")
        for application in samples:
            click.echo(f"  {application.applicant.username:26} {roles.APPLICANT:5} "
                       f"{application.name}（{application.status_label}）")


@retention_cli.command("purge-media")
@click.option("--campaign", "campaign_id", type=int, help="Only this campaign (its id); refused if it is not due.")
@click.option("--dry-run", is_flag=True, help="Count what would be removed; change nothing.")
def purge_media(campaign_id, dry_run):
    """Remove the photos and videos of unsuccessful applicants MEDIA_RETENTION_DAYS after their campaign ended
    (winners' and candidates' are kept). Without --campaign every due campaign; the others are listed and left.
    Idempotent; audited per campaign (counts only). Exits 1 when the campaign named is not due."""
    from app.models import Campaign

    if campaign_id is not None:
        campaign = db.session.get(Campaign, campaign_id)
        if campaign is None:
            raise click.ClickException(f"没有编号为 {campaign_id} 的评选批次")
        chosen = [campaign]
    else:
        chosen = retention.campaigns()
    for campaign in chosen:
        try:
            done = retention.purge_media(campaign, dry_run=dry_run)
        except retention.NotDue as not_due:
            if campaign_id is not None:
                raise click.ClickException(str(not_due)) from not_due
            click.echo(f"跳过  {not_due}")
            continue
        verb = "将删除" if dry_run else "已删除"
        click.echo(f"{campaign.name}：{verb} {done.applications} 份报名的照片 {done.photos} 张、视频 {done.videos} 个")
