"""app/backup.py through its commands, as the operator runs them: `flask backup create|restore DIR` and `flask files
check`; a restore drill on SQLite and on PostgreSQL (each on a database of its own), tampered backups refused."""
import json
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app import backup, roles
from app.extensions import db
from app.models import Application, AuditEvent, CampaignApproval
from tests import factories
from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL
from tests.test_migrations import app_on

OLD = time.time() - 2 * backup.ORPHAN_GRACE_SECONDS


@pytest.fixture
def uploads(app, tmp_path, monkeypatch):
    """An UPLOAD_DIR of the test's own: the session's holds other tests' files."""
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(folder))
    return folder


def cli(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def some_data():
    """Units, a campaign with its approval's PDF, applications with photo and video files, and their clerks."""
    campaign = factories.campaign()
    _district, (street, _other) = factories.district_with_streets(name=f"区{time.monotonic_ns()}")
    factories.account(roles.L2_CLERK, unit=street)
    applications = [factories.application_with_media(photo=f"照片{i}".encode(), video=f"视频{i}".encode(),
                                                     unit=street, campaign=campaign,
                                                     id_number=factories.id_number(sequence=i))
                    for i in range(3)]
    factories.approval(campaign)
    return applications


def wipe(upload_dir: Path):
    """Every row `flask deploy` did not seed, and every uploaded file: what a lost disk leaves."""
    for table in reversed(db.metadata.sorted_tables):
        if table.name == "unit":
            db.session.execute(text("DELETE FROM unit WHERE level = 2"))  # the unit tree's key restricts parents
        if table.name not in backup.SEEDED_TABLES:
            db.session.execute(table.delete())
    db.session.commit()
    shutil.rmtree(upload_dir, ignore_errors=True)


def snapshot(upload_dir: Path) -> dict:
    """What a user would miss: the applications as listed, the approval, and every stored file's bytes."""
    db.session.expire_all()
    return {
        "applications": sorted((a.id, a.name, a.id_number, a.photo_file, a.video_file, a.status)
                               for a in db.session.query(Application)),
        "approvals": [(a.campaign_id, a.document_number, a.decision_file) for a in db.session.query(CampaignApproval)],
        "files": {p.relative_to(upload_dir).as_posix(): p.read_bytes()
                  for p in sorted(upload_dir.rglob("*")) if p.is_file()},
    }


# --- flask files check ----------------------------------------------------------------------------------------------


def test_files_check_lists_files_without_a_row_and_rows_without_a_file(app, uploads):
    applications = some_data()
    result = cli(app, "files", "check")
    assert result.exit_code == 0, result.output
    assert "文件与记录一致" in result.output

    orphan = uploads / "photo" / "0123456789abcdef0123456789abcdef.jpg"
    orphan.write_bytes(b"left behind")
    os.utime(orphan, (OLD, OLD))
    young = uploads / "video" / "fedcba9876543210fedcba9876543210.mp4"
    young.write_bytes(b"row about to be committed")  # within the grace period: not reported
    stale_tmp = uploads / "tmp" / "tmpabc.mp4"
    stale_tmp.parent.mkdir(exist_ok=True)
    stale_tmp.write_bytes(b"an upload that never finished")
    os.utime(stale_tmp, (time.time() - 2 * backup.STALE_TMP_SECONDS,) * 2)
    (uploads / applications[1].video_file).unlink()
    aside = uploads / ".restore-0123abcd" / "photo" / "x.jpg"  # what an interrupted restore left
    aside.parent.mkdir(parents=True)
    aside.write_bytes(b"x")
    os.utime(aside, (OLD, OLD))

    result = cli(app, "files", "check")
    assert result.exit_code == 1
    assert "photo/0123456789abcdef0123456789abcdef.jpg" in result.output
    assert "tmp/tmpabc.mp4" in result.output and ".restore-0123abcd/photo/x.jpg" in result.output
    assert young.name not in result.output
    assert f"报名视频（application #{applications[1].id}）{applications[1].video_file}" in result.output
    assert applications[0].photo_file not in result.output


def test_files_check_reports_public_copies_of_photos_no_row_names(app, uploads):
    from app.publicity import _photo_key

    application = factories.application_with_media(status="draft")
    public = uploads / "public"
    public.mkdir()
    kept = public / f"{_photo_key(application.photo_file)}.jpg"
    gone = public / f"{_photo_key('photo/replaced.jpg')}.jpg"
    for copy in (kept, gone):
        copy.write_bytes(b"jpeg")
        os.utime(copy, (OLD, OLD))
    result = cli(app, "files", "check")
    assert result.exit_code == 1
    assert f"public/{gone.name}" in result.output and kept.name not in result.output


def test_delete_orphans_asks_first_then_removes_only_files_without_a_row(app, uploads):
    applications = some_data()
    orphan = uploads / "decision" / "0123456789abcdef0123456789abcdef.pdf"
    orphan.write_bytes(b"%PDF an old decision")
    os.utime(orphan, (OLD, OLD))

    declined = cli(app, "files", "check", "--delete-orphans", input="n\n")
    assert declined.exit_code == 1 and orphan.exists()

    result = cli(app, "files", "check", "--delete-orphans", "--yes")
    assert result.exit_code == 0, result.output
    assert "已删除 1 个文件" in result.output
    assert not orphan.exists()
    assert all((uploads / a.photo_file).exists() and (uploads / a.video_file).exists() for a in applications)
    event = db.session.query(AuditEvent).filter_by(action="files.delete_orphans").one()
    assert event.detail["files"] == 1 and event.detail["names"] == ["decision/0123456789abcdef0123456789abcdef.pdf"]
    assert cli(app, "files", "check").exit_code == 0


# --- flask backup create / restore on the session's database --------------------------------------------------------


def test_a_backup_holds_the_database_the_files_and_a_manifest_of_counts_and_checksums(app, uploads, tmp_path):
    applications = some_data()
    target = tmp_path / "backup"
    result = cli(app, "backup", "create", str(target))
    assert result.exit_code == 0, result.output
    assert "上传文件 7 个" in result.output  # 3 photos, 3 videos, the decision

    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["database"] == db.engine.dialect.name
    assert manifest["alembic_revision"] == backup.code_revision()
    assert manifest["tables"]["application"] == 3 and manifest["tables"]["campaign_approval"] == 1
    assert manifest["tables"]["ab_role"] > 0
    listed = {f["path"]: f for f in manifest["files"]}
    for application in applications:
        photo = listed[f"uploads/{application.photo_file}"]
        assert (target / photo["path"]).read_bytes() == (uploads / application.photo_file).read_bytes()
        assert photo["size"] == len((uploads / application.photo_file).read_bytes())
        assert len(photo["sha256"]) == 64
    assert backup.DUMP_FILES[manifest["database"]] in listed
    assert manifest["missing_files"] == []
    # Personal data: the copy is the operator's alone.
    assert (target.stat().st_mode & 0o777) == 0o700
    assert all((target / path).stat().st_mode & 0o077 == 0 for path in listed)

    event = db.session.query(AuditEvent).filter_by(action="backup.create").one()
    assert event.detail["files"] == 7 and event.detail["rows"] == sum(manifest["tables"].values())
    logged = json.dumps(event.detail, ensure_ascii=False) + event.object_label
    assert not any(a.id_number in logged or a.name in logged or a.mobile in logged for a in applications)


def test_a_backup_names_the_files_rows_named_that_were_not_on_disk(app, uploads, tmp_path):
    application = factories.application_with_media(status="draft")
    (uploads / application.photo_file).unlink()
    result = cli(app, "backup", "create", str(tmp_path / "backup"))
    assert result.exit_code == 0
    assert f"1 个文件有记录但备份时不在磁盘上" in result.output and application.photo_file in result.output


def test_a_backup_is_not_written_into_a_directory_that_holds_something(app, uploads, tmp_path):
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "notes.txt").write_text("mine")
    result = cli(app, "backup", "create", str(tmp_path / "backup"))
    assert result.exit_code != 0 and "不为空" in result.output
    assert os.listdir(tmp_path / "backup") == ["notes.txt"]


def test_a_backup_that_fails_half_way_leaves_nothing_behind(app, uploads, tmp_path, monkeypatch):
    some_data()

    def disk_full(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backup, "_copy", disk_full)
    result = cli(app, "backup", "create", str(tmp_path / "backup"))
    assert result.exit_code == 1 and "备份失败" in result.output and "No space left" in result.output
    assert os.listdir(tmp_path / "backup") == []
    assert db.session.query(AuditEvent).filter_by(action="backup.create").count() == 0


def _tamper_photo(target, manifest):
    photo = next(f for f in manifest["files"] if f["path"].startswith("uploads/photo/"))
    (target / photo["path"]).write_bytes(b"another face")
    return "文件与清单不符"


def _remove_video(target, manifest):
    video = next(f for f in manifest["files"] if f["path"].startswith("uploads/video/"))
    (target / video["path"]).unlink()
    return "缺少文件"


def _add_file(target, manifest):
    (target / "uploads" / "photo" / "planted.jpg").write_bytes(b"planted")
    return "清单中没有的文件：uploads/photo/planted.jpg"


def _edit_counts(target, manifest):
    manifest["tables"]["application"] += 1
    (target / "manifest.json").write_text(json.dumps(manifest))
    return "manifest.json 被改动过"


def _edit_checksum(target, manifest):
    """A manifest rewritten to match a replaced photo, its own checksum recomputed: the dump no longer matches."""
    dump = next(f for f in manifest["files"] if not f["path"].startswith("uploads/"))
    dump["sha256"] = "0" * 64
    body = {k: v for k, v in manifest.items() if k != "sha256"}
    manifest["sha256"] = backup._digest(body)
    (target / "manifest.json").write_text(json.dumps(manifest))
    return "文件与清单不符（大小或 SHA-256）：database"


def _drop_manifest(target, manifest):
    (target / "manifest.json").unlink()
    return "没有 manifest.json"


@pytest.mark.parametrize("tamper", [_tamper_photo, _remove_video, _add_file, _edit_counts, _edit_checksum,
                                    _drop_manifest])
def test_a_tampered_or_incomplete_backup_is_refused_and_nothing_changes(app, uploads, tmp_path, tamper):
    some_data()
    target = tmp_path / "backup"
    assert cli(app, "backup", "create", str(target)).exit_code == 0
    # Changed since the backup: a restore would undo this; a refused one must not.
    db.session.query(Application).first().name = "改过的名字"
    db.session.commit()
    (uploads / "photo" / "newer.jpg").write_bytes(b"uploaded after the backup")
    before = snapshot(uploads)

    expected = tamper(target, json.loads((target / "manifest.json").read_text()))
    result = cli(app, "backup", "restore", "--force", str(target))
    assert result.exit_code != 0
    assert "拒绝恢复" in result.output or "没有 manifest.json" in result.output
    assert expected in result.output
    assert snapshot(uploads) == before
    assert db.session.query(AuditEvent).filter_by(action="backup.restore_refused").count() == 1


def test_restore_refuses_a_database_that_holds_data_unless_forced(app, uploads, tmp_path):
    some_data()
    target = tmp_path / "backup"
    assert cli(app, "backup", "create", str(target)).exit_code == 0
    before = snapshot(uploads)
    result = cli(app, "backup", "restore", str(target))
    assert result.exit_code != 0
    assert "当前数据库已有数据" in result.output and "--force" in result.output
    assert snapshot(uploads) == before


def test_a_backup_of_another_kind_of_database_is_refused(app, uploads, tmp_path):
    target = tmp_path / "backup"
    assert cli(app, "backup", "create", str(target)).exit_code == 0
    manifest = json.loads((target / "manifest.json").read_text())
    manifest["database"] = "postgresql" if manifest["database"] == "sqlite" else "sqlite"
    dump = manifest["files"][0]
    dump["path"] = backup.DUMP_FILES[manifest["database"]]
    (target / backup.DUMP_FILES[db.engine.dialect.name]).rename(target / dump["path"])
    manifest["sha256"] = backup._digest({k: v for k, v in manifest.items() if k != "sha256"})
    (target / "manifest.json").write_text(json.dumps(manifest))
    result = cli(app, "backup", "restore", "--force", str(target))
    assert result.exit_code != 0 and "不能直接恢复" in result.output


# --- the restore drill, on a database of the test's own --------------------------------------------------------------


@contextmanager
def drill_database(tmp_path, kind):
    """A migrated, seeded database of the drill's own (a whole PostgreSQL database, as pg_dump backs up one)."""
    from tests import conftest

    cleanup = None
    migrated = False
    if kind == "sqlite":
        database = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'drill.db'}"}
        if conftest._MIGRATED_SQLITE is not None:  # the session's freshly migrated file, when it has one
            shutil.copyfile(conftest._MIGRATED_SQLITE, tmp_path / "drill.db")
            migrated = True
    else:
        url = TEST_DATABASE_URL.replace("postgresql://", "postgresql+psycopg://", 1)
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        name = f"{admin.url.database}_drill"
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        database = {"SQLALCHEMY_DATABASE_URI": admin.url.set(database=name).render_as_string(hide_password=False)}

        def cleanup():
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    try:
        with app_on(tmp_path, database) as other:
            from flask_migrate import upgrade

            from app.cli import sync_security

            if not migrated:
                upgrade()
                sync_security()
            yield other
    finally:
        if cleanup:
            cleanup()


def drill(other, tmp_path):
    upload_dir = Path(other.config["UPLOAD_DIR"])
    some_data()
    backed_up = snapshot(upload_dir)
    assert len(backed_up["files"]) == 7
    target = tmp_path / "backup"
    created = cli(other, "backup", "create", str(target))
    assert created.exit_code == 0, created.output

    # The disk is lost: no rows, no files.
    wipe(upload_dir)
    db.session.remove()
    assert snapshot(upload_dir)["applications"] == []
    result = cli(other, "backup", "restore", str(target))
    assert result.exit_code == 0, result.output
    assert "核对通过" in result.output
    db.session.remove()
    assert snapshot(upload_dir) == backed_up
    assert cli(other, "files", "check").exit_code == 0
    event = db.session.query(AuditEvent).filter_by(action="backup.restore").one()
    assert event.detail["files"] == 7 and event.detail["problems"] == 0 and event.detail["forced"] is False

    # A mistake after the restore: an application renamed, a photo replaced, a file uploaded. --force undoes it.
    application = db.session.query(Application).order_by(Application.id).first()
    application.name = "改过的名字"
    db.session.commit()
    (upload_dir / application.photo_file).write_bytes(b"another face")
    (upload_dir / "photo" / "newer.jpg").write_bytes(b"uploaded after the backup")
    db.session.remove()
    assert cli(other, "backup", "restore", str(target)).exit_code != 0
    result = cli(other, "backup", "restore", "--force", str(target))
    assert result.exit_code == 0, result.output
    db.session.remove()
    assert snapshot(upload_dir) == backed_up


def test_restore_drill_on_sqlite(tmp_path):
    with drill_database(tmp_path, "sqlite") as other:
        drill(other, tmp_path)


@pytest.mark.postgres
def test_restore_drill_on_postgresql(tmp_path):
    with drill_database(tmp_path, "postgresql") as other:
        drill(other, tmp_path)


@pytest.mark.skipif(ON_POSTGRES, reason="the SQLite variant: a restore checks what it restored")
def test_a_restore_that_does_not_match_its_manifest_afterwards_says_so(tmp_path, monkeypatch):
    with drill_database(tmp_path, "sqlite") as other:
        some_data()
        target = tmp_path / "backup"
        assert cli(other, "backup", "create", str(target)).exit_code == 0
        wipe(Path(other.config["UPLOAD_DIR"]))
        db.session.remove()
        # A restore that loses a table's rows on the way (a broken disk, a wrong tool): the check after it notices.
        real = backup._restore_sqlite

        def lossy(dump):
            real(dump)
            engine = create_engine(other.config["SQLALCHEMY_DATABASE_URI"])
            with engine.begin() as connection:
                connection.execute(text("DELETE FROM application"))
            engine.dispose()

        monkeypatch.setattr(backup, "_restore_sqlite", lossy)
        result = cli(other, "backup", "restore", str(target))
        assert result.exit_code == 1
        assert "恢复后的核对发现问题" in result.output and "数据表 application：清单 3 行，恢复后 0 行" in result.output


def test_the_auditor_reads_backups_and_restores_in_the_log_in_chinese(app, uploads, tmp_path, client):
    some_data()
    assert cli(app, "backup", "create", str(tmp_path / "backup")).exit_code == 0
    assert cli(app, "backup", "restore", str(tmp_path / "backup")).exit_code != 0  # refused: the database has data
    factories.login(client, factories.account(roles.AUDITOR))
    listing = client.get("/audit/list/").text
    assert "创建备份" in listing and "拒绝恢复备份" in listing
    event = db.session.query(AuditEvent).filter_by(action="backup.create").one()
    shown = client.get(f"/audit/show/{event.id}").text
    assert "上传文件数" in shown and "总行数" in shown and "alembic_revision" not in shown


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_backup_taken_while_the_portal_writes_is_one_consistent_moment(tmp_path, kind):
    """A writer adds a unit and its audit event in one transaction, over and over, while the backup runs: the
    restored database has as many of one as of the other, and the counts its manifest promised."""
    import threading

    from app.models import Unit

    with drill_database(tmp_path, kind) as other:
        some_data()
        engine = create_engine(other.config["SQLALCHEMY_DATABASE_URI"],
                               connect_args={"timeout": 30} if kind == "sqlite" else {})
        stop, written, failures = threading.Event(), [], []

        def write():
            try:
                while not stop.is_set():
                    with engine.begin() as connection:
                        n = len(written)
                        connection.execute(Unit.__table__.insert().values(name=f"写入{n}", category="district",
                                                                           level=1))
                        connection.execute(AuditEvent.__table__.insert().values(
                            action="drill.write", object_type="unit", object_label=f"写入{n}", detail={}))
                    written.append(n)
            except Exception as failure:  # noqa: BLE001 — reported by the test below
                failures.append(failure)

        writer = threading.Thread(target=write)
        writer.start()
        try:
            time.sleep(0.3)
            created = cli(other, "backup", "create", str(tmp_path / "backup"))
        finally:
            stop.set()
            writer.join()
            engine.dispose()
        assert created.exit_code == 0, created.output
        assert not failures and written

        wipe(Path(other.config["UPLOAD_DIR"]))
        db.session.remove()
        restored = cli(other, "backup", "restore", str(tmp_path / "backup"))
        assert restored.exit_code == 0 and "核对通过" in restored.output, restored.output
        db.session.remove()
        units = db.session.query(Unit).filter(Unit.name.like("写入%")).count()
        events = db.session.query(AuditEvent).filter_by(action="drill.write").count()
        assert units == events >= 1
