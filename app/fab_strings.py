"""Strings Flask-AppBuilder shows but its own zh catalog does not translate.

Listed here so that `make babel` carries them into our catalog (babel/zh), which FAB's catalog is merged with.
Nothing imports this module.
"""
from flask_babel import lazy_gettext as _l

FAB_STRINGS = [
    _l("Add"),
    _l("Edit"),
    _l("Show"),
    _l("Delete"),
]
