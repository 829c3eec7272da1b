"""indexes of the backend's list, overdue counts and waiting changes

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 05:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


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
