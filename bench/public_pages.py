"""Benchmark: the public pages of 公示 and 表彰 with a full list, against the portal's lightest public page.

    .venv/bin/python bench/public_pages.py [--candidates 100] [--featured 10] [--repeat 30]

Builds a temporary SQLite database through the app factory and the real migrations (removed at the end): one
campaign with its 公示 open, `--candidates` 拟评选 (the first `--featured` 重点宣传) in 16 districts, each with a
phone-sized JPEG photo (1200×1600, with EXIF) and 600 characters of deeds. Then, in-process through Flask's test
client (no network, no server: what is measured is the app's own work), the median and p95 wall time of --repeat GETs
of each page, its size and its SQL statements:

- baseline: `/contact/`, the public 联系我们 page (FAB's layout, no query of ours);
- `/gongshi` (the whole list), `/gongshi?q=<a unit>` (search), `/api/v1/public/gongshi`, `/gongshi/yiyi/` (the
  objection form with every candidate in its choice);
- a publication photo: the first request (the copy is made: decode, resize, re-encode) and the next ones (cached);
- after 审核确定 (app/approval.py, timed once): `/mingdan`, `/zhengshu/<code>`, and the office's PDF of all the
  campaign's certificates (`/certificates/campaign/<id>.pdf`, one page each).

Each line: path, median ms, p95 ms, ratio of the median to the baseline's, KB, SQL statements.
"""
import argparse
import io
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from benchline import emit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def photo_jpeg(rng) -> bytes:
    from PIL import Image

    image = Image.new("RGB", (1200, 1600), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    exif = Image.Exif()
    exif[0x010F] = "BenchCam"  # Make
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85, exif=exif)
    return buffer.getvalue()


def build(args, db):
    from app import clock, roles, schedule, storage
    from app.models import Account, Application, Campaign, Unit

    rng = random.Random(1)
    campaign = Campaign(name="基准批次", year=clock.now().year)
    schedule.ensure_windows(campaign)
    schedule.open_stage(campaign, "publicity")
    db.session.add(campaign)
    districts = [Unit(name=f"区{i}", category="district", level=1) for i in range(16)]
    db.session.add_all(districts)
    db.session.flush()
    streets = [Unit(name=f"{d.name}街道{j}", parent=d) for d in districts for j in range(3)]
    db.session.add_all(streets)
    sm = __import__("flask").current_app.appbuilder.sm
    from werkzeug.security import generate_password_hash

    office = Account(username="city", first_name="市学习办", last_name="", email="city@example.invalid", active=True,
                     password=generate_password_hash("Bench@2026", method="pbkdf2:sha256:1"), roles=[sm.find_role(roles.CITY_OFFICE)], must_change_password=False)
    db.session.add(office)
    photos = [storage.store_bytes(photo_jpeg(rng), "photo", "jpg") for _ in range(8)]
    now = clock.now()
    for i in range(args.candidates):
        person = Account(username=f"c{i}", first_name=f"候选人{i}", last_name="", email=f"c{i}@example.invalid",
                         active=True, password="x", roles=[sm.find_role(roles.APPLICANT)])
        db.session.add(Application(
            campaign=campaign, applicant=person, status="featured" if i < args.featured else "candidate",
            name=f"候选人{i}", gender="female" if i % 2 else "male", id_number=f"11010819800101{i:04d}",
            mobile=f"139{i:08d}", work_unit="北京某单位", position="职员", address=f"北京市某区某路 {i} 号",
            is_permanent_resident=True, declaration_confirmed=True, unit=streets[i % len(streets)],
            deeds="坚持终身学习，" * 85, photo_file=photos[i % len(photos)], submitted_at=now,
        ))
    db.session.commit()
    return campaign, office


def timed(client, path, repeat, db, fetch=None):
    from sqlalchemy import event

    statements = []
    listener = lambda *a: statements.append(1)  # noqa: E731
    times, size = [], 0
    for _ in range(repeat):
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", listener)
        start = time.perf_counter()
        response = fetch() if fetch else client.get(path)
        times.append(time.perf_counter() - start)
        event.remove(db.engine, "before_cursor_execute", listener)
        assert response.status_code == 200, (path, response.status_code)
        size = len(response.data)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return statistics.median(times) * 1000, p95 * 1000, size / 1024, len(statements)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=100)
    parser.add_argument("--featured", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-public-"))
    os.environ.setdefault("INSTANCE_DIR", str(tmp / "instance"))
    try:
        import logging

        from flask_migrate import upgrade

        from app import approval, clock, create_app
        from app.cli import sync_security
        from app.extensions import db
        from app.models import Application, Certificate

        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}",
                          "SECRET_KEY": "bench", "UPLOAD_DIR": str(tmp / "uploads"), "WTF_CSRF_ENABLED": False,
                          "RATELIMIT_ENABLED": False, "JOBS_IMMEDIATE": True})
        with app.app_context():
            logging.getLogger("alembic").setLevel(logging.WARNING)
            upgrade()
            sync_security()
            campaign, office = build(args, db)
            client = app.test_client()
            rows = []

            def measure(label, path, repeat=args.repeat):
                rows.append((label, *timed(client, path, repeat, db)))

            measure("baseline /contact/", "/contact/")
            measure("/gongshi", "/gongshi")
            measure("/gongshi?q=区3", "/gongshi?q=区3")
            measure("/api/v1/public/gongshi", "/api/v1/public/gongshi")
            measure("/gongshi/yiyi/ (objection form)", "/gongshi/yiyi/")
            first = db.session.query(Application.id).filter_by(status="featured").first()[0]
            measure("photo, first request (copy made)", f"/gongshi/photo/{first}.jpg", repeat=1)
            measure("photo, cached", f"/gongshi/photo/{first}.jpg")

            from tests.test_approval import held  # a one-page PDF made by reportlab

            clock.freeze(campaign.window("publicity").ends_at + timedelta(hours=1))
            start = time.perf_counter()
            approval.approve(office, campaign.id, clock.now().date(), "京学习办〔2026〕1号", held())
            approve_ms = (time.perf_counter() - start) * 1000
            code = db.session.query(Certificate.code).first()[0]
            measure("/mingdan", "/mingdan")
            measure("/zhengshu/<code>", f"/zhengshu/{code}")
            signed_in = client.post("/login/", data={"username": "city", "password": "Bench@2026"})
            assert signed_in.status_code == 302, signed_in.status_code
            # The campaign's certificates are drawn by a background job (app/jobs.py), run at once here: the POST
            # that starts it, then the file from the job's 下载, timed together.
            pdf = f"/certificates/campaign/{campaign.id}.pdf"
            rows.append((f"certificates PDF ({args.candidates} pages, job)",
                         *timed(client, pdf, 3, db, fetch=lambda: client.get(client.post(pdf).headers["Location"]
                                                                             + "/download"))))
            clock.freeze(None)

            base = rows[0][1]
            print(f"{args.candidates} candidates ({args.featured} featured), median of {args.repeat} GETs in-process")
            print(f"{'page':44} {'median ms':>9} {'p95 ms':>8} {'× base':>7} {'KB':>7} {'SQL':>4}")
            for label, median, p95, kb, sql in rows:
                print(f"{label:44} {median:9.1f} {p95:8.1f} {median / base:7.1f} {kb:7.1f} {sql:4d}")
            print(f"审核确定 of {args.candidates} (winners, past winners, certificates, audit): {approve_ms:.0f} ms")
            # For bench/run_all.py (bench/README.md): each page's median against 联系我们 in the same run; no goal set.
            # A photo or a PDF is not a page: no ratio to 联系我们 for those.
            for label, median, p95, kb, sql in rows[1:]:
                page = not label.startswith(("photo", "certificates"))
                emit(f"{label} median ({sql} SQL)", round(median, 1), "ms", baseline=round(base, 1) if page else None)
            emit(f"审核确定 of {args.candidates}", round(approve_ms), "ms")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
