"""The inbox's enrolment deadlines read from an index of (status, deadline): with the deadline alone, SQLite
read every published listing (issue 24's inbox target, measured by `make bench`)."""

from alembic import op

revision = "0021"
down_revision = "0020"


def upgrade():
    op.drop_index("ix_service_enrolment_deadline", table_name="service")
    op.create_index("ix_service_status_deadline", "service", ["status", "enrolment_deadline"], unique=False)


def downgrade():
    op.drop_index("ix_service_status_deadline", table_name="service")
    op.create_index("ix_service_enrolment_deadline", "service", ["enrolment_deadline"], unique=False)
