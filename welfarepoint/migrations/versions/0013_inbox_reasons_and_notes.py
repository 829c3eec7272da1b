"""The managers' inbox: reasons and notes in a listing's history, the resolution note of a suggestion, and the
indexes of suspected duplicates, enrolment deadlines and contradictory periods."""

import sqlalchemy as sa
from alembic import op

#: As in welfarepoint.catalog.models (a migration keeps its own copy: the models may change later).
CONTRADICTORY_PERIODS = (
    "CAST(periods AS VARCHAR) LIKE '%\"all_year\"%' AND (CAST(periods AS VARCHAR) LIKE '%\"summer\"%' "
    "OR CAST(periods AS VARCHAR) LIKE '%\"christmas\"%' OR CAST(periods AS VARCHAR) LIKE '%\"easter\"%')"
)

revision = "0013"
down_revision = "0012"


def upgrade():
    with op.batch_alter_table("revision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("addressee", sa.String(length=200), server_default="", nullable=False))
        batch_op.create_index("ix_revision_addressee", ["addressee"], unique=False)
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note", sa.Text(), server_default="", nullable=False))
    op.create_index("ix_service_ats_title_status", "service", ["ats", "title", "status"], unique=False)
    op.create_index("ix_service_enrolment_deadline", "service", ["enrolment_deadline"], unique=False)
    op.create_index(
        "ix_service_contradictory_periods",
        "service",
        ["id"],
        unique=False,
        sqlite_where=sa.text(CONTRADICTORY_PERIODS),
        postgresql_where=sa.text(CONTRADICTORY_PERIODS),
    )


def downgrade():
    op.drop_index("ix_service_contradictory_periods", table_name="service")
    op.drop_index("ix_service_enrolment_deadline", table_name="service")
    op.drop_index("ix_service_ats_title_status", table_name="service")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_column("note")
    with op.batch_alter_table("revision", schema=None) as batch_op:
        batch_op.drop_index("ix_revision_addressee")
        batch_op.drop_column("addressee")
        batch_op.drop_column("note")
