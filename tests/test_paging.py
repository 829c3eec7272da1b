"""Pages of a list: an empty list is one empty page, a page past the last shows the last."""

from __future__ import annotations

import pytest

from welfarepoint.paging import page_count, page_within


@pytest.mark.parametrize(
    "total, per_page, pages", [(0, 10, 1), (1, 10, 1), (10, 10, 1), (11, 10, 2), (45, 10, 5)]
)
def test_page_count(total, per_page, pages):
    assert page_count(total, per_page) == pages


@pytest.mark.parametrize("page, shown", [(-3, 1), (0, 1), (1, 1), (3, 3), (5, 5), (6, 5), (10**6, 5)])
def test_page_within(page, shown):
    assert page_within(page, 45, 10) == shown
    assert page_within(page, 0, 10) == 1
