"""Funded actions of an alliance (issue 24 point 5): the flag and the programme period on listings; the
municipality of a questionnaire and the ATS of a search in the anonymous counters (point 6).

Existing listings of the action categories (P1, P2, C1-C7) that are not archived and belong to an alliance were
counted as actions until now: they keep being counted, as funded actions of their alliance's programme period.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"

ACTION_CATEGORIES = ("P1", "P2", "C1", "C2", "C3", "C4", "C5", "C6", "C7")


def upgrade():
    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.add_column(sa.Column("funded_action", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("programme_period", sa.String(9), server_default="", nullable=False))
    service = sa.table(
        "service",
        sa.column("id", sa.Integer),
        sa.column("category", sa.String),
        sa.column("status", sa.String),
        sa.column("alliance_id", sa.Integer),
        sa.column("funded_action", sa.Boolean),
        sa.column("programme_period", sa.String),
    )
    alliance = sa.table(
        "alliance", sa.column("id", sa.Integer), sa.column("period_start", sa.Date), sa.column("period_end", sa.Date)
    )
    connection = op.get_bind()
    for alliance_id, start, end in connection.execute(
        sa.select(alliance.c.id, alliance.c.period_start, alliance.c.period_end)
    ).all():
        if start is None or end is None:
            continue
        connection.execute(
            sa.update(service)
            .where(
                service.c.alliance_id == alliance_id,
                service.c.category.in_(ACTION_CATEGORIES),
                service.c.status != "archived",
            )
            .values(funded_action=True, programme_period=f"{start.year}-{end.year}")
        )


    with op.batch_alter_table("demand_count", schema=None) as batch_op:
        batch_op.add_column(sa.Column("municipality", sa.String(6), server_default="", nullable=False))
        batch_op.drop_constraint("uq_demand_count_week", type_="unique")
        batch_op.create_unique_constraint(
            "uq_demand_count_week", ["week", "ats", "municipality", "audience", "need", "outcome", "channel"]
        )
    with op.batch_alter_table("search_count", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ats", sa.String(40), server_default="", nullable=False))
        batch_op.drop_constraint("uq_search_count_week", type_="unique")
        batch_op.create_unique_constraint("uq_search_count_week", ["week", "query", "had_results", "ats"])


def downgrade():
    with op.batch_alter_table("search_count", schema=None) as batch_op:
        batch_op.drop_constraint("uq_search_count_week", type_="unique")
        batch_op.drop_column("ats")
        batch_op.create_unique_constraint("uq_search_count_week", ["week", "query", "had_results"])
    with op.batch_alter_table("demand_count", schema=None) as batch_op:
        batch_op.drop_constraint("uq_demand_count_week", type_="unique")
        batch_op.drop_column("municipality")
        batch_op.create_unique_constraint(
            "uq_demand_count_week", ["week", "ats", "audience", "need", "outcome", "channel"]
        )
    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.drop_column("programme_period")
        batch_op.drop_column("funded_action")
