"""app/score_sheets.py: reviews read in batches with their scores, text never a formula, the file's name."""
import io
from datetime import date

from openpyxl import load_workbook

from app import score_sheets
from app.extensions import db
from tests import factories
from tests.test_rounds import SCORES, mixed
from tests.test_rounds import world  # noqa: F401


def test_reviews_come_in_batches_with_their_own_scores(world):  # noqa: F811
    mixed(world)
    r = world["round"]
    for i in range(5):
        extra = factories.expert(first_name=f"批量专家{i}")
        factories.assignment(r, world["apps"][i % 4], extra, "submitted", {**SCORES, "values": i})
    db.session.expire_all()
    read = list(score_sheets.reviews(score_sheets.sheet_query(r), batch_size=2))
    assert len(read) == 8  # 3 of mixed() + 5, never a draft, an untouched or a declined review
    values = {c.key: c.id for c in r.criteria}["values"]
    by_expert = {a.expert.name: scores for a, scores in read}
    assert [by_expert[f"批量专家{i}"][values] for i in range(5)] == [0, 1, 2, 3, 4]
    assert len(score_sheets.reviews(score_sheets.sheet_query(r, world["li"].id)).__next__()[1]) == 6


def test_what_experts_and_applicants_typed_stays_text(world):  # noqa: F811
    r = world["round"]
    application = factories.application(unit=world["apps"][0].unit, campaign=world["campaign"], status="reported",
                                        name="=1+1")
    factories.assignment(r, application, world["zhang"], "submitted", SCORES, comment="@SUM(A1:A9)\x07")
    out = io.BytesIO()
    assert score_sheets.write_score_sheet(r, score_sheets.reviews(score_sheets.sheet_query(r)), out) == 1
    sheet = load_workbook(io.BytesIO(out.getvalue())).worksheets[0]
    row = list(sheet.iter_rows(min_row=3, max_row=3))[0]
    assert (row[1].value, row[1].data_type) == ("=1+1", "s")
    assert row[-2].value == "@SUM(A1:A9)"  # the control character dropped, the text kept as text


def test_file_names_say_what_the_sheet_holds(world):  # noqa: F811
    r, zhang = world["round"], world["zhang"]
    day = date(2026, 6, 18)
    name = world["campaign"].name
    assert score_sheets.file_name(r, None, day) == f"评分表-{name}-专家初审-2026-06-18.xlsx"
    assert score_sheets.file_name(r, zhang, day) == f"评分表-{name}-专家初审-张专家-2026-06-18.xlsx"
    assert score_sheets.ascii_file_name(r, zhang, day) == f"scores-initial_review-expert{zhang.id}-2026-06-18.xlsx"
