"""The one least-recently-used mechanism of every cache a process keeps (pages, results, scores, sets)."""

from __future__ import annotations

from welfarepoint.bounded import Bounded


def test_the_least_recently_used_go_first_once_the_weights_pass_the_limit():
    kept = Bounded(10, weigh=len)
    kept.put("a", "xxxx")
    kept.put("b", "xxxx")
    assert kept.get("a") == "xxxx"  # "a" is now the most recently used
    kept.put("c", "xxxx")
    assert list(kept.items) == ["a", "c"] and kept.size == 8


def test_a_key_kept_again_is_weighed_once_and_the_newest_stays_whatever_it_weighs():
    kept = Bounded(10, weigh=len)
    kept.put("a", "xx")
    kept.put("a", "xxxx")
    assert kept.size == 4
    kept.put("huge", "x" * 50)
    assert list(kept.items) == ["huge"] and kept.size == 50


def test_get_or_make_makes_once_and_clear_forgets():
    made = []
    kept = Bounded(3)
    assert kept.get_or_make("k", lambda: made.append(1) or "v") == "v"
    assert kept.get_or_make("k", lambda: made.append(1) or "w") == "v"
    assert made == [1]
    kept.clear()
    assert kept.get("k") is None and kept.size == 0
