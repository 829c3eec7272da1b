"""Three-way merge of two editors' versions of a listing, field by field.

``base`` is the content the editor's form started from, ``mine`` what the editor submitted, ``theirs`` what
somebody else saved in between. A field changed by only one side takes that side's value without a question;
a field both sides changed to different values is a conflict, chosen field by field ("keep theirs / keep
mine"). Until it is chosen, a conflict keeps the editor's own text, so that nothing typed is ever dropped.
All values are text cells of a listing (the cells of a CSV row).
"""

from __future__ import annotations

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


def merge(
    base: Mapping[str, str], mine: Mapping[str, str], theirs: Mapping[str, str], names: Iterable[str]
) -> Merge:
    """Merge ``mine`` and ``theirs`` (both started from ``base``) over the fields ``names``."""
    cells: dict[str, str] = {}
    conflicts: list[FieldConflict] = []
    from_theirs: list[str] = []
    for name in names:
        was, mine_now, theirs_now = base.get(name, ""), mine.get(name, ""), theirs.get(name, "")
        if mine_now == theirs_now or theirs_now == was:
            cells[name] = mine_now
        elif mine_now == was:
            cells[name] = theirs_now
            from_theirs.append(name)
        else:
            cells[name] = mine_now
            conflicts.append(FieldConflict(name, was, mine_now, theirs_now))
    return Merge(cells, conflicts, from_theirs)


def resolve(
    cells: Mapping[str, str], theirs: Mapping[str, str], choices: Mapping[str, str]
) -> dict[str, str]:
    """``cells`` with every field chosen as ``THEIRS`` taking the saved value; the others stay as they are."""
    return {
        name: theirs.get(name, "") if choices.get(name) == THEIRS else value for name, value in cells.items()
    }
