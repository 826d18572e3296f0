"""Reading a question: language, the kind of answer it wants, and what 'how many' counts."""

import pytest

from assistant.query import analyse, type_fit


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("When did Lithuania deliver its withdrawal notice?", "date"),
        ("Kiedy Prezydent RP wypowiedział konwencję ottawską?", "date"),
        ("Milloin irtisanominen tulee voimaan?", "date"),
        ("How many members of the Seimas voted for the withdrawal?", "number"),
        ("What was the result of the Riigikogu vote?", "number"),
        ("Who signed the joint statement for Latvia?", "person"),
        ("Why might Ukraine's withdrawal be delayed?", "reason"),
        ("Is a State Party allowed to keep any mines?", "yesno"),
    ],
)
def test_answer_type(question, kind):
    assert analyse(question).answer_type == kind


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("How many members of the Seimas voted for Lithuania's withdrawal?", "en"),
        ("Kiedy Prezydent RP wypowiedział konwencję ottawską?", "pl"),
        ("Mitä hallituksen esityksessä HE 56/2025 sanotaan irtisanomisesta?", "fi"),
        ("Mis kuupäeval võttis Riigikogu vastu Ottawa konventsioonist lahkumise seaduse?", "et"),
        ("Kurā datumā Valsts prezidents izsludināja likumu par izstāšanos?", "lv"),
    ],
)
def test_language(question, language):
    assert analyse(question).language == language


def test_count_focus_and_countries():
    analysis = analyse("How many Saeima members backed the bill in Latvia?")
    assert "member" in analysis.focus
    assert analysis.countries == ["Latvia"]


def test_type_fit_prefers_a_figure_next_to_what_is_counted():
    focus = analyse("How many Saeima members backed the bill?").focus
    assert type_fit("number", "66 members of parliament voted in favour.", [], focus) == 1.0
    assert type_fit("number", "The decision was taken in two readings.", [], focus) == 0.5
    assert type_fit("number", "The Saeima approved the bill.", [], focus) == 0.0


def test_type_fit_for_dates():
    assert type_fit("date", "The notice was delivered on 27 June 2025.", []) == 1.0
    assert type_fit("date", "Lithuania joined in 2004.", []) == 0.5
    assert type_fit("date", "Lithuania joined in 2004.", [], asks_year=True) == 1.0
