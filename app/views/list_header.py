"""A list page's header worked out in Python: the page links, the page sizes and the sortable column headers, with the
same links and the same rules as FAB's `lib.html` macros (render_pagination, render_set_page_size, the list widget's
headers). FAB's macros call url_for once per link (a dozen per page); here each kind of link is built once with a slot
for its value, and the template only writes the results out."""
import math
from typing import Callable, NamedTuple

from flask import request, url_for
from markupsafe import Markup

# What url_for writes for a value, unchanged by its quoting; each link then gets its value in its place.
SLOT = _SLOT = "__slot__"  # where link_with's one changing value goes
PAGE_SIZES = range(25, 125, 25)  # FAB's choices


class PageLink(NamedTuple):
    label: str
    href: str | None  # None: written as "#" (the current page, or a step that goes nowhere)
    state: str  # "", "active" or "disabled": the <li>'s class


class SortLink(NamedTuple):
    column: str
    href: str
    icon: str  # FAB's: chevron-up when sorted ascending by it, chevron-down descending, arrows-v otherwise


def link_with(**changed: str) -> Callable[[object], str]:
    """FAB's link_page / link_page_size / link_order: the current route with the request's arguments (their first
    values, as FAB's), `changed` set in their place or added last. The one argument given _SLOT is filled in per
    link; url_for runs once."""
    url = url_for(request.endpoint, **{**request.view_args, **request.args.to_dict(), **changed})
    return lambda value: url.replace(_SLOT, str(value))


def page_count(count: int, page_size: int) -> int:
    return math.ceil(count / page_size)


def page_links(page: int | None, page_size: int, count: int, view: str) -> list[PageLink]:
    """render_pagination's links: first, previous, up to seven pages around this one, next, last; none when all
    rows fit on one page."""
    page, pages = page or 0, page_count(count, page_size)
    if pages <= 1:
        return []
    low, high = page - 3, page + 3 + 1
    if low < 0:
        high -= low
    if high >= pages:
        low = low - high + pages
    low, high = max(low, 0), min(high, pages)
    link = link_with(**{f"page_{view}": _SLOT})

    def step(label: str, target: int, possible: bool) -> PageLink:
        return PageLink(Markup(label), link(target), "") if possible else PageLink(Markup(label), None, "disabled")

    return [
        step("&laquo;", 0, low > 0),
        step("&lt;", page - 1, page > 0),
        *(PageLink(str(p + 1), None, "active") if p == page else PageLink(str(p + 1), link(p), "")
          for p in range(low, high)),
        step("&gt;", page + 1, page + 1 < pages),
        step("&raquo;", pages - 1, high < pages),
    ]


def page_size_links(page: int | None, page_size: int, count: int, view: str) -> list[PageLink] | None:
    """render_set_page_size's choices (25 to 100, those that reach this page), the current one active; None (no
    menu) when all rows fit on one page. A page past the last has the menu with no choices, as FAB's."""
    page = page or 0
    if page_count(count, page_size) <= 1:
        return None
    link = link_with(**{f"psize_{view}": _SLOT})
    return [
        PageLink(str(size), link(size), "active" if size == page_size else "")
        for size in PAGE_SIZES
        if page * size <= count
    ]


def sort_links(columns: list[str], sortable, view: str) -> dict[str, SortLink]:
    """The column headers' links: sort by this column, ascending, or the other way round when the list is already
    sorted (FAB's rule: by whichever column)."""
    order_column, order_direction = request.args.get(f"_oc_{view}"), request.args.get(f"_od_{view}")
    if order_column is not None:
        direction = "desc" if order_direction == "asc" else "asc"
    else:
        direction = "asc"
    link = link_with(**{f"_oc_{view}": _SLOT, f"_od_{view}": direction})
    icons = {}
    if order_column is not None:
        icons[order_column] = "fa-chevron-up" if order_direction == "asc" else "fa-chevron-down"
    return {
        column: SortLink(column, link(column), icons.get(column, "fa-arrows-v")) for column in columns
        if column in sortable
    }
