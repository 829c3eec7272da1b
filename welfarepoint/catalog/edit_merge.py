"""Three-way merge of two editors' versions of a listing, field by field.

``base`` is the content the editor's form started from, ``mine`` what the editor submitted, ``theirs`` what
somebody else saved in between. A field changed by only one side takes that side's value without a question;
a field both sides changed to different values is a conflict, chosen field by field ("keep theirs / keep
mine"). Until it is chosen, a conflict keeps the editor's own text, so that nothing typed is ever dropped.
All values are text cells of a listing (the cells of a CSV row).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

MINE = "mine"
THEIRS = "theirs"


@dataclass(frozen=True)
class FieldConflict:
    """A field both editors changed, to different values."""

    name: str
    base: str
    mine: str
    theirs: str


@dataclass(frozen=True)
class Merge:
    """The merged cells (conflicts hold the editor's own value) and what came from where."""

    cells: dict[str, str]
    conflicts: list[FieldConflict] = field(default_factory=list)
    from_theirs: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """Whether the merge needs no choice from the editor."""
        return not self.conflicts


def same_value(name: str, one: str, other: str) -> bool:
    """Whether two values of field ``name`` say the same: line endings and spaces at the ends of lines do not
    count, nor, in a phone number, how the digits are grouped or an international prefix for Italy."""
    if name == "phone":
        return _phone_digits(one) == _phone_digits(other)
    return _text(one) == _text(other)


def _text(value: str) -> str:
    return "\n".join(
        line.rstrip() for line in value.replace("\r\n", "\n").replace("\r", "\n").strip().split("\n")
    )


def _phone_digits(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    for prefix in ("0039", "39"):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 6 and value.lstrip()[:1] in "+0(":
            return digits[len(prefix) :]
    return digits


def merge(
    base: Mapping[str, str],
    mine: Mapping[str, str],
    theirs: Mapping[str, str],
    names: Iterable[str],
    *,
    sets: Mapping[str, str | None] | None = None,
) -> Merge:
    """Merge ``mine`` and ``theirs`` (both started from ``base``) over the fields ``names``.

    ``sets`` names the fields holding a ``;``-separated set of codes, each with the code that cannot go with
    any other (``{"periods": "all_year"}``) or None: what each side added is added and what each side removed
    is removed, unless the result would hold that lone code beside others (then the field is a conflict).
    """
    sets = sets or {}
    cells: dict[str, str] = {}
    conflicts: list[FieldConflict] = []
    from_theirs: list[str] = []
    for name in names:
        was, mine_now, theirs_now = base.get(name, ""), mine.get(name, ""), theirs.get(name, "")
        if same_value(name, mine_now, theirs_now) or same_value(name, theirs_now, was):
            cells[name] = mine_now
        elif same_value(name, mine_now, was):
            cells[name] = theirs_now
            from_theirs.append(name)
        elif name in sets and (joined := _merge_sets(was, mine_now, theirs_now, sets[name])) is not None:
            cells[name] = joined
            from_theirs.append(name)
        else:
            cells[name] = mine_now
            conflicts.append(FieldConflict(name, was, mine_now, theirs_now))
    return Merge(cells, conflicts, from_theirs)


def _merge_sets(base: str, mine: str, theirs: str, alone: str | None) -> str | None:
    """The set merge of three ``;``-separated cells, in the order of mine then theirs (None: a conflict)."""

    def items(cell: str) -> list[str]:
        return [part.strip() for part in cell.split(";") if part.strip()]

    was = set(items(base))
    removed = (was - set(items(mine))) | (was - set(items(theirs)))
    merged = [item for item in dict.fromkeys(items(mine) + items(theirs)) if item not in removed]
    if alone is not None and alone in merged and len(merged) > 1:
        return None
    return ";".join(merged)


def resolve(
    cells: Mapping[str, str], theirs: Mapping[str, str], choices: Mapping[str, str]
) -> dict[str, str]:
    """``cells`` with every field chosen as ``THEIRS`` taking the saved value; the others stay as they are."""
    return {
        name: theirs.get(name, "") if choices.get(name) == THEIRS else value for name, value in cells.items()
    }
