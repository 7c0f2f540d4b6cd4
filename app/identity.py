"""Resident ID numbers (居民身份证号, GB 11643): checksum and birth place by python-stdnum, plus a real birth date."""
import re
from dataclasses import dataclass
from datetime import date

from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric


class IdNumberError(ValueError):
    pass


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: date
    gender: str  # "male" | "female"


def parse_id_number(text: str, today: date) -> ResidentId:
    """Validate an 18-digit ID number; raises IdNumberError with a Chinese message."""
    number = (text or "").strip().upper().replace(" ", "")
    if len(number) != 18:
        raise IdNumberError("身份证号应为 18 位（最后一位可以是 X）")
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise IdNumberError("身份证号格式不正确：前 17 位须为数字，最后一位为数字或 X")
    try:
        number = ric.validate(number)
    except stdnum_errors.InvalidChecksum as bad:
        raise IdNumberError("身份证号校验位不正确，请核对后重新填写") from bad
    except stdnum_errors.InvalidComponent as bad:
        raise IdNumberError("身份证号中的出生日期或地区码无效，请核对") from bad
    except stdnum_errors.ValidationError as bad:
        raise IdNumberError("身份证号格式不正确：前 17 位须为数字，最后一位为数字或 X") from bad
    born = ric.get_birth_date(number)
    # stdnum accepts any calendar date, 2030 included.
    if born > today:
        raise IdNumberError("身份证号中的出生日期晚于今天，请核对")
    if born.year < 1900:
        raise IdNumberError("身份证号中的出生日期早于 1900 年，请核对")
    return ResidentId(number=number, birth_date=born, gender="male" if int(number[16]) % 2 else "female")
