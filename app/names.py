"""Names that people and units are known by: one normaliser for every name field (units, accounts, applicants,
experts, campaigns), in forms, REST APIs and spreadsheet imports alike.

A name is NFKC-normalised (full-width letters and compatibility ideographs become their ordinary forms), trimmed,
and its inner runs of spaces become one plain space. Invisible and direction-control characters are refused, not
silently removed: `中关村街道` followed by a zero-width space, or with a right-to-left override, looked like a second
中关村街道 under 海淀区, and a clerk should see what was pasted.
"""
import re
import unicodedata

from flask_babel import gettext as _
from wtforms import ValidationError
from wtforms.validators import StopValidation

# Unicode categories no name needs: control (Cc: tabs, line breaks), format (Cf: zero-width space U+200B-U+200F,
# bidi embeddings and overrides U+202A-U+202E and isolates U+2066-U+2069, the BOM U+FEFF, soft hyphen), private use,
# surrogates, unassigned; and separators (Z*) other than the plain space.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}
_SPACES = re.compile(" {2,}")


class BadName(ValueError):
    """str() is the Chinese message for the field."""


def clean(value, what: str | None = None) -> str:
    """The name as stored; raises BadName when it carries an invisible or control character. Empty stays empty
    (whether a name is required is the caller's rule)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadName(_("%(what)s须为文字", what=what or _("名称")))
    text = unicodedata.normalize("NFKC", value).strip()
    for char in text:
        category = unicodedata.category(char)
        if category in _REFUSED_CATEGORIES or (category == "Zs" and char != " "):
            raise BadName(_(
                "%(what)s中含有不可见字符或文字方向控制字符（%(code)s，常见于从网页或文档复制的文字），"
                "请删除后重新输入",
                what=what or _("名称"), code=f"U+{ord(char):04X}",
            ))
    return _SPACES.sub(" ", text)


class Name:
    """WTForms validator: normalises the field's data in place, or shows why not at the field."""

    def __init__(self, what: str | None = None, required: bool = False):
        self.what = what
        self.required = required

    def __call__(self, form, field):
        what = str(self.what) if self.what else str(field.label.text)
        if field.data is not None:
            try:
                field.data = clean(field.data, what)
            except BadName as bad:
                raise ValidationError(str(bad)) from None
        if self.required and not field.data:
            # Spaces only passed FAB's InputRequired (it reads what was typed) and were saved as an empty name.
            # StopValidation: a ValidationError would be cleared by an Optional() later in the chain.
            raise StopValidation(_("请填写%(what)s", what=what))
