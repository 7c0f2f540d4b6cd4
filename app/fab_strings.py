"""Strings Flask-AppBuilder shows but its own zh catalog does not translate (or translates wrongly for us).

Listed here so that `make babel` carries them into our catalog (babel/zh), which FAB's catalog is merged with;
babel/zh gives their Chinese, babel/en keeps them English. Nothing imports this module.
Found by extracting FAB 5.3's own messages and comparing them with its compiled zh catalog; tests/test_i18n.py
walks every role's pages for English left over.
"""
from flask_babel import lazy_gettext as _l

FAB_STRINGS = [
    # Missing from FAB's zh catalog.
    # Row buttons of every list and show page, and the delete confirmation.
    _l("Add"),
    _l("Edit"),
    _l("Show"),
    _l("Delete"),
    _l("Are you sure you want to delete this item?"),
    # Search filters.
    _l("Contains (insensitive)"),
    _l("Start with"),
    _l("In"),
    _l("Not In"),
    # Form and database errors.
    _l("Not a valid choice"),
    _l("Database Error"),
    _l("Must have at least two capital letters, one special character, two digits, three lower case letters and a minimal length of 10."),
    # The security screens: users, roles, groups, the profile.
    _l("Groups"),
    _l("List Groups"),
    _l("Show Group"),
    _l("Add Group"),
    _l("Edit Group"),
    _l("Either select a role or a group"),
    _l("User(s) exists in the role, cannot delete"),
    _l("User(s) exists in the group, cannot delete"),
    _l("The user's password for authentication"),
    _l("It's not a good policy to remove a user, just make it inactive"),
    # FAB wraps this one in lazy_formatter_gettext, which extraction does not see.
    _l("The user group on the application, this will associate with a list of roles associated with the group"),
    _l("Edit User Information"),
    _l("User information changed"),
    # Translated by FAB, but wrongly or misleadingly for this portal: overridden in babel/zh.
    _l("Starts with"),  # FAB: 以开始
    _l("Not Starts with"),
    _l("Ends with"),
    _l("Not Ends with"),
    _l("Integrity error, probably unique constraint"),  # FAB: "…可能缺少必填字段数据"
    _l("Please use a good password policy, this application does not check this for you"),  # we do check it
    _l("Username valid for authentication on DB or LDAP, unused for OID auth"),  # no LDAP or OpenID here
    _l("The user's email, this will also be used for OID auth"),
]
