"""application tally: applications per (campaign, unit, status), drafts left out, kept by row triggers

The review list's row count (app/tallies.py) reads these few hundred rows instead of counting up to 100,000
applications on every page. Triggers keep them in the transaction of every insert, delete and change of campaign,
unit or status of an application, whoever makes it (the workflow, the generator's COPY, a deletion). On PostgreSQL
each change upserts its tally rows, in key order (two changes between the same two states in opposite directions
cannot deadlock), and holds their row locks until it commits: concurrent changes queue there, none is lost.
Filled from the applications already there, with the table locked against writes meanwhile.

Note for later migrations: SQLite's batch_alter_table("application") rebuilds the table and drops its triggers;
such a migration must run this one's SQLITE_TRIGGERS again.

Revision ID: f1c3a5e7b9d2
Revises: e4b8c2d61f07
Create Date: 2026-11-30 11:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = "f1c3a5e7b9d2"
down_revision = "b7d4e2a9c815"
branch_labels = None
depends_on = None

POSTGRESQL_TRIGGER = """
CREATE FUNCTION application_tally_add(c integer, u integer, s varchar, d integer) RETURNS void AS $$
BEGIN
    IF d > 0 THEN
        INSERT INTO application_tally (campaign_id, unit_id, status, n) VALUES (c, u, s, d)
            ON CONFLICT (campaign_id, unit_id, status) DO UPDATE SET n = application_tally.n + d;
    ELSE
        UPDATE application_tally SET n = n + d WHERE campaign_id = c AND unit_id = u AND status = s;
    END IF;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION application_tally_keep() RETURNS trigger AS $$
DECLARE
    minus boolean := TG_OP <> 'INSERT' AND OLD.status <> 'draft';
    plus boolean := TG_OP <> 'DELETE' AND NEW.status <> 'draft';
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.campaign_id = OLD.campaign_id AND NEW.unit_id IS NOT DISTINCT FROM OLD.unit_id
       AND NEW.status = OLD.status THEN
        RETURN NULL;
    END IF;
    IF minus AND plus AND (NEW.campaign_id, NEW.unit_id, NEW.status) < (OLD.campaign_id, OLD.unit_id, OLD.status) THEN
        PERFORM application_tally_add(NEW.campaign_id, NEW.unit_id, NEW.status, 1);
        plus := false;
    END IF;
    IF minus THEN
        PERFORM application_tally_add(OLD.campaign_id, OLD.unit_id, OLD.status, -1);
    END IF;
    IF plus THEN
        PERFORM application_tally_add(NEW.campaign_id, NEW.unit_id, NEW.status, 1);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER application_tally AFTER INSERT OR DELETE OR UPDATE OF campaign_id, unit_id, status ON application
    FOR EACH ROW EXECUTE FUNCTION application_tally_keep();
"""

_INCREMENT = ("INSERT INTO application_tally (campaign_id, unit_id, status, n)"
              " SELECT NEW.campaign_id, NEW.unit_id, NEW.status, 1 WHERE NEW.status <> 'draft'"
              " ON CONFLICT (campaign_id, unit_id, status) DO UPDATE SET n = n + 1;")
_DECREMENT = ("UPDATE application_tally SET n = n - 1 WHERE campaign_id = OLD.campaign_id AND unit_id = OLD.unit_id"
              " AND status = OLD.status AND OLD.status <> 'draft';")
SQLITE_TRIGGERS = (
    f"CREATE TRIGGER application_tally_insert AFTER INSERT ON application BEGIN {_INCREMENT} END",
    f"CREATE TRIGGER application_tally_delete AFTER DELETE ON application BEGIN {_DECREMENT} END",
    "CREATE TRIGGER application_tally_update AFTER UPDATE OF campaign_id, unit_id, status ON application"
    " WHEN OLD.campaign_id IS NOT NEW.campaign_id OR OLD.unit_id IS NOT NEW.unit_id OR OLD.status IS NOT NEW.status"
    f" BEGIN {_DECREMENT} {_INCREMENT} END",
)

BACKFILL = (
    "INSERT INTO application_tally (campaign_id, unit_id, status, n)"
    " SELECT campaign_id, unit_id, status, count(*) FROM application WHERE status <> 'draft'"
    " GROUP BY campaign_id, unit_id, status"
)


def upgrade():
    op.create_table(
        "application_tally",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.CheckConstraint("n >= 0", name="ck_application_tally_n"),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("campaign_id", "unit_id", "status"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("LOCK TABLE application IN SHARE ROW EXCLUSIVE MODE")  # no change between the fill and the trigger
        op.execute(POSTGRESQL_TRIGGER)
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)
    op.execute(BACKFILL)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER application_tally ON application")
        op.execute("DROP FUNCTION application_tally_keep()")
        op.execute("DROP FUNCTION application_tally_add(integer, integer, varchar, integer)")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER application_tally_{name}")
    op.drop_table("application_tally")
