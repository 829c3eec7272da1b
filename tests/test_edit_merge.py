"""The three-way merge of two editors' versions of a listing (``welfarepoint.catalog.edit_merge``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from welfarepoint.catalog.edit_merge import MINE, THEIRS, FieldConflict, merge, resolve, same_value

NAMES = ("title", "summary", "description", "periods", "phone")
BASE = {
    "title": "Centro estivo",
    "summary": "Settimane estive per bambini.",
    "description": "Giochi e laboratori.",
    "periods": "summer",
    "phone": "0364 000000",
}


def test_fields_changed_by_one_side_each_merge_without_a_question():
    mine = BASE | {"description": "Giochi, escursioni e laboratori dal lunedì al venerdì."}
    theirs = BASE | {"phone": "0364 123456", "periods": "summer;christmas"}
    result = merge(BASE, mine, theirs, NAMES)
    assert result.clean
    assert result.cells == BASE | {
        "description": "Giochi, escursioni e laboratori dal lunedì al venerdì.",
        "phone": "0364 123456",
        "periods": "summer;christmas",
    }
    assert result.from_theirs == ["periods", "phone"]


def test_the_same_field_changed_differently_is_asked_once_and_keeps_my_text_meanwhile():
    mine = BASE | {"summary": "Il mio riassunto.", "title": "Centro estivo in quota"}
    theirs = BASE | {"summary": "Il loro riassunto.", "phone": "0364 123456"}
    result = merge(BASE, mine, theirs, NAMES)
    assert result.conflicts == [
        FieldConflict("summary", BASE["summary"], "Il mio riassunto.", "Il loro riassunto.")
    ]
    assert result.cells["summary"] == "Il mio riassunto."  # never dropped before a choice
    assert result.cells["title"] == "Centro estivo in quota" and result.cells["phone"] == "0364 123456"


def test_the_same_change_on_both_sides_is_no_conflict():
    both = BASE | {"title": "Centro estivo 2027"}
    result = merge(BASE, both, both, NAMES)
    assert result.clean and result.cells == both and result.from_theirs == []


def test_a_field_emptied_by_them_and_untouched_by_me_is_emptied():
    result = merge(BASE, BASE, BASE | {"phone": ""}, NAMES)
    assert result.clean and result.cells["phone"] == "" and result.from_theirs == ["phone"]


def test_a_field_I_emptied_while_they_changed_it_is_a_conflict():
    result = merge(BASE, BASE | {"phone": ""}, BASE | {"phone": "0364 999"}, NAMES)
    assert [conflict.name for conflict in result.conflicts] == ["phone"]


def test_without_a_known_base_every_difference_is_asked():
    unknown = dict.fromkeys(NAMES, "\x00")
    mine = BASE | {"title": "Mio"}
    theirs = BASE | {"phone": "0364 1"}
    result = merge(unknown, mine, theirs, NAMES)
    assert sorted(conflict.name for conflict in result.conflicts) == ["phone", "title"]
    assert result.cells == mine


def test_resolve_takes_theirs_only_where_chosen():
    cells = BASE | {"summary": "Mio", "title": "Mio titolo"}
    theirs = BASE | {"summary": "Loro", "title": "Loro titolo"}
    resolved = resolve(cells, theirs, {"summary": THEIRS, "title": MINE})
    assert resolved["summary"] == "Loro" and resolved["title"] == "Mio titolo"
    assert resolve(cells, theirs, {}) == cells


# --- The blind scenarios: two managers edit the same listing (tests/data/desk/edit_scenarios.json) ---

SCENARIOS = json.loads((Path(__file__).parent / "data" / "desk" / "edit_scenarios.json").read_text("utf-8"))
#: The scenarios' field names, as the listing's cells call them.
CELL = {"seasons": "periods"}
SETS = {"periods": "all_year", "municipalities": None}
#: Where a scenario accepts a merge that sees a change is only a new way of writing the same value (12: "the
#: new number from B must win. If the system cannot see that A's change is cosmetic it must ask").
COSMETIC_ALLOWED = {12: {"phone": "manager_b"}}


def _cells(values: dict) -> dict[str, str]:
    return {
        CELL.get(name, name): ";".join(value) if isinstance(value, list) else str(value)
        for name, value in values.items()
    }


def _same(name: str, one: str, other: str) -> bool:
    if name in SETS:
        return set(one.split(";")) - {""} == set(other.split(";")) - {""}
    return same_value(name, one, other)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[f"{s['id']}-{s['case']}" for s in SCENARIOS])
def test_blind_edit_scenario(scenario):
    base = _cells(scenario["base"])
    mine = base | _cells(scenario["manager_b"])  # the second to save is the one whose form is merged
    theirs = base | _cells(scenario["manager_a"])
    names = list(dict.fromkeys([*base, *mine, *theirs]))
    result = merge(base, mine, theirs, names, sets=SETS)
    asked = {conflict.name for conflict in result.conflicts}
    expected = {CELL.get(name, name) for name in scenario["fields_in_conflict"]}
    allowed = {CELL.get(name, name): side for name, side in COSMETIC_ALLOWED.get(scenario["id"], {}).items()}
    for name in expected - asked:
        assert name in allowed, (scenario["id"], name, result)
        winner = mine if allowed[name] == "manager_b" else theirs
        assert result.cells[name] == winner[name]
    assert asked <= expected, (scenario["id"], asked)
    for name in names:
        if name in asked:
            assert result.cells[name] == mine[name]  # my text kept until a person chooses
            continue
        changed_by_me = not _same(name, mine[name], base.get(name, ""))
        changed_by_them = not _same(name, theirs[name], base.get(name, ""))
        if changed_by_them and not changed_by_me:
            assert _same(name, result.cells[name], theirs[name]), (scenario["id"], name)
        elif changed_by_me and not changed_by_them:
            assert _same(name, result.cells[name], mine[name]), (scenario["id"], name)
    expected_sets = {
        10: {"periods": {"school_year", "christmas", "easter"}},
        11: {"periods": {"school_year", "christmas"}},
        18: {"municipalities": {"Dalmine", "Boltiere", "Osio Sopra", "Mozzo"}},
    }
    for name, items in expected_sets.get(scenario["id"], {}).items():
        assert set(result.cells[name].split(";")) == items


def test_the_same_value_written_another_way_is_the_same():
    assert same_value("phone", "+39 035 399 111", "035399111")
    assert same_value("phone", "0039 347 1234567", "347-1234567")
    assert not same_value("phone", "393 1234567", "31234567")  # a mobile number starting 393 keeps its digits
    assert same_value("description", "Riga uno.\r\nRiga due.  ", "Riga uno.\nRiga due.")
    assert not same_value("description", "Riga uno. Riga due.", "Riga uno.\nRiga due.")
