"""The list widget of every portal list (PortalModelView's and the account list's): FAB's table, written in Python
(app/views/list_markup.py) instead of FAB's three templates with a macro per row.

Each row is its key and its cells, formatted here (FAB looks up and applies each cell's formatter in Jinja); the
header's links are worked out once per page (app/views/list_header.py), and each row button's route once per page with
a slot for the row's key (FAB calls url_for for each button of each row)."""
from flask import current_app, url_for
from flask_appbuilder.widgets import ListWidget
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from app.views import list_header, list_markup
from app.views.list_markup import PK_SLOT, RowButtons


class PortalListWidget(ListWidget):
    """FAB's list widget, the same markup (but each row's checkbox named after its first cell), written in Python.
    `name_links`: the first column links to the row's page (the review list: the applicant's name)."""

    name_links = False

    def __call__(self, **kwargs):
        args = {**self.template_args, **kwargs}
        view, filters = args["modelview_name"], args["filters"]
        template_filters = current_app.jinja_env.filters  # FAB's, as its templates use them
        visible, with_filters = template_filters["is_item_visible"], template_filters["set_link_filters"]
        route = template_filters["safe_url_for"]  # the route's address, or None where the view has no such route
        can_add, can_show, can_edit, can_delete = (visible(f"can_{name}", view)
                                                   for name in ("add", "show", "edit", "delete"))
        actions = template_filters["get_actions_on_list"](args["actions"], view)
        show = route(f"{view}.show", pk=PK_SLOT) if can_show else None
        edit = route(f"{view}.edit", pk=PK_SLOT) if can_edit else None
        buttons = RowButtons(
            column=can_show or can_edit or can_delete,
            show=with_filters(show, filters) if show else None,
            edit=with_filters(edit, filters) if edit else None,
            delete=route(f"{view}.delete", pk=PK_SLOT) if can_delete else None,
        )
        add = route(f"{view}.add") if can_add else None
        formatters = [(col, args["formatters_columns"].get(col)) for col in args["include_columns"]]
        rows = [
            (pk, [formatter(values[col]) if formatter else values[col] for col, formatter in formatters])
            for pk, values in zip(args["pks"], args["value_columns"])
        ]
        header = self.header(args, with_filters(add, filters) if add else None)
        if not rows and args["count"] > 0:  # a page past the last (a bookmark, rows gone since): say so, offer the last
            pages = list_header.page_count(args["count"], args["page_size"])
            last = list_header.link_with(**{f"page_{view}": list_header.SLOT})(pages - 1)
            return list_markup.past_the_end(header_html=list_markup.header(header, actions, args["count"]),
                                            count=args["count"], last_href=last)
        return list_markup.table(
            header_html=list_markup.header(header, actions, args["count"]),
            head_html=list_markup.table_head(args["include_columns"], args["label_columns"], header["sort"], actions,
                                             buttons.column),
            rows_html=list_markup.rows(rows, buttons, actions, self.name_links),
            form_html=list_markup.action_form(actions, route(f"{view}.action_post"), generate_csrf()),
            count=args["count"],
        )

    @staticmethod
    def header(args: dict, add_href: str | None) -> dict:
        """The list header's links and texts (app/views/list_header.py)."""
        view, page, page_size, count = args["modelview_name"], args["page"], args["page_size"], args["count"]
        return {
            "pages": list_header.page_links(page, page_size, count, view),
            "page_sizes": list_header.page_size_links(page, page_size, count, view),
            "sort": list_header.sort_links(args["include_columns"], args["order_columns"], view),
            "add_href": add_href,
            "page_size_label": _("Page size"),
            "back_href": url_for("UtilView.back"),
            "back_label": _("Back"),
            "count_label": _("Record Count"),
        }
