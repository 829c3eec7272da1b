"""Overlaps: published listings that repeat each other (pure module, no app, no database)."""

from __future__ import annotations

import dataclasses
import random

import pytest

from welfarepoint.insights.overlaps import (
    REASONS,
    Listing,
    Overlap,
    find_overlaps,
    terms,
    text_similarity,
)
from welfarepoint.territory import ATS_NAMES

SONDRIO, TIRANO, MORBEGNO, CHIAVENNA = "014061", "014066", "014045", "014018"

CAMP_A = (
    "Centro estivo Sondrio. Centro estivo per bambini e ragazzi dai 6 agli 11 anni: giochi all'aperto, "
    "laboratori creativi, gite in montagna e piscina, con educatori qualificati, nei mesi di luglio e agosto."
)
CAMP_B = (
    "Centro estivo a Sondrio. Il centro estivo accoglie bambini e ragazzi da 6 a 11 anni con giochi all'aperto, "
    "laboratori creativi, gite in montagna e in piscina, seguiti da educatori qualificati a luglio e agosto."
)
CAMP_C = (
    "Centro estivo Valtellina. Centro estivo per bambini dai 6 agli 11 anni: giochi all'aperto, laboratori "
    "creativi, gite in montagna, piscina ed educatori qualificati tutta l'estate, luglio e agosto."
)
UNRELATED = (
    "Sportello di consulenza previdenziale: pratiche di pensione, assegni familiari, dichiarazione ISEE e "
    "modulistica INPS, su appuntamento presso la sede sindacale."
)


def camp(listing_id: int, text: str = CAMP_A, **changes) -> Listing:
    """A summer camp in ATS Montagna for ages 6-11, covering Sondrio and Tirano; ``changes`` override fields."""
    listing = Listing(
        id=listing_id,
        title=text.split(".")[0],
        text=text,
        ats="Montagna",
        coverage=frozenset({SONDRIO, TIRANO}),
        needs=frozenset({"summer_camp"}),
        age_min=6,
        age_max=11,
        periods=frozenset({"summer"}),
        audience="persons",
    )
    return dataclasses.replace(listing, **changes)


def pair(**changes) -> list[Listing]:
    """Camp A, and camp B with ``changes``."""
    return [camp(1), camp(2, CAMP_B, **changes)]


# Text similarity


def test_terms_normalise_accents_stop_words_and_stems():
    assert terms("L'attività è più educativa, perché: Educativi!") == ["attivi", "educat", "educat"]


def test_text_similarity_bounds():
    assert text_similarity(CAMP_A, CAMP_A) == pytest.approx(1.0)
    assert text_similarity(CAMP_A, CAMP_B) > 0.8
    assert text_similarity(CAMP_A, UNRELATED) < 0.1
    assert text_similarity("", CAMP_A) == 0.0
    assert text_similarity("il e di", "la o da") == 0.0


# Constructed cases


def test_near_identical_summer_camps_overlap_with_all_reasons():
    [overlap] = find_overlaps(pair())
    assert overlap.ids == (1, 2)
    assert overlap.shared_needs == ("summer_camp",)
    assert (
        overlap.reasons
        == REASONS
        == (
            "same_need",
            "ages_overlap",
            "territory_overlap",
            "periods_overlap",
            "similar_text",
        )
    )
    assert 0.35 <= overlap.similarity <= 1.0


def test_different_ats_never_overlap():
    assert find_overlaps(pair(ats="Bergamo")) == []
    assert find_overlaps(pair(ats="Bergamo", coverage=frozenset())) == []


def test_same_ats_disjoint_coverage_does_not_overlap():
    assert find_overlaps(pair(coverage=frozenset({MORBEGNO, CHIAVENNA}))) == []


def test_whole_ats_coverage_overlaps_any_set():
    [overlap] = find_overlaps(pair(coverage=frozenset()))
    assert overlap.ids == (1, 2)


def test_disjoint_ages_do_not_overlap():
    assert find_overlaps(pair(age_min=0, age_max=3)) == []


def test_open_age_bounds():
    assert len(find_overlaps(pair(age_min=None, age_max=None))) == 1
    assert len(find_overlaps(pair(age_min=11, age_max=None))) == 1  # bounds are inclusive
    assert find_overlaps(pair(age_min=12, age_max=None)) == []
    assert find_overlaps(pair(age_min=None, age_max=5)) == []


def test_disjoint_periods_do_not_overlap():
    assert find_overlaps(pair(periods=frozenset({"christmas"}))) == []


def test_all_year_overlaps_summer():
    [overlap] = find_overlaps(pair(periods=frozenset({"all_year"})))
    assert overlap.ids == (1, 2)


def test_different_needs_do_not_overlap():
    assert find_overlaps(pair(needs=frozenset({"after_school"}))) == []


def test_different_audience_does_not_overlap():
    assert find_overlaps(pair(audience="companies")) == []


def test_unrelated_texts_do_not_overlap():
    assert find_overlaps([camp(1), camp(2, UNRELATED)]) == []


def test_ignored_pair_is_skipped():
    assert find_overlaps(pair(), ignore=[frozenset({1, 2})]) == []
    assert len(find_overlaps(pair(), ignore=[frozenset({1, 3})])) == 1


def test_three_mutually_similar_listings_make_one_group():
    listings = [camp(1), camp(2, CAMP_B), camp(3, CAMP_C), camp(4, UNRELATED)]
    [overlap] = find_overlaps(listings)
    assert overlap.ids == (1, 2, 3)
    pairwise = [text_similarity(a, b) for a, b in ((CAMP_A, CAMP_B), (CAMP_A, CAMP_C), (CAMP_B, CAMP_C))]
    assert all(value > 0.5 for value in pairwise)
    assert 0.35 <= overlap.similarity <= 1.0


def test_shared_needs_are_the_needs_pairs_share():
    listings = [
        camp(1, needs=frozenset({"summer_camp", "after_school"})),
        camp(2, CAMP_B, needs=frozenset({"summer_camp", "after_school", "childcare_0_3"})),
    ]
    [overlap] = find_overlaps(listings)
    assert overlap.shared_needs == ("after_school", "summer_camp")


def test_order_of_input_does_not_change_output():
    listings = [
        camp(1),
        camp(2, CAMP_B),
        camp(3, CAMP_C),
        camp(4, UNRELATED),
        camp(5, CAMP_A, ats="Bergamo"),
        camp(6, CAMP_B, ats="Bergamo", coverage=frozenset()),
        camp(7, CAMP_C, audience="companies"),
    ]
    expected = find_overlaps(listings)
    assert sorted(overlap.ids for overlap in expected) == [(1, 2, 3), (5, 6)]
    shuffler = random.Random(7)
    for _ in range(10):
        shuffled = listings[:]
        shuffler.shuffle(shuffled)
        assert find_overlaps(shuffled) == expected
    assert find_overlaps(reversed(listings)) == expected


def test_groups_are_sorted_by_similarity_then_ids():
    listings = [
        camp(10, CAMP_A, ats="Bergamo"),
        camp(11, CAMP_A, ats="Bergamo"),  # identical: similarity 1
        camp(1),
        camp(2, CAMP_C),
    ]
    overlaps = find_overlaps(listings)
    assert [overlap.ids for overlap in overlaps] == [(10, 11), (1, 2)]
    assert overlaps[0].similarity == pytest.approx(1.0)
    assert overlaps[0].similarity > overlaps[1].similarity


def test_invalid_input():
    with pytest.raises(ValueError):
        find_overlaps([camp(1), camp(1, CAMP_B)])
    with pytest.raises(ValueError):
        find_overlaps(pair(), min_similarity=0)
    assert find_overlaps([]) == []


# Scale

NEEDS = ("childcare_0_3", "after_school", "summer_camp", "homework_support", "elder_care", "respite")
AUDIENCES = ("persons", "companies", "network")
PERIODS = ("school_year", "summer", "christmas", "easter", "all_year")
NOUNS = ("centro", "laboratorio", "sportello", "servizio", "corso", "spazio", "percorso", "progetto", "nido")
ADJECTIVES = ("estivo", "educativo", "creativo", "sportivo", "musicale", "solidale", "inclusivo", "gratuito")
PLACES = ("Bergamo", "Brescia", "Monza", "Como", "Varese", "Milano", "Sondrio", "Pavia", "Cremona", "Lodi")
VERBS = ("accoglie", "propone", "organizza", "offre", "segue", "accompagna", "sostiene", "ospita", "prepara")
SYLLABLES = ("ba", "ce", "di", "fo", "gu", "la", "me", "ni", "po", "ru", "sa", "te", "vi", "zo", "ca")


def random_text(rng: random.Random) -> str:
    """A listing text: a few common Italian words, and mostly rarer made-up words of three syllables."""
    words = [rng.choice(NOUNS), rng.choice(ADJECTIVES), "a", rng.choice(PLACES) + ".", rng.choice(VERBS)]
    words += ["".join(rng.choices(SYLLABLES, k=3)) for _ in range(10)]
    return " ".join(words)


def random_listing(rng: random.Random, listing_id: int) -> Listing:
    """A listing with random fields."""
    low = rng.randint(0, 14)
    return Listing(
        id=listing_id,
        title="",
        text=random_text(rng),
        ats=rng.choice(ATS_NAMES),
        coverage=frozenset(
            f"0{rng.randint(12, 20)}{rng.randint(1, 40):03d}" for _ in range(rng.randint(0, 4))
        ),
        needs=frozenset(rng.sample(NEEDS, rng.randint(1, 2))),
        age_min=rng.choice((None, low)),
        age_max=rng.choice((None, low + rng.randint(0, 8))),
        periods=frozenset(rng.sample(PERIODS, rng.randint(1, 2))),
        audience=rng.choice(AUDIENCES),
    )


def test_three_thousand_synthetic_listings():
    rng = random.Random(20240601)
    listings = [random_listing(rng, listing_id) for listing_id in range(1, 2801)]
    planted: list[tuple[int, int]] = []
    for listing_id in range(2801, 3001):  # 200 near copies: same fields, the text with one word changed
        original = listings[rng.randrange(2800)]
        words = original.text.split()
        words[rng.randrange(len(words))] = rng.choice(NOUNS)
        listings.append(dataclasses.replace(original, id=listing_id, text=" ".join(words)))
        planted.append((original.id, listing_id))
    rng.shuffle(listings)
    by_id = {listing.id: listing for listing in listings}

    overlaps = find_overlaps(listings)

    group_of = {member: overlap for overlap in overlaps for member in overlap.ids}
    for original, copy in planted:
        assert copy in group_of[original].ids
    for overlap in overlaps:
        assert isinstance(overlap, Overlap)
        assert len(overlap.ids) >= 2
        assert list(overlap.ids) == sorted(set(overlap.ids))
        assert 0.35 <= overlap.similarity <= 1.0
        members = [by_id[member] for member in overlap.ids]
        assert len({(member.audience, member.ats) for member in members}) == 1
        assert set(overlap.shared_needs) <= set().union(*(member.needs for member in members))
    # sensible: the planted copies (a listing copied twice makes a group of three), no chains of random texts
    assert 150 <= len(overlaps) <= 200
    assert max(len(overlap.ids) for overlap in overlaps) <= 4
    assert sum(len(overlap.ids) - 1 for overlap in overlaps) == len(planted)
    keys = [(-overlap.similarity, overlap.ids) for overlap in overlaps]
    assert keys == sorted(keys)
