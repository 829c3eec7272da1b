"""Structured eligibility and access on listings; the page rating counters."""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"

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
    op.create_table(
        "page_rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("page", sa.String(length=200), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("week", "page", "score"),
    )
    op.create_index("ix_page_rating_week", "page_rating", ["week"])
    op.create_index("ix_page_rating_page", "page_rating", ["page"])


def downgrade():
    op.drop_index("ix_page_rating_page", table_name="page_rating")
    op.drop_index("ix_page_rating_week", table_name="page_rating")
    op.drop_table("page_rating")
    with op.batch_alter_table("service", schema=None) as batch_op:
        for name, _type, _default in reversed(COLUMNS):
            batch_op.drop_column(name)
