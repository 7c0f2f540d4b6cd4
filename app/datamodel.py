"""FAB's SQLAlchemy interface, answering a constraint violation (two clerks adding one name at once) in Chinese,
and offering to sort only by what the database can sort."""
from flask_appbuilder.exceptions import DatabaseException
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import SQLAFilterConverter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from flask_babel import gettext as _
from sqlalchemy import JSON
from sqlalchemy.exc import IntegrityError

from app.bounds import check_filters, row_id


class Conflict(Exception):
    """A write the database refused; str() is the message for the user. The REST API answers it with 409."""


def _integrity_error(error: Exception) -> bool:
    # FAB 5.3 re-raises add()'s error as it is and wraps edit()'s and delete()'s in DatabaseException.
    return isinstance(error, IntegrityError) or (
        isinstance(error, DatabaseException) and isinstance(error.__cause__, IntegrityError)
    )


class RelatedNameContains(BaseFilter):
    """A related row (a unit) found by part of its name typed in the search box. FAB's relation filter offers a
    dropdown of every row of the related table, all loaded on every list page (hundreds of units)."""

    name = _l("名称包含")
    arg_name = "rel_name_ct"
    takes_text = True  # app/bounds.py: a typed name, not a related row's id

    def apply(self, query, value):
        relation = getattr(self.model, self.column_name)
        related = relation.property.mapper.class_
        return query.filter(relation.has(related.name.icontains(str(value).strip(), autoescape=True)))


class PortalFilterConverter(SQLAFilterConverter):
    def convert(self, col_name):
        if col_name in self.datamodel.searched_by_name:
            return [RelatedNameContains(col_name, self.datamodel)]
        return super().convert(col_name)


class PortalInterface(SQLAInterface):
    """`eager`: loader options for the rows of a list page (joinedload of the relations its columns show), so a page
    of 25 rows is one query and not one more per row and relation (issue 11). `searched_by_name`: relations the
    search form looks up by a typed part of the related row's name instead of a dropdown of every row."""

    filter_converter_class = PortalFilterConverter

    def __init__(self, obj, session=None, eager=(), searched_by_name=()):
        super().__init__(obj, session=session)
        self.eager = tuple(eager)
        self.searched_by_name = frozenset(searched_by_name)

    def apply_all(self, query, *args, **kwargs):
        query = super().apply_all(query, *args, **kwargs)
        return query.options(*self.eager) if self.eager else query

    def get(self, id, *args, **kwargs):
        # Every id column is an INTEGER: something else (a relation's "parent": "abc" in a REST body) names no row.
        if not self.is_pk_composite() and row_id(id) is None:
            return None
        return super().get(id, *args, **kwargs)

    def apply_filters(self, query, filters):
        check_filters(filters)  # values bounded before they reach a query (app/bounds.py)
        return super().apply_filters(query, filters)

    def get_order_columns_list(self, list_columns=None) -> list[str]:
        """FAB links every list header whose name is not a method, properties and labels computed in Python and
        JSON columns included; ordering by those was a server error. Keep the columns the database orders by, and
        a related row's column (account.username), which FAB joins."""
        return [name for name in super().get_order_columns_list(list_columns) if self._sortable(name)]

    def _sortable(self, name: str) -> bool:
        if "." in name:
            return True
        prop = self.list_properties.get(name)
        columns = getattr(prop, "columns", None)
        return bool(columns) and not isinstance(columns[0].type, JSON)

    def _guarded(self, write, message, item, *args, **kwargs):
        try:
            return write(item, *args, **kwargs)
        except (IntegrityError, DatabaseException) as error:
            if not _integrity_error(error):
                raise
            self.session.rollback()
            raise Conflict(message) from error

    def add(self, item, *args, **kwargs):
        return self._guarded(super().add, _("保存失败：与已有记录冲突（例如名称或账号重复），请刷新后检查"), item, *args, **kwargs)

    def edit(self, item, *args, **kwargs):
        return self._guarded(super().edit, _("保存失败：与已有记录冲突（例如名称或账号重复），请刷新后检查"), item, *args, **kwargs)

    def delete(self, item, *args, **kwargs):
        return self._guarded(super().delete, _("不能删除：仍有其他记录引用它"), item, *args, **kwargs)
