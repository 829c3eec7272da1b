"""E-mail alerts for the public (issue 25, point 6): the address, the permalink, the language and four dates."""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"


def upgrade():
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("permalink", sa.String(length=2000), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("renewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alert_email", "alert", ["email"])
    op.create_index("ix_alert_created_at", "alert", ["created_at"])


def downgrade():
    op.drop_index("ix_alert_created_at", table_name="alert")
    op.drop_index("ix_alert_email", table_name="alert")
    op.drop_table("alert")
