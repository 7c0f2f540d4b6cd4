"""The database itself refuses units that break the structure, whatever code wrote them."""
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Unit, UnitCategory
from tests import factories


def insert(**row):
    columns = ", ".join(row)
    values = ", ".join(f":{k}" for k in row)
    db.session.execute(text(f"INSERT INTO unit ({columns}, created_at) VALUES ({values}, CURRENT_TIMESTAMP)"), row)
    db.session.flush()


@pytest.fixture
def district():
    return factories.unit(name="海淀区")


def test_a_second_level_unit_takes_its_parents_category(district):
    street = factories.unit(name="中关村街道", parent=district)
    assert (street.level, street.category, street.parent_level) == (2, UnitCategory.DISTRICT.value, 1)


def test_parent_of_another_category_is_refused(district):
    with pytest.raises(IntegrityError):
        insert(name="某处", category="university", level=2, parent_id=district.id, parent_level=1)


def test_second_level_under_second_level_is_refused(district):
    street = factories.unit(name="中关村街道", parent=district)
    with pytest.raises(IntegrityError):
        insert(name="社区", category="district", level=2, parent_id=street.id, parent_level=1)


def test_level_and_parent_must_agree():
    with pytest.raises(IntegrityError):
        insert(name="孤儿街道", category="district", level=2)


def test_names_are_unique_under_a_parent_and_among_first_level_units(district):
    factories.unit(name="中关村街道", parent=district)
    with pytest.raises(IntegrityError):
        insert(name="中关村街道", category="district", level=2, parent_id=district.id, parent_level=1)
    db.session.rollback()
    with pytest.raises(IntegrityError):
        insert(name="海淀区", category="district", level=1)


def test_same_street_name_under_two_districts_is_fine():
    a = factories.unit(name="海淀区")
    b = factories.unit(name="朝阳区")
    factories.unit(name="新街道", parent=a)
    factories.unit(name="新街道", parent=b)
    assert db.session.query(Unit).filter_by(name="新街道").count() == 2


def test_a_unit_with_children_cannot_be_deleted(district):
    factories.unit(name="中关村街道", parent=district)
    with pytest.raises(IntegrityError):
        db.session.execute(text("DELETE FROM unit WHERE id = :id"), {"id": district.id})
        db.session.flush()
