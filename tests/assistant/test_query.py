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
        # A later "when" sets the scene; the first word asks.
        ("And how did she react when the states filed their notices?", "other"),
        ("How many deputies voted which way when the Sejm first read the bill?", "number"),
        ("For how many years had the Convention been in force when the statement was published?", "number"),
        # … unless it is asked too.
        ("Which heads of state signed off on their country's exit, and when?", "date"),
        ("What did the minister say, and when did he say it?", "date"),
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
    # "How much warning …": a figure with its unit is the amount asked for, whatever it is called.
    warning = analyse("How much warning does the host state get?")
    assert type_fit("number", "Upon at least 72 hours' notice, the team arrives.", warning.terms, warning.focus, asks_amount=warning.asks_amount) == 1.0
    assert type_fit("number", "The team has 9 members.", warning.terms, warning.focus, asks_amount=warning.asks_amount) == 0.5
    assert not analyse("How much time passed between the vote and the notice?").asks_amount  # two dates answer it


def test_type_fit_for_dates():
    assert type_fit("date", "The notice was delivered on 27 June 2025.", []) == 1.0
    assert type_fit("date", "Lithuania joined in 2004.", []) == 0.5
    assert type_fit("date", "Lithuania joined in 2004.", [], asks_year=True) == 1.0


@pytest.mark.parametrize(
    ("question", "foreign"),
    [
        ("Когда Литва вышла из Оттавской конвенции?", "ru"),
        ("Wann ist Litauen aus dem Ottawa-Übereinkommen ausgetreten?", "de"),
        ("Скільки держав ще не приєдналися до Конвенції?", "uk"),
    ],
)
def test_a_language_the_corpus_lacks_is_answered_in_english(question, foreign):
    analysis = analyse(question)
    assert analysis.foreign == foreign
    assert analysis.language == "en"


@pytest.mark.parametrize(
    "question",
    [
        "ottawa treaty oficial langs?",  # terse, misspelt English: a weak guess of another language
        "latvia saeima ottawa vote - who abstaind??",
        "Kiedy Prezydent RP wypowiedział konwencję ottawską?",
        "Mitä hallituksen esityksessä HE 56/2025 sanotaan irtisanomisesta?",
        "Kurā datumā Valsts prezidents izsludināja likumu par izstāšanos?",
    ],
)
def test_corpus_languages_and_casual_english_are_not_foreign(question):
    assert analyse(question).foreign is None


def test_a_scene_setting_when_clause_does_not_make_a_date_question():
    assert analyse("When he presented the bill, what did the minister say it was based on?").answer_type == "other"
    assert analyse("When did the minister present the bill, and to whom?").answer_type == "date"


def test_the_noun_of_a_date_cue_is_not_a_topic_term():
    # "On what date" asks for a date; a sentence is not about the question for saying "date".
    assert "date" not in analyse("On what date did the Convention enter into force?").terms
    assert "year" not in analyse("In which year did Finland join the Convention?").terms
    assert "date" in analyse("Was the date of the vote moved?").terms


def test_a_question_not_in_english_also_matches_by_its_english_search_words():
    # Most passages are English: a Latvian question's own words never occur in them.
    latvian = analyse("Kuri deputāti nepiedalījās balsojumā par izstāšanos?")
    assert {"vote", "withdr", "member"} <= set(latvian.terms)
    assert "balsoj" in latvian.terms  # its own words still match passages in its language
    # An English question is matched by its own words only ("Rada" is glossed as "parliament"
    # for other languages, but an English question about the Rada does not mean any parliament).
    assert "parlia" not in analyse("When did the Rada vote to leave?").terms
