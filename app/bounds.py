"""Numbers from a request bounded before the database sees them: an id in a URL above what a BIGINT holds (or
negative, or not a number at all) is a missing row (404), not a database error. The `int` URL converter and the
`<pk>` of FAB's routes both go through `row_id`."""
from flask import abort
from werkzeug.routing import IntegerConverter

# The largest value of PostgreSQL's BIGINT (and SQLite's INTEGER): anything above can name no row.
MAX_ID = 2**63 - 1


def row_id(value) -> int | None:
    """value as an id a row may have (0 … MAX_ID), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        number = int(value)
    else:
        return None
    return number if 0 <= number <= MAX_ID else None


class BoundedIntegerConverter(IntegerConverter):
    """`<int:…>` that matches only what row_id accepts; a larger number does not match the route (404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def install(app) -> None:
    """Before any view is added (a rule binds its converter when it is added). FAB's own routes take `<pk>` as a
    string: one that is no id is answered 404 before the view runs."""
    app.url_map.converters["int"] = BoundedIntegerConverter

    @app.url_value_preprocessor
    def bounded_pk(endpoint, values):
        if values and "pk" in values and isinstance(values["pk"], str) and row_id(values["pk"]) is None:
            abort(404)
