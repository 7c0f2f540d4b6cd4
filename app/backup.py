"""Backups of the database and the uploaded files, and the check that files on disk and the rows naming them agree.

`flask backup create DIR` writes a consistent copy of the database (SQLite's backup API; pg_dump from the snapshot its
row counts were taken in), the stored files of UPLOAD_DIR and a manifest (row counts, each file's size and SHA-256).
`flask backup restore DIR` checks the copy against its manifest before it changes anything, and the result after.
`flask files check` lists files without a row and rows without a file.
"""
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import time
import uuid
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import create_engine, inspect, select, text

from app import audit, clock
from app.extensions import db
from app.models import Application, CampaignApproval

MANIFEST = "manifest.json"
FORMAT = 1
DUMP_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.dump"}
UPLOADS = "uploads"
# Folders of UPLOAD_DIR that hold no stored file: uploads in flight and the publication copies of photos, which
# app/publicity.py makes again on demand. Neither is backed up; both are checked for leftovers. Background jobs'
# files (app/jobs.py: exports kept a day for their owner, removed with their row by `flask jobs purge`) are
# neither backed up nor restored.
TMP, PUBLIC, JOBS = "tmp", "public", "jobs"
TRANSIENT = {TMP, PUBLIC, JOBS}
# Tables a freshly deployed database already fills (`flask deploy`): data in any other table is what --force is for.
SEEDED_TABLES = {"alembic_version", "ab_permission", "ab_view_menu", "ab_permission_view", "ab_role",
                 "ab_permission_view_role", "audit_event"}
# Every column that names a stored file (app/storage.py names, kind/uuid.ext), with how the check names it.
FILE_COLUMNS = (
    (Application, "photo_file", "报名照片"),
    (Application, "video_file", "报名视频"),
    (CampaignApproval, "decision_file", "审核决定 PDF"),
)
# A file moved into place whose row is not committed yet looks like an orphan: younger ones are left alone.
ORPHAN_GRACE_SECONDS = 600
# A temporary file is in flight for minutes (an upload, a decision held between two tries of a form), not for a day.
STALE_TMP_SECONDS = 24 * 3600


class BackupError(Exception):
    """A refusal, with the operator's message in Chinese; nothing was changed."""


@dataclass(frozen=True)
class Reference:
    table: str
    row_id: int
    column: str
    name: str

    @property
    def label(self) -> str:
        what = next(label for model, column, label in FILE_COLUMNS
                    if model.__tablename__ == self.table and column == self.column)
        return f"{what}（{self.table} #{self.row_id}）{self.name}"


# --- what a database holds ----------------------------------------------------------------------------------------


def references(connection) -> list[Reference]:
    """Every stored file some row names."""
    found = []
    for model, column_name, _label in FILE_COLUMNS:
        column = getattr(model, column_name)
        rows = connection.execute(select(model.id, column).where(column.isnot(None)).order_by(model.id))
        found += [Reference(model.__tablename__, row_id, column_name, name) for row_id, name in rows]
    return found


def table_counts(connection) -> dict[str, int]:
    """Rows per table, every table of the database (FAB's and alembic_version's too)."""
    quote = connection.dialect.identifier_preparer.quote
    return {name: connection.execute(text(f"SELECT COUNT(*) FROM {quote(name)}")).scalar_one()
            for name in sorted(inspect(connection).get_table_names())}


def _revision(connection) -> str | None:
    if "alembic_version" not in inspect(connection).get_table_names():
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def code_revision() -> str:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config()).get_heads()
    return ",".join(sorted(heads))


def nonempty_tables() -> dict[str, int]:
    """The tables holding data a restore would overwrite (not what `flask deploy` seeds)."""
    with db.engine.connect() as connection:
        return {name: count for name, count in table_counts(connection).items()
                if name not in SEEDED_TABLES and count}


# --- files ----------------------------------------------------------------------------------------------------------


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def stored_files(root: Path) -> dict[str, Path]:
    """The stored files under root by stored name (photo/ab12….jpg), leaving out tmp/, public/ and our own dot-folders."""
    found = {}
    if not root.is_dir():
        return found
    for top in sorted(root.iterdir()):
        if top.name in TRANSIENT or top.name.startswith("."):
            continue
        paths = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
        for path in paths:
            found[path.relative_to(root).as_posix()] = path
    return found


def _sha256(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _copy(source: Path, target: Path) -> tuple[int, str]:
    """Copy a file, hashing what was written, readable by its owner only (uploads are personal data)."""
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    digest, size = hashlib.sha256(), 0
    with open(source, "rb") as stream, open(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


# --- create ---------------------------------------------------------------------------------------------------------


@dataclass
class Backup:
    directory: Path
    manifest: dict

    @property
    def uploads(self) -> list[dict]:
        return [f for f in self.manifest["files"] if f["path"].startswith(UPLOADS + "/")]


def create(directory: Path) -> Backup:
    """Write a backup into directory (new or empty): the database, the stored files, then the manifest last, so that
    a backup cut short has none and is refused by restore."""
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BackupError(f"备份目录 {directory} 已存在且不为空：请指定新的目录")
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        backup = _write_backup(directory)
    except BaseException:
        # No half backup left behind to fill the disk (restore would refuse it anyway: it has no manifest).
        for child in directory.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
        raise
    manifest = backup.manifest
    audit.record("backup.create", "backup", object_label=str(directory.resolve()), database=manifest["database"],
                 alembic_revision=manifest["alembic_revision"], tables=len(manifest["tables"]),
                 rows=sum(manifest["tables"].values()), files=len(backup.uploads),
                 bytes=sum(f["size"] for f in manifest["files"]), missing=len(manifest["missing_files"]))
    db.session.commit()
    return backup


def _write_backup(directory: Path) -> Backup:
    kind = db.engine.dialect.name
    dump = directory / DUMP_FILES.get(kind, "database")
    if kind == "sqlite":
        counts, refs, revision = _dump_sqlite(dump)
    elif kind == "postgresql":
        counts, refs, revision = _dump_postgres(dump)
    else:
        raise BackupError(f"不支持备份 {kind} 数据库")
    os.chmod(dump, 0o600)
    size, digest = _sha256(dump)
    files = [{"path": dump.name, "size": size, "sha256": digest}]
    # The database first, then the files: a file is removed only after the commit that stops naming it, so a file
    # the dumped rows name can only be missing if it was replaced meanwhile; the manifest says which.
    copied = set()
    (directory / UPLOADS).mkdir(mode=0o700)
    for name, path in stored_files(upload_root()).items():
        try:
            size, digest = _copy(path, directory / UPLOADS / name)
        except FileNotFoundError:
            continue
        copied.add(name)
        files.append({"path": f"{UPLOADS}/{name}", "size": size, "sha256": digest})
    body = {
        "format": FORMAT,
        "created_at": clock.now().replace(tzinfo=clock.BEIJING).isoformat(),
        "app": current_app.config.get("APP_NAME", ""),
        "alembic_revision": revision,
        "code_revision": code_revision(),
        "database": kind,
        "tables": counts,
        "files": files,
        "missing_files": sorted({r.name for r in refs} - copied),
    }
    manifest = {**body, "sha256": _digest(body)}
    _write_manifest(directory, manifest)
    return Backup(directory, manifest)


def _dump_sqlite(target: Path):
    source = db.engine.url.database
    if not source or source == ":memory:":
        raise BackupError("内存中的 SQLite 数据库无法备份")
    # The backup API copies every page in one step under a read lock: a consistent copy while the app writes.
    with closing(sqlite3.connect(source, timeout=30)) as live, closing(sqlite3.connect(target)) as copy:
        live.backup(copy)
    engine = create_engine(f"sqlite:///{target}")
    try:
        with engine.connect() as connection:
            facts = table_counts(connection), references(connection), _revision(connection)
    finally:
        engine.dispose()
    # The copy is in the live file's write-ahead mode (app/__init__.py): made one self-contained file again, with
    # nothing beside it, so that it can be moved and opened read-only as it is.
    with closing(sqlite3.connect(target)) as copy:
        copy.execute("PRAGMA journal_mode=DELETE")
    return facts


def _dump_postgres(target: Path):
    # Row counts and file names are read in one REPEATABLE READ snapshot that pg_dump then dumps: they agree with the
    # dump however busy the portal is.
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            facts = table_counts(connection), references(connection), _revision(connection)
            conninfo, env = _libpq()
            _run([_pg_tool("pg_dump"), "--format=custom", f"--snapshot={snapshot}", "--no-password",
                  f"--file={target}", f"--dbname={conninfo}"], env)
    return facts


def _pg_tool(name: str) -> str:
    folder = current_app.config.get("PG_BINDIR")
    tool = str(Path(folder) / name) if folder else shutil.which(name)
    if not tool or not Path(tool).exists():
        raise BackupError(f"找不到 {name}：请安装 PostgreSQL 客户端（版本不低于服务器），或设置 PG_BINDIR")
    return tool


def _libpq() -> tuple[str, dict]:
    """The database's connection string for pg_dump/pg_restore, the password in the environment (never in argv,
    which every user of the machine can read)."""
    url = db.engine.url
    parts = {"host": url.host, "port": url.port, "user": url.username, "dbname": url.database}
    parts.update({key: value if isinstance(value, str) else value[-1] for key, value in url.query.items()})

    def quoted(value) -> str:
        return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"

    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return " ".join(f"{key}={quoted(value)}" for key, value in parts.items() if value not in (None, "")), env


def _run(command: list[str], env: dict) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise BackupError(f"{Path(command[0]).name} 失败（退出码 {done.returncode}）：{tail}")


def _digest(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def _write_manifest(directory: Path, manifest: dict) -> None:
    temporary = directory / f".{MANIFEST}.tmp"
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as out:
        json.dump(manifest, out, ensure_ascii=False, indent=2)
    os.replace(temporary, directory / MANIFEST)


# --- restore --------------------------------------------------------------------------------------------------------


def verify(directory: Path) -> dict:
    """The manifest of a backup whose files are exactly those it lists, with their sizes and checksums; else
    BackupError naming what does not match (a tampered or incomplete backup)."""
    directory = Path(directory)
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{directory} 中没有 {MANIFEST}：不是备份目录，或备份没有完成") from None
    except (OSError, ValueError) as problem:
        raise BackupError(f"{MANIFEST} 无法读取：{problem}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{MANIFEST} 不是本系统的备份清单（格式 {FORMAT}）")
    body = {key: value for key, value in manifest.items() if key != "sha256"}
    if manifest.get("sha256") != _digest(body):
        raise BackupError(f"{MANIFEST} 被改动过（校验和不符）：拒绝恢复")
    problems = []
    listed = {}
    for entry in manifest.get("files", []):
        path = str(entry.get("path", ""))
        if not path or path.startswith("/") or ".." in Path(path).parts:
            problems.append(f"清单中的路径不合法：{path}")
            continue
        listed[path] = entry
        file = directory / path
        if not file.is_file():
            problems.append(f"缺少文件：{path}")
            continue
        size, digest = _sha256(file)
        if size != entry.get("size") or digest != entry.get("sha256"):
            problems.append(f"文件与清单不符（大小或 SHA-256）：{path}")
    for file in sorted(p for p in directory.rglob("*") if p.is_file()):
        path = file.relative_to(directory).as_posix()
        if path != MANIFEST and path not in listed:
            problems.append(f"清单中没有的文件：{path}")
    if DUMP_FILES.get(manifest.get("database")) not in listed:
        problems.append("清单中没有数据库文件")
    if problems:
        raise BackupError("备份与清单不符，拒绝恢复（没有做任何改动）：\n  " + "\n  ".join(problems))
    return manifest


@dataclass
class Restored:
    manifest: dict
    problems: list[str] = field(default_factory=list)
    files: int = 0


def restore(directory: Path, force: bool = False) -> Restored:
    """Put a verified backup in place of the database and the stored files, then check rows and files against the
    manifest. Refused, with nothing changed, for a backup that does not match its manifest, one of another kind of
    database, or (without force) when the database already holds data."""
    directory = Path(directory)
    manifest = verify(directory)
    kind = db.engine.dialect.name
    if manifest["database"] != kind:
        raise BackupError(f"备份来自 {manifest['database']} 数据库，当前数据库是 {kind}：不能直接恢复")
    if not force:
        filled = nonempty_tables()
        if filled:
            listed = "、".join(f"{name} {count} 行" for name, count in sorted(filled.items())[:6])
            raise BackupError(f"当前数据库已有数据（{listed}…）：确认要用备份覆盖时加 --force")
    root = upload_root()
    root.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:12]
    staging = root / f".restore-{token}"
    staging.mkdir(mode=0o700)
    try:
        uploads = [f for f in manifest["files"] if f["path"].startswith(UPLOADS + "/")]
        for entry in uploads:
            _copy(directory / entry["path"], staging / entry["path"][len(UPLOADS) + 1:])
        db.session.remove()
        db.engine.dispose()  # no pooled connection of ours may hold a lock the restore waits for
        dump = directory / DUMP_FILES[kind]
        if kind == "sqlite":
            _restore_sqlite(dump)
        else:
            conninfo, env = _libpq()
            # One transaction: a dump that fails half-way leaves the database as it was.
            _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--single-transaction", "--exit-on-error",
                  "--no-owner", "--no-password", f"--dbname={conninfo}", str(dump)], env)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _swap_uploads(root, staging, token)
    db.engine.dispose()
    restored = Restored(manifest, files=len(uploads))
    restored.problems = check_restored(manifest)
    audit.record("backup.restore", "backup", object_label=str(directory.resolve()), database=kind,
                 created_at=manifest.get("created_at"), alembic_revision=manifest.get("alembic_revision"),
                 tables=len(manifest["tables"]), rows=sum(manifest["tables"].values()), files=len(uploads),
                 forced=force, problems=len(restored.problems))
    db.session.commit()
    return restored


def _restore_sqlite(dump: Path) -> None:
    live = db.engine.url.database
    if not live or live == ":memory:":
        raise BackupError("内存中的 SQLite 数据库无法恢复")
    # The backup API in the other direction: the live file's pages are replaced in one write transaction.
    with closing(sqlite3.connect(f"file:{dump}?mode=ro", uri=True)) as copy, \
            closing(sqlite3.connect(live, timeout=30)) as target:
        copy.backup(target)


def _swap_uploads(root: Path, staging: Path, token: str) -> None:
    """The restored files take the place of the stored ones folder by folder (renames on one file system)."""
    old = root / f".restore-old-{token}"
    old.mkdir(mode=0o700)
    for child in list(root.iterdir()):
        if child.name not in TRANSIENT and not child.name.startswith("."):
            os.rename(child, old / child.name)
    for child in list(staging.iterdir()):
        os.rename(child, root / child.name)
    shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)
    # Publication copies are named after photos' stored names: made again on demand for the restored ones.
    shutil.rmtree(root / PUBLIC, ignore_errors=True)


def check_restored(manifest: dict) -> list[str]:
    """What differs between the database and UPLOAD_DIR now and the manifest (empty: restored as backed up)."""
    problems = []
    with db.engine.connect() as connection:
        counts = table_counts(connection)
    for name, expected in manifest["tables"].items():
        if counts.get(name) != expected:
            problems.append(f"数据表 {name}：清单 {expected} 行，恢复后 {counts.get(name, '（无此表）')} 行")
    on_disk = stored_files(upload_root())
    listed = {f["path"][len(UPLOADS) + 1:]: f for f in manifest["files"] if f["path"].startswith(UPLOADS + "/")}
    for name, entry in listed.items():
        if name not in on_disk:
            problems.append(f"文件没有恢复：{name}")
        elif _sha256(on_disk[name]) != (entry["size"], entry["sha256"]):
            problems.append(f"恢复的文件与清单不符：{name}")
    problems += [f"清单之外的文件：{name}" for name in sorted(set(on_disk) - set(listed))]
    return problems


def record_refusal(directory: Path, reason: str) -> None:
    """A refused restore is audited too; if the database cannot take the event (the reason to restore may be a
    broken database), the refusal still stands."""
    try:
        audit.record("backup.restore_refused", "backup", object_label=str(Path(directory).resolve()),
                     reason=reason[:500])
        db.session.commit()
    except Exception:  # noqa: BLE001 — the refusal itself is what the operator must see
        db.session.rollback()


# --- files check ----------------------------------------------------------------------------------------------------


@dataclass
class FilesReport:
    orphans: list[str]  # names under UPLOAD_DIR no row names
    missing: list[Reference]  # rows naming a file that is not there

    @property
    def clean(self) -> bool:
        return not self.orphans and not self.missing


def check_files() -> FilesReport:
    """Stored files without a row (and stale temporary files and publication copies of photos no row names any
    more), and rows whose file is missing. Files younger than ORPHAN_GRACE_SECONDS are left out: their row may be
    about to be committed."""
    from app.publicity import _photo_key  # the publication copy's name, which app/publicity.py owns

    root = upload_root()
    now = time.time()
    # The disk before the rows: a file committed in between is then seen with its row.
    on_disk = stored_files(root)
    public = sorted((root / PUBLIC).glob("*")) if (root / PUBLIC).is_dir() else []
    temporary = sorted(p for p in (root / TMP).rglob("*") if p.is_file()) if (root / TMP).is_dir() else []
    refs = references(db.session.connection())
    db.session.rollback()
    named = {r.name for r in refs}
    photo_keys = {_photo_key(r.name) for r in refs if r.column == "photo_file"}

    def age(path: Path) -> float:
        try:
            return now - path.stat().st_mtime
        except FileNotFoundError:
            return -1

    orphans = [name for name, path in on_disk.items() if name not in named and age(path) > ORPHAN_GRACE_SECONDS]
    orphans += [f"{PUBLIC}/{p.name}" for p in public
                if p.is_file() and p.stem not in photo_keys and age(p) > ORPHAN_GRACE_SECONDS]
    orphans += [p.relative_to(root).as_posix() for p in temporary if age(p) > STALE_TMP_SECONDS]
    # What an interrupted restore left aside (its staging or the files it replaced).
    orphans += [p.relative_to(root).as_posix() for folder in root.glob(".restore-*") for p in folder.rglob("*")
                if p.is_file() and age(p) > ORPHAN_GRACE_SECONDS]
    missing = [r for r in refs if not _exists(root, r.name)]
    if missing:
        # A file replaced meanwhile is removed after its row changed: only what is still named and still absent.
        still = set(references(db.session.connection()))
        db.session.rollback()
        missing = [r for r in missing if r in still and not _exists(root, r.name)]
    return FilesReport(sorted(orphans), missing)


def _exists(root: Path, name: str) -> bool:
    if not name or "/" not in name or ".." in name or name.startswith("/"):
        return False
    return (root / name).is_file()


def delete_orphans(report: FilesReport) -> tuple[int, int]:
    """Remove the orphans a check found; audited. Returns (files, bytes)."""
    root = upload_root()
    removed, size = [], 0
    for name in report.orphans:
        path = root / name
        try:
            size += path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            continue
        removed.append(name)
    if removed:
        # Stored names are random (kind/uuid.ext): they say nothing about the person.
        audit.record("files.delete_orphans", "files", files=len(removed), bytes=size, names=removed[:100])
        db.session.commit()
    return len(removed), size


# --- commands -------------------------------------------------------------------------------------------------------

backup_cli = AppGroup("backup", help="备份与恢复：数据库和上传文件")
files_cli = AppGroup("files", help="上传文件与数据库记录的核对")


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


@backup_cli.command("create")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def create_command(directory):
    """Write a backup into DIRECTORY (new or empty): the database, UPLOAD_DIR's stored files and manifest.json."""
    try:
        backup = create(directory)
    except BackupError as refused:
        db.session.rollback()
        raise click.ClickException(str(refused)) from refused
    except OSError as failed:  # a full or unwritable disk: nothing of the backup is left behind
        db.session.rollback()
        raise click.ClickException(f"备份失败：{failed}") from failed
    manifest = backup.manifest
    click.echo(f"备份完成：{directory}")
    click.echo(f"  数据库（{manifest['database']}，版本 {manifest['alembic_revision']}）："
               f"{len(manifest['tables'])} 张表，共 {sum(manifest['tables'].values())} 行")
    click.echo(f"  上传文件 {len(backup.uploads)} 个，{_megabytes(sum(f['size'] for f in backup.uploads))}")
    click.echo(f"  清单 {MANIFEST}，SHA-256 {manifest['sha256']}")
    if manifest["missing_files"]:
        click.echo(f"注意：{len(manifest['missing_files'])} 个文件有记录但备份时不在磁盘上"
                   f"（flask files check 列出详情）：")
        for name in manifest["missing_files"][:20]:
            click.echo(f"  {name}")


@backup_cli.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite a database that already holds data.")
def restore_command(directory, force):
    """Restore the database and UPLOAD_DIR from the backup in DIRECTORY, after checking it against its manifest;
    then check row counts and checksums. Stop the app servers first."""
    try:
        restored = restore(directory, force=force)
    except (BackupError, OSError) as refused:
        db.session.rollback()
        record_refusal(directory, str(refused))
        raise click.ClickException(str(refused)) from refused
    manifest = restored.manifest
    click.echo(f"已从 {directory} 恢复（备份时间 {manifest['created_at']}）：{len(manifest['tables'])} 张表，"
               f"共 {sum(manifest['tables'].values())} 行；上传文件 {restored.files} 个")
    if manifest.get("alembic_revision") != code_revision():
        click.echo(f"注意：备份的数据库版本 {manifest.get('alembic_revision')} 与当前程序的版本 {code_revision()} 不同："
                   "请运行 flask deploy")
    if restored.problems:
        click.echo("恢复后的核对发现问题：")
        for problem in restored.problems:
            click.echo(f"  {problem}")
        click.get_current_context().exit(1)
    click.echo("核对通过：行数和文件校验和与清单一致")


@files_cli.command("check")
@click.option("--delete-orphans", "delete", is_flag=True, help="Remove the files no row names (asks first).")
@click.option("--yes", is_flag=True, help="With --delete-orphans: remove without asking.")
def check_command(delete, yes):
    """List files under UPLOAD_DIR that no row names, and rows whose file is missing; exit 0 only when there are
    none (after --delete-orphans, when only missing files remain, still 1)."""
    report = check_files()
    if report.orphans:
        click.echo(f"没有记录的文件（{len(report.orphans)} 个）：")
        for name in report.orphans:
            click.echo(f"  {name}")
    if report.missing:
        click.echo(f"文件缺失的记录（{len(report.missing)} 条）：")
        for reference in report.missing:
            click.echo(f"  {reference.label}")
    if report.clean:
        click.echo("文件与记录一致")
        return
    orphans_left = bool(report.orphans)
    if delete and report.orphans:
        if not yes:
            click.confirm(f"删除以上 {len(report.orphans)} 个没有记录的文件？", abort=True)
        count, size = delete_orphans(report)
        click.echo(f"已删除 {count} 个文件，{_megabytes(size)}")
        orphans_left = False
    if orphans_left or report.missing:
        click.get_current_context().exit(1)
