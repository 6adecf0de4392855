"""Lookalike organisation names: which spellings of a listed name are caught.

The table is the closing note of issue 16: each row is a spelling tried against a name on
the letter, and whether the name key (lookalike.name_key) makes it the same organisation.
"""
from __future__ import annotations

import pytest

from chalicelib.lookalike import name_key, search_form, skeleton

HRW = "Human Rights Watch"
HRNK = "Committee for Human Rights in North Korea (HRNK)"
NKHR = "Citizens' Alliance for North Korean Human Rights (NKHR)"
NOW = "Now Action & Unity for Human rights"

# (listed name, spelling tried, what it tries, caught?)
CASES = [
    (HRW, "Human Rights Watch", "the same name", True),
    (HRW, "\u041duman Rights Watch", "Cyrillic capital En for H", True),
    (HRW, "Hum\u0430n Ri\u0261hts W\u0430t\u0441h", "Cyrillic a and c, Latin script g", True),
    (HRW, "\u041d\u0443m\u0430n R\u0456ghts W\u0430t\u0441h", "Cyrillic у for u (it reads y)", False),
    (HRW, "\u0397uman Rights Watch", "Greek capital Eta for H", True),
    (HRW, "Human R\u0456ghts Watch", "Cyrillic і for i", True),
    (HRW, "Hurnan Rights Watch", "rn for m", True),
    (HRW, "Human Rlghts Watch", "l for i", True),
    (HRW, "Human R1ghts Watch", "digit 1 for i", True),
    (HRW, "HUMAN RIGHTS WATCH", "upper case", True),
    (HRW, "human rights watch", "lower case", True),
    (HRW, "\u041dU\u041c\u0410N RIGHTS W\u0410T\u0421H", "upper case, Cyrillic Н М А С", True),
    (HRW, "\u041d\u0423\u041c\u0410N RIGHTS WATCH", "upper case, Cyrillic У for U (it reads Y)",
     False),
    (HRW, "\uff28\uff55\uff4d\uff41\uff4e \uff32\uff49\uff47\uff48\uff54\uff53 \uff37\uff41\uff54\uff43\uff48",
     "fullwidth letters", True),
    (HRW, "HumanRightsWatch", "spaces removed", True),
    (HRW, "Human  Rights\u00a0\u00a0Watch", "doubled and no-break spaces", True),
    (HRW, "Human Rights Wa tch", "a space inside a word", True),
    (HRW, "Human-Rights-Watch", "hyphens", True),
    (HRW, "Human Rights Watch.", "a trailing full stop", True),
    (HRW, "Human Rights, Watch!", "comma and exclamation mark", True),
    (HRW, "H\u00fam\u00e0n Rights Watch", "accents", True),
    (HRW, "The Human Rights Watch", "a leading The", True),
    (HRW, "Human Rights Watch, Inc.", "Inc.", True),
    (HRW, "Human Rights Watch Ltd", "Ltd", True),
    (HRW, "Human Rights Watch e.V.", "e.V.", True),
    (HRW, "Human Rights Watch (HRW)", "an abbreviation in brackets", True),
    (HRW, "The Human Rights Watch Inc. (HRW)", "The, Inc. and brackets together", True),
    (HRW, "Human Right Watch", "a letter missing (a misspelling, not a lookalike)", False),
    (HRW, "Human Rights Watchers", "a longer name", False),
    (HRW, "HRW", "the abbreviation alone", False),
    (HRW, "Watch Human Rights", "words reordered", False),
    (HRNK, "Committee for Human Rights in North Korea", "the seed's (HRNK) dropped", True),
    (HRNK, "Committee for Human Rights in North Korea [HRNK]", "square brackets", True),
    (HRNK, "HRNK", "the seed's abbreviation alone", False),
    (NKHR, "Citizens Alliance for North Korean Human Rights", "apostrophe and (NKHR) dropped", True),
    (NKHR, "Citizens\u2019 Alliance for North Korean Human Rights (NKHR)", "curly apostrophe", True),
    (NOW, "Now Action and Unity for Human Rights", "& written as and", True),
    ("Justice for Iran (JFI)", "Justice For North Korea", "another organisation of the seed", False),
]


@pytest.mark.parametrize("listed, tried, what, caught", CASES,
                         ids=[c[2] for c in CASES])
def test_a_lookalike_spelling_has_the_listed_names_key(listed, tried, what, caught):
    assert (name_key(tried) == name_key(listed)) is caught


def test_the_table_tries_at_least_twenty_spellings_and_catches_most():
    assert len(CASES) >= 20 and sum(c[3] for c in CASES) >= 25


def test_no_two_organisations_of_the_seed_share_a_key():
    from tools.seed import EXAMPLE, read_signatories
    orgs = [r["name"] for r in read_signatories(EXAMPLE) if r["kind"] == "organisation"]
    assert len({name_key(n) for n in orgs}) == len(orgs) == 31


def test_the_skeleton_is_unicodes_prototype_mapping():
    assert skeleton("\u0430") == "a" and skeleton("m") == "rn" and skeleton("0") == "O"


def test_a_name_of_only_affixes_or_marks_keeps_what_it_has():
    assert name_key("The") == name_key("the") != ""
    assert name_key("(HRW)") == "" and name_key("...") == ""


def test_the_search_form_finds_a_part_of_any_spelling():
    spellings = ["Human Rights Watch", "\u041duman Rights Watch", "HUMAN RIGHTS WATCH",
                 "Human-Rights-Watch", "HumanRightsWatch", "Hum\u00e0n Rights Watch",
                 "Hurnan Rights Watch", "The Human Rights Watch (HRW)",
                 "Hum\u0430n Ri\u0261hts W\u0430t\u0441h"]
    assert all(search_form("rights watch") in search_form(s) for s in spellings)
    assert search_form("human") in search_form("Ηuman Rights Watch")
