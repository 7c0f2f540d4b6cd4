"""The review list's table written in Python: the markup FAB's list widget writes (its list.html and base_list.html
with lib.html's macros), in one pass, each value escaped.

FAB's widget is three templates deep and calls a macro per part, each translating its texts and looking up its
routes again: 1.2 ms of a worker's CPU per page for a header, a table head and a form, on top of the rows. Here the
header's links come worked out (app/views/list_header.py), the actions' menu is written once per process for each
set of actions and language (app/fragments.py, each page's nonce put in), and the rest is joined as strings."""
from flask_babel import gettext as _
from markupsafe import Markup, escape

from app.fragments import kept
from app.headers import csp_nonce


def rows(rows, show_href: str, actions, row_label: str, show_title: str, show_label: str) -> Markup:
    """The rows: a checkbox named after the applicant when there are actions, the show button, the cells; the name
    links to the application."""
    out = []
    show_title, show_label, row_label = escape(show_title), escape(show_label), escape(row_label)
    for pk, cells in rows:
        pk = escape(str(pk))
        href = escape(show_href.replace("__pk__", pk)) if show_href else ""
        out.append("<tr>")
        if actions:
            out.append(f'<td><input id="{pk}" class="action_check" name="rowid" value="{pk}" type="checkbox" '
                       f'aria-label="{row_label}：{escape(cells[0]) if cells else ""}"></td>')
        if show_href:
            out.append(f'<td><center><div class="btn-group btn-group-xs" style="display: flex;"><a href="{href}" '
                       f'class="btn btn-sm btn-default" data-toggle="tooltip" rel="tooltip" title="{show_title}">'
                       f'<span class="sr-only">{show_label}</span><i class="fa fa-search"></i></a></div></center></td>')
        for index, cell in enumerate(cells):
            value = escape("" if cell is None else cell)
            if index == 0 and show_href:
                out.append(f'<td><a href="{href}" class="row-name">{value}</a></td>')
            else:
                out.append(f"<td>{value}</td>")
        out.append("</tr>\n")
    return Markup("".join(out))


def actions_menu(actions: dict) -> str:
    """lib.html's render_actions: the 操作 menu and the script that runs an action on the checked rows; kept per
    process for each set of actions and language (app/fragments.py), each page's nonce put in."""
    inputs = tuple((name, str(action.text), action.icon, str(action.confirmation or ""))
                   for name, action in actions.items())
    return kept("actions_menu", *inputs, caller=lambda: _actions_menu(actions))


def _actions_menu(actions: dict) -> str:
    items = "".join(
        f'<li><a href="#" class="{escape(action.name)}_menu_item"><i class="fa {escape(action.icon)}"></i> '
        f"{escape(_(action.text))}</a></li>"
        for action in actions.values()
    )
    handlers = "".join(
        f"$('.{escape(action.name)}_menu_item').on('click', function(){{"
        f" return modelActions.execute_multiple('{escape(action.name)}', "
        f"{(chr(39) + escape(action.confirmation) + chr(39)) if action.confirmation else 'false'}); }});\n"
        for action in actions.values()
    )
    return (f'<div class="btn-group"><button type="button" class="btn btn-default btn-sm dropdown-toggle" '
            f'data-toggle="dropdown">{escape(_("Actions"))}<span class="caret"></span></button>'
            f'<ul class="dropdown-menu" role="menu">{items}</ul>'
            f'<script nonce="{csp_nonce()}">$(document).ready(function() {{\n{handlers}}});</script></div>')


def _links(links) -> str:
    return "".join(
        f'<li{f" class={chr(34)}{link.state}{chr(34)}" if link.state else ""}><a href="{escape(link.href or "#")}">'
        f"{escape(link.label)}</a></li>"
        for link in links
    )


def header(header: dict, actions: dict, count: int) -> str:
    """The well above the table: the pages, the page sizes, the actions, back, and the record count."""
    out = ['<div class="well well-sm">']
    if header["pages"]:
        out.append(f'<ul class="pagination pagination-sm" style="display:inherit;">{_links(header["pages"])}</ul>')
    if header["page_sizes"] is not None:
        out.append(f'<div class="btn-group"><button type="button" class="btn btn-default btn-sm dropdown-toggle" '
                   f'data-toggle="dropdown">{escape(header["page_size_label"])}<span class="caret"></span></button>'
                   f'<ul class="dropdown-menu" role="menu">{_links(header["page_sizes"])}</ul></div>')
    if actions:
        out.append(actions_menu(actions))
    back = escape(header["back_label"])
    out.append(f'<a href="{escape(header["back_href"])}" class="btn btn-sm btn-default" data-toggle="tooltip" '
               f'rel="tooltip" title="{back}"><span class="sr-only">{back}</span><i class="fa fa-arrow-left"></i></a>'
               f'<div class="pull-right"><strong>{escape(header["count_label"])}:</strong> {count}</div></div>')
    return "".join(out)


def table_head(columns, labels: dict, sort: dict, actions: dict, can_show: bool) -> str:
    """The column headers, each sortable one a link (sorted by it: a chevron the way it is sorted)."""
    out = ["<thead><tr>"]
    if actions:
        out.append(f'<th class="action_checkboxes"><input id="check_all" class="action_check_all" name="check_all" '
                   f'type="checkbox" aria-label="{escape(_("全选"))}"></th>')
    if can_show:
        out.append('<th class="col-md-1 col-lg-1 col-sm-1" ></th>')
    for column in columns:
        label, link = escape(labels.get(column)), sort.get(column)
        if link:  # unquoted, as FAB writes it (the link has no space: escaped, its & are &amp;)
            out.append(f'<th><a href={escape(link.href)}>{label}<i class="fa {link.icon} pull-right"></i></a></th>')
        else:
            out.append(f"<th>{label}</th>")
    out.append("</tr></thead>")
    return "".join(out)


def action_form(actions: dict, action_path: str | None, csrf_token: str) -> str:
    """lib.html's action_form: the hidden form an action is posted with (a delete form when there are none)."""
    token = f'<input type="hidden" name="csrf_token" value="{escape(csrf_token)}"/>'
    if actions:
        if not action_path:
            return ""
        return (f'<form id="action_form" action="{escape(action_path)}" method="POST" style="display: none">{token}'
                f'<input type="hidden" id="action" name="action" /></form>')
    return (f'<form id="delete_form" action="" method="POST" style="display: none">{token}'
            f'<input type="hidden" id="delete" name="delete" /></form>')


def table(*, header_html: str, head_html: str, rows_html: str, form_html: str, count: int) -> Markup:
    """base_list.html: the well, then the table and the action form, or 没有记录 when nothing matches."""
    if count > 0:
        return Markup(
            f'{header_html}<div class="table-responsive"><table class="table table-bordered table-hover">'
            f'{head_html}{rows_html}</table></div>{form_html}'
            f'<script nonce="{csp_nonce()}">$(document).ready(function() {{ window.modelActions = new AdminActions(); '
            f"}});</script>"
        )
    return Markup(f'{header_html}<b>{escape(_("No records found"))}</b>')
