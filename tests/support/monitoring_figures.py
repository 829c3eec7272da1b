"""The Region's 2020-2023 monitoring figures (Tabella 6.1 and Figura 6.2, July 2023), copied here on purpose.

The tests compare the demo network and the monitoring report with these literals: they must never be computed
from the demo's generator, which holds its own copy.
"""

from __future__ import annotations

#: alliances, actions, actions for persons, actions for companies
TABLE_6_1 = {
    "Bergamo": (5, 11, 7, 4),
    "Brescia": (3, 48, 2, 46),
    "Brianza": (2, 11, 5, 6),
    "Insubria": (4, 14, 5, 9),
    "Milano Città Metropolitana": (6, 76, 31, 45),
    "Montagna": (5, 7, 7, 0),
    "Pavia": (8, 34, 29, 5),
    "Val Padana": (7, 89, 49, 40),
}
#: Figura 6.2's organisation types, in the taxonomy's order.
TYPES = (
    "public_body", "social_district_or_special_company", "school_or_training_institution", "trade_union",
    "employers_association", "non_profit", "large_enterprise", "medium_enterprise", "small_enterprise",
    "micro_enterprise",
)  # fmt: skip
#: partners by type, in the order of TYPES
FIGURE_6_2 = {
    "Bergamo": (7, 6, 17, 11, 2, 70, 5, 7, 3, 2),
    "Brescia": (5, 12, 3, 0, 4, 58, 1, 8, 15, 1),
    "Brianza": (5, 7, 3, 4, 5, 26, 0, 1, 0, 0),
    "Insubria": (15, 9, 0, 0, 0, 15, 1, 6, 2, 0),
    "Milano Città Metropolitana": (15, 9, 2, 9, 7, 31, 0, 0, 2, 0),
    "Montagna": (11, 1, 1, 2, 0, 14, 0, 0, 0, 0),
    "Pavia": (12, 1, 3, 0, 0, 19, 1, 2, 3, 0),
    "Val Padana": (18, 9, 0, 0, 10, 33, 5, 6, 3, 2),
}
#: partners per ATS (the row totals of Figura 6.2)
FIGURE_6_2_TOTALS = {ats: sum(row) for ats, row in FIGURE_6_2.items()}


def partner_types(ats: str) -> dict[str, int]:
    """The types of organisation an ATS's alliances have, with their counts (the zero ones left out)."""
    return {kind: count for kind, count in zip(TYPES, FIGURE_6_2[ats], strict=True) if count}
