"""Organisations merged into another: the old address of each, and where it leads now."""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade():
    op.create_table(
        "organisation_redirect",
        sa.Column("old_uuid", sa.String(length=36), nullable=False),
        sa.Column("old_name", sa.String(length=200), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("merged_by", sa.String(length=200), nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("old_uuid"),
    )
    with op.batch_alter_table("organisation_redirect", schema=None) as batch_op:
        batch_op.create_index("ix_organisation_redirect_organisation_id", ["organisation_id"], unique=False)


def downgrade():
    with op.batch_alter_table("organisation_redirect", schema=None) as batch_op:
        batch_op.drop_index("ix_organisation_redirect_organisation_id")
    op.drop_table("organisation_redirect")
