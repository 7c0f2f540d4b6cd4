"""Telephone numbers, checked with the phonenumbers library (mainland China)."""
import phonenumbers
from flask_babel import gettext as _
from phonenumbers import PhoneNumberType


class PhoneError(ValueError):
    pass


def _parse(text: str):
    digits = "".join(ch for ch in (text or "") if ch.isdigit() or ch == "+")
    try:
        number = phonenumbers.parse(digits, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number) and len(digits) == 8:
        # A Beijing landline written without its area code, as the notice writes 82364980.
        number = phonenumbers.parse("010" + digits, "CN")
    return number if phonenumbers.is_valid_number(number) and number.country_code == 86 else None


def normalize_contact_phone(text: str) -> str:
    """A mainland mobile (13911588771) or fixed line with its area code (010-82364980). Raises PhoneError."""
    number = _parse(text)
    if number is None:
        raise PhoneError(_("电话号码无效：请填写 11 位手机号或带区号的固定电话"))
    digits = str(number.national_number)
    area = phonenumbers.length_of_geographical_area_code(number)
    return f"0{digits[:area]}-{digits[area:]}" if area else digits


def normalize_mobile(text: str) -> str:
    """A mainland mobile number (11 digits). Raises PhoneError; a fixed line is refused."""
    number = _parse(text)
    if number is None or phonenumbers.number_type(number) not in (
        PhoneNumberType.MOBILE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise PhoneError(_("请填写有效的 11 位中国大陆手机号码"))
    return str(number.national_number)
