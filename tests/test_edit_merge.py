"""The three-way merge of two editors' versions of a listing (``welfarepoint.catalog.edit_merge``)."""

from __future__ import annotations

from welfarepoint.catalog.edit_merge import MINE, THEIRS, FieldConflict, merge, resolve

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
