"""Resident ID numbers (居民身份证号, GB 11643): python-stdnum's check digit and date, plus a real birth date.

stdnum's validate() also requires the area code to have existed in the birth year. A card's area code is where the
number was issued (1984 onwards), not where its holder was born, so that rule refuses genuine older citizens from
many areas (370102 历下区 born 1970, say). We check the province part only.
"""
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric

# GB/T 2260 province-level codes: the first two digits of every resident ID number.
PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43",
    "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
}


class IdNumberError(ValueError):
    pass


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: date
    gender: str  # "male" | "female"


def derived_from(number: str | None) -> tuple[date, str] | None:
    """(birth date, gender) as an 18-digit number states them, without judging the rest of it; None when it states
    no date. Birth date and gender are never entered apart from the ID number: the application model recomputes them
    from it on every save (app/models/application.py)."""
    number = (number or "").strip().upper()
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):  # ASCII only: \d would also take other scripts' digits
        return None
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None
    return born, "male" if int(number[16]) % 2 else "female"


def parse_id_number(text: str, today: date) -> ResidentId:
    """Validate an 18-digit ID number; raises IdNumberError with a Chinese message."""
    # Full-width digits, Ｘ and spaces (a phone's Chinese keyboard types them) read as their ASCII selves.
    number = unicodedata.normalize("NFKC", text or "").strip().upper().replace(" ", "")
    if len(number) != 18:
        raise IdNumberError("身份证号应为 18 位（最后一位可以是 X）")
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):  # ASCII: \d also takes other scripts' digits
        raise IdNumberError("身份证号格式不正确：前 17 位须为数字，最后一位为数字或 X")
    if number[-1] != ric.calc_check_digit(number):
        raise IdNumberError("身份证号校验位不正确，请核对后重新填写")
    if number[:2] not in PROVINCES:
        raise IdNumberError("身份证号中的出生日期或地区码无效，请核对")
    try:
        born = ric.get_birth_date(number)
    except stdnum_errors.ValidationError as bad:
        raise IdNumberError("身份证号中的出生日期或地区码无效，请核对") from bad
    # stdnum accepts any calendar date, 2030 included.
    if born > today:
        raise IdNumberError("身份证号中的出生日期晚于今天，请核对")
    if born.year < 1900:
        raise IdNumberError("身份证号中的出生日期早于 1900 年，请核对")
    return ResidentId(number=number, birth_date=born, gender="male" if int(number[16]) % 2 else "female")
