"""The extension objects, created once and wired to each app in create_app()."""
from flask_appbuilder import Model
from flask_appbuilder.utils.legacy import get_sqla_class
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

# Built on FAB's Model.metadata so that Alembic sees FAB's ab_* tables as ours and never proposes dropping them.
db = get_sqla_class()(metadata=Model.metadata)
migrate = Migrate()
# Every non-API POST carries a token: FAB's own forms do, and so must its action and delete buttons, and our
# XHR uploads (X-CSRFToken header). FAB exempts its REST API blueprints itself.
csrf = CSRFProtect()
