"""Sentence spans are what a citation quotes: exact offsets, trimmed, in order, never cut at an
abbreviation of the corpus' languages."""

from __future__ import annotations

import pytest

from ingest.sentences import sentence_spans


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def test_english_abbreviations_do_not_end_a_sentence():
    assert sentences("Mr. Smith went to Vilnius on 3 Apr. 2025. He met the minister there.") == [
        "Mr. Smith went to Vilnius on 3 Apr. 2025.",
        "He met the minister there.",
    ]


def test_polish_journal_reference_stays_in_one_sentence():
    text = (
        "The Act was published in the Journal of Laws as item 1008 (Dz. U. 2025 poz. 1008). "
        "Poland's withdrawal took effect six months after the notification."
    )
    assert sentences(text) == [
        "The Act was published in the Journal of Laws as item 1008 (Dz. U. 2025 poz. 1008).",
        "Poland's withdrawal took effect six months after the notification.",
    ]


def test_segment_starting_in_lower_case_is_joined_to_the_previous_one():
    text = "Ustawa z 25 czerwca 2025 r. o wypowiedzeniu konwencji weszła w życie. Sejm ją przyjął wcześniej."
    assert sentences(text) == [
        "Ustawa z 25 czerwca 2025 r. o wypowiedzeniu konwencji weszła w życie.",
        "Sejm ją przyjął wcześniej.",
    ]


def test_number_after_an_ordinal_or_abbreviation_does_not_start_a_sentence():
    assert sentences("Latvija izstājās 2025. gada 27. decembrī. Tas bija galīgi un neatgriezeniski.") == [
        "Latvija izstājās 2025. gada 27. decembrī.",
        "Tas bija galīgi un neatgriezeniski.",
    ]


def test_very_short_fragments_are_joined_but_not_across_a_paragraph_break():
    assert sentences("Ok. Yes. The vote passed in the Sejm today.") == ["Ok. Yes. The vote passed in the Sejm today."]
    assert sentences("Vote\n\nThe Sejm voted today. The Senate agreed later.") == [
        "Vote",
        "The Sejm voted today.",
        "The Senate agreed later.",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "  Leading and trailing space is trimmed.   Second sentence here.  \n",
        "No full stop at the end",
        "Šakalienė pasakė: „Lietuva pasitraukė.“ Sprendimas galutinis!",
        "Question one? Answer two! Statement three…",
        "Line one of a paragraph\ncontinues here. Next sentence starts.",
    ],
)
def test_spans_are_exact_trimmed_ordered_and_cover_every_word(text: str):
    spans = sentence_spans(text)

    assert spans
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        piece = text[start:end]
        assert piece == piece.strip()
        previous_end = end
    # only white space lies between and around sentences: no word is lost
    covered = "".join(text[s:e] for s, e in spans)
    assert "".join(covered.split()) == "".join(text.split())


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t"])
def test_blank_text_has_no_sentences(text: str):
    assert sentence_spans(text) == []
