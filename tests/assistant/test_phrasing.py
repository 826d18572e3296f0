"""Casual forms people type are written out before searching; names, codes and numbers stay."""

import pytest

from assistant.phrasing import expand


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("wat is the treaty abt", "what is the treaty about"),
        ("how many ppl a yr", "how many people a year"),
        ("which countries never joined like the usa", "which countries never joined like the United States"),
        ("1st reading wich clubs backed it", "first reading which clubs backed it"),
        ("On which date did MPs vote?", "On which date did members of parliament vote?"),
    ],
)
def test_casual_forms_are_written_out(typed, written):
    assert expand(typed) == written


@pytest.mark.parametrize(
    "question",
    ["Dz. U. 2025 poz. 1514", "What does Article 2 say about mines in 2025?", "how 2 leave", "HE 56/2025", "Who is the UN Secretary-General?"],
)
def test_codes_numbers_and_proper_forms_stay(question):
    assert expand(question) == question
