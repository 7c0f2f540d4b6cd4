from datetime import date

import pytest

from app.identity import IdNumberError, parse_id_number
from tests import factories

TODAY = date(2026, 11, 29)


def test_a_valid_number_gives_birth_date_and_gender():
    number = factories.id_number("19850615", 123)  # 17th digit 3: odd, male
    resident = parse_id_number(number.lower(), TODAY)
    assert resident.number == number.upper()
    assert resident.birth_date == date(1985, 6, 15) and resident.gender == "male"
    assert parse_id_number(factories.id_number("19850615", 124), TODAY).gender == "female"



def test_full_width_digits_and_spaces_from_a_phones_keyboard_read_as_the_number():
    """A Chinese keyboard types １１０１０８… and Ｘ: the same number, not 「前 17 位须为数字」."""
    number = factories.id_number("19850615", 123)
    wide = number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    assert parse_id_number(f"　{wide[:6]}　{wide[6:]} ", TODAY).number == number
    with_x = next(n for n in (factories.id_number("19850615", s) for s in range(1, 200)) if n.endswith("X"))
    assert parse_id_number(with_x[:-1] + "ｘ", TODAY).number == with_x
    with pytest.raises(IdNumberError, match="格式不正确"):  # Arabic-Indic digits are digits, not these
        parse_id_number("١" * 17 + "1", TODAY)


@pytest.mark.parametrize(
    "number, message",
    [
        ("11010819800101", "应为 18 位"),
        ("11010819800101001A", "格式不正确"),
        (factories.id_number("19800101", 1)[:-1] + ("0" if factories.id_number("19800101", 1)[-1] != "0" else "1"), "校验位"),
        (factories.id_number("20300101", 1), "晚于今天"),
        (factories.id_number("18990101", 1), "早于 1900"),
        (factories.id_number("19800230", 1), "出生日期或地区码"),
    ],
)
def test_bad_numbers_are_explained(number, message):
    with pytest.raises(IdNumberError, match=message):
        parse_id_number(number, TODAY)


def test_an_area_code_newer_than_its_holder_is_accepted():
    # 370102 (历下区) dates from 1985 in stdnum's table; a card issued there to someone born in 1970 is genuine.
    assert parse_id_number("370102197005234978", TODAY).birth_date == date(1970, 5, 23)


def test_an_unknown_province_is_refused():
    from stdnum.cn import ric

    body = "991234198001010010"
    number = body[:-1] + ric.calc_check_digit(body)
    with pytest.raises(IdNumberError, match="地区码"):
        parse_id_number(number, TODAY)


def test_birth_date_and_gender_are_what_the_number_states():
    from app.identity import derived_from

    assert derived_from(factories.id_number("19850615", 123)) == (date(1985, 6, 15), "male")
    assert derived_from(factories.id_number("19850615", 124).lower()) == (date(1985, 6, 15), "female")
    assert derived_from("11010819851345123X") is None and derived_from("") is None and derived_from(None) is None


def test_an_application_recomputes_birth_date_and_gender_from_its_id_number_on_every_save(app):
    """Whichever door writes the row (a clerk screen, the API, a script), the two follow the ID number."""
    from app.extensions import db

    _, (street, _) = factories.district_with_streets()
    application = factories.application(unit=street, id_number=factories.id_number("19850615", 124), gender="male",
                                        birth_date=date(2000, 1, 1))
    db.session.refresh(application)
    assert (application.birth_date, application.gender) == (date(1985, 6, 15), "female")
    application.gender, application.birth_date = "male", date(1999, 9, 9)
    db.session.commit()
    db.session.refresh(application)
    assert (application.birth_date, application.gender) == (date(1985, 6, 15), "female")
    application.id_number = factories.id_number("19700102", 11)
    db.session.commit()
    db.session.refresh(application)
    assert (application.birth_date, application.gender) == (date(1970, 1, 2), "male")
