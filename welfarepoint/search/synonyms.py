"""The curated synonym groups of ``synonyms.txt``, and query expansion with them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from welfarepoint.search.text import words


@dataclass(frozen=True)
class Concept:
    """One idea of the query: the words typed, and every way of saying it (each a tuple of folded words)."""

    typed: tuple[str, ...]
    variants: tuple[tuple[str, ...], ...]


@cache
def groups() -> tuple[tuple[tuple[str, ...], ...], ...]:
    """The synonym groups, each a tuple of variants; a variant is a tuple of folded words."""
    text = resources.files(__package__).joinpath("synonyms.txt").read_text(encoding="utf-8")
    result = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        variants = []
        for variant in line.split("|"):
            folded = tuple(words(variant))
            if folded and folded not in variants:
                variants.append(folded)
        if len(variants) > 1:
            result.append(tuple(variants))
    return tuple(result)


@cache
def _variant_index() -> dict[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """Each variant (and its spelling without spaces) -> every variant of every group that holds it."""
    index: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for group in groups():
        for variant in group:
            for key in {variant, ("".join(variant),)}:
                bucket = index.setdefault(key, [])
                bucket.extend(v for v in group if v not in bucket)
    return {key: tuple(value) for key, value in index.items()}


@cache
def longest_variant() -> int:
    """The number of words of the longest variant."""
    return max(len(variant) for variant in _variant_index())


@cache
def vocabulary() -> frozenset[str]:
    """Every word of every variant: known words for the spelling corrector."""
    return frozenset(word for group in groups() for variant in group for word in variant)


def concepts(text: str) -> list[Concept]:
    """Split a query into concepts, longest synonym phrases first; other words stand alone."""
    typed = words(text)
    index = _variant_index()
    result: list[Concept] = []
    position = 0
    while position < len(typed):
        for size in range(min(longest_variant(), len(typed) - position), 0, -1):
            chunk = tuple(typed[position : position + size])
            variants = index.get(chunk) or index.get(("".join(chunk),))
            if variants:
                ordered = (chunk, *(v for v in variants if v != chunk))
                result.append(Concept(chunk, ordered))
                position += size
                break
        else:
            word = typed[position]
            result.append(Concept((word,), ((word,),)))
            position += 1
    return result
