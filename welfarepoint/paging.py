"""Pages of a list: how many there are, and which one to show when the page asked is beyond them.

One definition for every paged list (search results, a need's matches, the Welfare Points, the managers' list):
an empty list is one empty page, and a page past the last shows the last one.
"""

from __future__ import annotations


def page_count(total: int, per_page: int) -> int:
    """How many pages of ``per_page`` hold ``total`` items: at least one."""
    return max(1, -(-total // per_page))


def page_within(page: int, total: int, per_page: int) -> int:
    """``page`` brought within the pages of ``total`` items: 1 below them, the last above them."""
    return min(max(page, 1), page_count(total, per_page))
