"""A question in another language gets English search words for its treaty vocabulary, and a
Cyrillic name its Latin spelling."""

from assistant.lexicon import english_gloss, transliterate
from ingest.keyword_index import tokenize


def test_baltic_question_gets_english_vocabulary():
    gloss = english_gloss("Kurie Seimo nariai susilaikė balsuojant dėl pasitraukimo iš konvencijos?").split()
    assert {"abstained", "withdrawal", "convention"} <= set(gloss)


def test_cyrillic_names_meet_their_latin_spelling_by_prefix():
    gloss = english_gloss("Що сказав Генеральний секретар ООН Антоніу Гутерреш про протипіхотні міни?")
    assert set(tokenize("Guterres")) <= set(tokenize(gloss))
    assert {"anti-personnel", "un"} <= set(gloss.split())


def test_stems_match_at_a_word_start_only():
    # "kas " is Estonian/Latvian "who"; "kasutama" (to use) must not gloss as "who".
    assert "who" not in english_gloss("Kasutama hakati uusi reegleid.").split()


def test_transliteration_keeps_capitals():
    assert transliterate("Литва") == "Lytva"


def test_english_has_nothing_to_gloss():
    assert english_gloss("When did the withdrawal of the mines take effect?") == ""
