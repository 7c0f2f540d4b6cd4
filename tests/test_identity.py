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
