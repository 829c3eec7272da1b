"""Structured eligibility and access on listings; the page rating counters."""

import sqlalchemy as sa
from alembic import op

revision = "0010_sheets"
down_revision = "0009"

COLUMNS = (
    ("age_of", sa.String(20), ""),
    ("residence", sa.String(30), ""),
    ("conditions", sa.Text(), ""),
    ("conditions_en", sa.Text(), ""),
    ("isee_max", sa.Integer(), None),
    ("documents", sa.JSON(), "[]"),
    ("documents_en", sa.JSON(), "[]"),
    ("steps", sa.JSON(), "[]"),
    ("steps_en", sa.JSON(), "[]"),
    ("cost_cents", sa.Integer(), None),
    ("cost_period", sa.String(20), ""),
    ("hours", sa.String(500), ""),
    ("enrolment_opens", sa.Date(), None),
    ("channel", sa.String(30), ""),
)


def upgrade():
    with op.batch_alter_table("service", schema=None) as batch_op:
        for name, type_, default in COLUMNS:
            if default is None:
                batch_op.add_column(sa.Column(name, type_, nullable=True))
            else:
                batch_op.add_column(sa.Column(name, type_, server_default=default, nullable=False))


def downgrade():
    with op.batch_alter_table("service", schema=None) as batch_op:
        for name, _type, _default in reversed(COLUMNS):
            batch_op.drop_column(name)
