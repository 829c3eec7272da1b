"""Public routes per ATS (the statutory entry points for needs the networks do not cover) and the synonyms curated
in the backend (issue 20, points 5 and 1)."""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade():
    op.create_table(
        "public_route",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ats", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("handles", sa.String(length=500), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("website", sa.String(length=300), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_public_route_ats", "public_route", ["ats"])
    op.create_table(
        "search_synonym",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line", sa.String(length=1000), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade():
    op.drop_table("search_synonym")
    op.drop_index("ix_public_route_ats", table_name="public_route")
    op.drop_table("public_route")
