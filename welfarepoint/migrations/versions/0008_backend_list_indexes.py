"""Indexes of the backend's list, overdue counts and waiting changes."""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade():
    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.create_index("ix_service_updated_at_id", ["updated_at", "id"], unique=False)
        batch_op.create_index("ix_service_status_updated_at", ["status", "updated_at", "id"], unique=False)
        batch_op.create_index(
            "ix_service_status_review", ["status", "last_verified", "review_interval_days"], unique=False
        )
        batch_op.create_index(
            "ix_service_ats_review", ["ats", "status", "last_verified", "review_interval_days"], unique=False
        )
        batch_op.create_index(
            "ix_service_pending",
            ["id"],
            unique=False,
            sqlite_where=sa.text("draft IS NOT NULL"),
            postgresql_where=sa.text("draft IS NOT NULL"),
        )


def downgrade():
    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.drop_index("ix_service_pending")
        batch_op.drop_index("ix_service_ats_review")
        batch_op.drop_index("ix_service_status_review")
        batch_op.drop_index("ix_service_status_updated_at")
        batch_op.drop_index("ix_service_updated_at_id")
