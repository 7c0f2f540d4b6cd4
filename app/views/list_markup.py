"""Every list's table written in Python (app/views/list_widget.py): the markup FAB's list widget writes (its
list.html and base_list.html with lib.html's macros), in one pass, each value escaped.

FAB's widget is three templates deep and calls a macro per part and per row, each translating its texts and looking
up its routes again (url_for for each row's buttons): 1.2 ms of a worker's CPU per page for a header, a table head
and a form, on top of the rows, and several ms more for 25 rows with their 查看 / 编辑 / 删除 buttons. Here the
header's links come worked out (app/views/list_header.py), each button's route once per page, the actions' menu is
written once per process for each set of actions and language (app/fragments.py, each page's nonce put in), and the
rest is joined as strings."""
from typing import NamedTuple

from flask_babel import gettext as _
from markupsafe import Markup, escape

from app.fragments import kept
from app.headers import csp_nonce


PK_SLOT = "__pk__"  # where a row's key goes in its buttons' links


class RowButtons(NamedTuple):
    """lib.html's btn_crud: each row's 查看 / 编辑 / 删除, each link with PK_SLOT where the row's key goes, or None where
    it is not offered (not permitted, or the view has no such route). `column`: whether the list has the buttons'
    column at all (FAB's rule: the user may show, edit or delete, whatever the routes)."""

    column: bool
    show: str | None = None
    edit: str | None = None
    delete: str | None = None


def _button(href: str, title: str, label: str, icon: str) -> str:
    return (f'<a href="{href}" class="btn btn-sm btn-default" data-toggle="tooltip" rel="tooltip" title="{title}">'
            f'<span class="sr-only">{label}</span><i class="fa {icon}"></i></a>')


def _buttons(buttons: RowButtons, pk: str, texts: dict) -> str:
    out = ['<td><center><div class="btn-group btn-group-xs" style="display: flex;">']
    if buttons.show:
        out.append(_button(escape(buttons.show.replace(PK_SLOT, pk)), *texts["show"], "fa-search"))
    if buttons.edit:
        out.append(_button(escape(buttons.edit.replace(PK_SLOT, pk)), *texts["edit"], "fa-edit"))
    if buttons.delete:  # lnk_delete: FAB's confirmation, then its hidden delete form posted to the link
        href = escape(buttons.delete.replace(PK_SLOT, pk))
        title, label = texts["delete"]
        out.append(f'<a id="btn-delete-{href}" href="#" class="btn btn-sm btn-default confirm" rel="tooltip" '
                   f'title="{title}"><span class="sr-only">{label}</span><i class="fa fa-trash"></i></a>'
                   f'<script nonce="{texts["nonce"]}">document.getElementById("btn-delete-{href}")'
                   f'.addEventListener("click", function () {{ const adminAction = new AdminActions(); '
                   f"return adminAction.execute_single_delete('{href}','{texts['confirm']}'); }})</script>")
    out.append("</div></center></td>")
    return "".join(out)


def rows(rows, buttons: RowButtons, actions, name_links: bool = False) -> Markup:
    """The rows: a checkbox when there are actions (named after the row's first cell: 选择此行：张三, so that a screen
    reader tells the rows apart), the buttons, the cells; with name_links, the first cell links to the row's page."""
    texts = {
        "show": (escape(_("Show record")), escape(_("Show"))),
        "edit": (escape(_("Edit record")), escape(_("Edit"))),
        "delete": (escape(_("Delete record")), escape(_("Delete"))),
        "confirm": escape(_("Are you sure you want to delete this item?")),
        "nonce": csp_nonce(),
    }
    row_label = escape(_("选择此行"))
    out = []
    for pk, cells in rows:
        pk = escape(str(pk))
        out.append("<tr>")
        if actions:
            out.append(f'<td><input id="{pk}" class="action_check" name="rowid" value="{pk}" type="checkbox" '
                       f'aria-label="{row_label}：{escape(cells[0]) if cells else ""}"></td>')
        if buttons.column:
            out.append(_buttons(buttons, pk, texts))
        for index, cell in enumerate(cells):
            value = escape("" if cell is None else cell)
            if index == 0 and name_links and buttons.show:
                href = escape(buttons.show.replace(PK_SLOT, pk))
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
    """The well above the table: the pages, the page sizes, the add button (header["add_href"], if any), the
    actions, back, and the record count."""
    out = ['<div class="well well-sm">']
    if header["pages"]:
        out.append(f'<ul class="pagination pagination-sm" style="display:inherit;">{_links(header["pages"])}</ul>')
    if header["page_sizes"] is not None:
        out.append(f'<div class="btn-group"><button type="button" class="btn btn-default btn-sm dropdown-toggle" '
                   f'data-toggle="dropdown">{escape(header["page_size_label"])}<span class="caret"></span></button>'
                   f'<ul class="dropdown-menu" role="menu">{_links(header["page_sizes"])}</ul></div>')
    if header.get("add_href"):
        out.append(f'<a href="{escape(header["add_href"])}" class="btn btn-sm btn-primary" data-toggle="tooltip" '
                   f'rel="tooltip" title="{escape(_("Add a new record"))}"><span class="sr-only">{escape(_("Add"))}'
                   f'</span><i class="fa fa-plus"></i></a>')
    if actions:
        out.append(actions_menu(actions))
    back = escape(header["back_label"])
    out.append(f'<a href="{escape(header["back_href"])}" class="btn btn-sm btn-default" data-toggle="tooltip" '
               f'rel="tooltip" title="{back}"><span class="sr-only">{back}</span><i class="fa fa-arrow-left"></i></a>'
               f'<div class="pull-right"><strong>{escape(header["count_label"])}:</strong> {count}</div></div>')
    return "".join(out)


def table_head(columns, labels: dict, sort: dict, actions: dict, buttons_column: bool) -> str:
    """The column headers, each sortable one a link (sorted by it: a chevron the way it is sorted)."""
    out = ["<thead><tr>"]
    if actions:
        out.append(f'<th class="action_checkboxes"><input id="check_all" class="action_check_all" name="check_all" '
                   f'type="checkbox" aria-label="{escape(_("全选"))}"></th>')
    if buttons_column:
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


def past_the_end(*, header_html: str, count: int, last_href: str) -> Markup:
    """A page past the last one: FAB showed the count over an empty table, with no word and no way back."""
    message = escape(_("这一页没有记录（共 %(n)s 条）。", n=f"{count:,}"))
    back = escape(_("回到最后一页"))  # outside the f-string: pybabel does not read into one
    return Markup(f'{header_html}<p class="list-past-end"><b>{message}</b> '
                  f'<a href="{escape(last_href)}">{back}</a></p>')
