"""E-mail (issue 25, point 1): queued messages, used single-use links, each account's language and organisation."""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"


def upgrade():
    op.create_table(
        "mail_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=True),
        sa.Column("to", sa.String(length=254), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("template", sa.String(length=60), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_mail_message_to", "mail_message", ["to"])
    op.create_index("ix_mail_message_status", "mail_message", ["status"])
    op.create_index("ix_mail_message_next_attempt_at", "mail_message", ["next_attempt_at"])
    op.create_index("ix_mail_message_created_at", "mail_message", ["created_at"])
    op.create_table(
        "used_link",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
    )
    op.create_index("ix_used_link_used_at", "used_link", ["used_at"])
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("locale", sa.String(length=5), nullable=False, server_default="it"))
        batch.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_user_account_organisation_id_organisation", "organisation", ["organisation_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_user_account_organisation_id", ["organisation_id"])


def downgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.drop_index("ix_user_account_organisation_id")
        batch.drop_constraint("fk_user_account_organisation_id_organisation", type_="foreignkey")
        batch.drop_column("organisation_id")
        batch.drop_column("locale")
    op.drop_index("ix_used_link_used_at", table_name="used_link")
    op.drop_table("used_link")
    for name in ("created_at", "next_attempt_at", "status", "to"):
        op.drop_index(f"ix_mail_message_{name}", table_name="mail_message")
    op.drop_table("mail_message")
