"""How derived values read on pages: template filters and computed list columns. The domain decides (here:
app/workflow.py's 过期无效); this layer only shows it, so models never import upwards."""
from app import masking, request_cache, workflow
from app.datamodel import PortalInterface


def status_display(application) -> str:
    """The status as a reviewer or the citizen reads it, 过期无效 included (derived from the schedule): a list page
    asks each row, worked out once per request for each state of each campaign."""
    return request_cache.remember(("status_display", application.status, application.campaign_id),
                                  lambda: workflow.status_text(application))


def gender_display(application) -> str:
    """男 / 女 in the user's language: a list page asks each row, each word is translated once per request."""
    return request_cache.remember(("gender_label", application.gender), lambda: str(application.gender_label))


TEMPLATE_FILTERS = {"status_display": status_display, **masking.TEMPLATE_FILTERS}


def register_template_filters(app) -> None:
    for name, function in TEMPLATE_FILTERS.items():
        app.add_template_filter(function, name)


class WithDerivedColumns(PortalInterface):
    """A datamodel whose list pages may name computed columns: name -> function of the row."""

    def __init__(self, model, derived: dict | None = None, **kwargs):
        super().__init__(model, **kwargs)
        self.derived = derived or {}

    def get_related_interface(self, col_name):
        return PortalInterface(self.get_related_model(col_name))

    def _get_attr_value(self, item, col):
        if col in self.derived:
            return self.derived[col](item)
        return super()._get_attr_value(item, col)
