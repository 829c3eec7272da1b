"""The people's vocabulary (``synonyms.txt``): synonym groups, the needs they name, and query expansion.

A group is one line of variants separated by ``|``; a query that contains any variant also looks for all the
others. A group may start with the codes of what it names in brackets: need codes or categories of the
taxonomy (``[summer_closure]``, ``[C3]``), then a listing that answers one of them is found whatever words it
uses; or ``[outside]``, things the networks do not offer (RSA, invalidità civile), which match no listing and
make the search page point to the public routes that handle them. A line starting with ``~`` lists words that
are parts of names ("Campo" in "Cardano al Campo"): alone they are looked for in titles, summaries and tags
only, never in place names or descriptions.

Region administrators add their own groups in the backend; :func:`use_extra` puts them beside the file's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from welfarepoint.vocabulary.text import words

OUTSIDE = "outside"
CONTEXT = "context"
FILLER = "filler"
EMPLOYER = "employer"
MARKS = (OUTSIDE, CONTEXT, FILLER, EMPLOYER)
_MARKS = MARKS
_CODES = re.compile(r"^\[([^\]]*)\]\s*")


@dataclass(frozen=True)
class Concept:
    """One idea of the query: the words typed, and every way of saying it (each a tuple of folded words).

    ``needs``: the need codes or categories it names; ``outside``: it names something the networks do not
    offer; ``context``: it says for whom (never required when the query says more); ``name_word``: a word that
    is only part of names; ``employer``: it says the one asking is an employer ("dipendenti", "HR").
    """

    typed: tuple[str, ...]
    variants: tuple[tuple[str, ...], ...]
    needs: tuple[str, ...] = ()
    outside: bool = False
    context: bool = False
    name_word: bool = False
    employer: bool = False


@dataclass(frozen=True)
class Group:
    variants: tuple[tuple[str, ...], ...]
    codes: tuple[str, ...] = ()


def parse(text: str) -> tuple[tuple[Group, ...], frozenset[str]]:
    """The groups and the name words of a vocabulary written like ``synonyms.txt``."""
    groups: list[Group] = []
    name_words: set[str] = set()
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("~"):
            name_words.update(word for part in line[1:].split("|") for word in words(part))
            continue
        codes: tuple[str, ...] = ()
        if line.startswith("-"):
            codes, line = (FILLER,), line[1:]
        if found := _CODES.match(line):
            codes = tuple(found.group(1).split())
            line = line[found.end() :]
        variants: list[tuple[str, ...]] = []
        for variant in line.split("|"):
            folded = tuple(words(variant))
            if folded and folded not in variants:
                variants.append(folded)
        if len(variants) > 1 or (codes and variants):
            groups.append(Group(tuple(variants), codes))
    return tuple(groups), frozenset(name_words)


@cache
def _shipped() -> tuple[tuple[Group, ...], frozenset[str]]:
    return parse(resources.files(__package__).joinpath("synonyms.txt").read_text(encoding="utf-8"))


#: Groups curated in the backend (see :func:`use_extra`), with the key they were made from.
_extra: tuple[object, tuple[Group, ...]] = (None, ())


def use_extra(key: object, text_of: Callable[[], str]) -> None:
    """Use the curated groups of ``text_of()`` (written like ``synonyms.txt``) beside the shipped ones.

    ``key`` says which version they are (the catalog's generation): read again only when it changes.
    """
    global _extra
    if _extra[0] == key:
        return
    groups, _names = parse(text_of())
    _extra = (key, groups)
    _reset()


def _reset() -> None:
    for cached in (_variant_index, longest_variant, vocabulary):
        cached.cache_clear()


def version() -> object:
    """Which curated groups are in use (what caches of analysed queries key on)."""
    return _extra[0]


def groups() -> tuple[Group, ...]:
    """Every group: the shipped file's, then the curated ones."""
    return _shipped()[0] + _extra[1]


def name_words() -> frozenset[str]:
    """Words that are only parts of names."""
    return _shipped()[1]


@cache
def _variant_index() -> dict[tuple[str, ...], tuple[tuple[tuple[str, ...], ...], tuple[str, ...]]]:
    """Each variant (and its spelling without spaces) -> every variant of every group that holds it, and
    every code of those groups."""
    return _index_of(groups())


def _index_of(
    all_groups: tuple[Group, ...],
) -> dict[tuple[str, ...], tuple[tuple[tuple[str, ...], ...], tuple[str, ...]]]:
    index: dict[tuple[str, ...], tuple[list[tuple[str, ...]], list[str]]] = {}
    for group in all_groups:
        for variant in group.variants:
            for key in {variant, ("".join(variant),)}:
                bucket, codes = index.setdefault(key, ([], []))
                bucket.extend(v for v in group.variants if v not in bucket)
                codes.extend(c for c in group.codes if c not in codes)
    return {key: (tuple(value), tuple(codes)) for key, (value, codes) in index.items()}


@cache
def longest_variant() -> int:
    """The number of words of the longest variant."""
    return max(len(variant) for variant in _variant_index())


@cache
def vocabulary() -> frozenset[str]:
    """Every word of every variant: known words for the spelling corrector."""
    words_of_groups = (word for group in groups() for variant in group.variants for word in variant)
    return frozenset(words_of_groups) | name_words()


def concepts(text: str, extra: tuple[Group, ...] = ()) -> list[Concept]:
    """Split a query into concepts, longest synonym phrases first; other words stand alone.

    ``extra``: groups to use besides the vocabulary in use (to see what a group being curated would do).
    """
    typed = words(text)
    index = _index_of(groups() + extra) if extra else _variant_index()
    longest = max(len(variant) for variant in index) if extra else longest_variant()
    names = name_words()
    result: list[Concept] = []
    position = 0
    while position < len(typed):
        for size in range(min(longest, len(typed) - position), 0, -1):
            chunk = tuple(typed[position : position + size])
            found = index.get(chunk) or index.get(("".join(chunk),))
            if found:
                variants, codes = found
                position += size
                needs = tuple(code for code in codes if code not in _MARKS)
                if FILLER in codes and not needs:
                    break
                ordered = (chunk, *(v for v in variants if v != chunk))
                outside = OUTSIDE in codes and not needs
                context = CONTEXT in codes and not needs
                employer = EMPLOYER in codes
                result.append(Concept(chunk, ordered, needs, outside, context, employer=employer))
                break
        else:
            word = typed[position]
            result.append(Concept((word,), ((word,),), name_word=word in names))
            position += 1
    return result
