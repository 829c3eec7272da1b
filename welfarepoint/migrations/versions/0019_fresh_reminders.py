"""Freshness by e-mail (issue 25, points 4 and 5): the reminders sent about each listing, the manager's switch
that lets reminders go to a listing's (or an organisation's) contact address, and a correction's sender and
answer from the provider."""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"


def upgrade():
    op.create_table(
        "fresh_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("cycle", sa.String(length=10), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.String(length=20), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["service_id"], ["service.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_fresh_reminder_service_cycle", "fresh_reminder", ["service_id", "cycle"])
    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("contact_reminders", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("contact_reminders", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("from_provider", sa.String(length=254), server_default="", nullable=False))
        batch_op.add_column(sa.Column("answer", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("answered_by", sa.String(length=254), server_default="", nullable=False))


def downgrade():
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_column("answered_by")
        batch_op.drop_column("answered_at")
        batch_op.drop_column("answer")
        batch_op.drop_column("from_provider")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("contact_reminders")
    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.drop_column("contact_reminders")
    op.drop_index("ix_fresh_reminder_service_cycle", table_name="fresh_reminder")
    op.drop_table("fresh_reminder")
