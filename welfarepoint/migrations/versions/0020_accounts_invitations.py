"""Accounts invited by e-mail, and the record of acts on accounts (issue 25, points 2 and 3; helper "accounts")."""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"


def upgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("invited_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("invited_by", sa.String(length=200), nullable=False, server_default=""))
    op.create_table(
        "account_act",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("ats", sa.String(length=40), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name="fk_account_act_user_id_user_account", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_account_act"),
    )
    op.create_index("ix_account_act_at", "account_act", ["at"])
    op.create_index("ix_account_act_user_id", "account_act", ["user_id"])
    op.create_index("ix_account_act_ats", "account_act", ["ats"])


def downgrade():
    op.drop_index("ix_account_act_ats", table_name="account_act")
    op.drop_index("ix_account_act_user_id", table_name="account_act")
    op.drop_index("ix_account_act_at", table_name="account_act")
    op.drop_table("account_act")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("invited_by")
        batch.drop_column("invited_at")
