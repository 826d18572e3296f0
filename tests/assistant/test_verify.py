"""The verifier's fact reading: numbers as numbers in every corpus language, months, names with
possessives and inflections folded (no store needed)."""

from assistant.verify import facts, missing, months, numbers


def test_numbers_are_values_not_substrings():
    assert numbers("within four years") == {4.0}
    assert numbers("ten years") == {10.0}
    assert 10.0 not in numbers("in 2010")
    assert numbers("1,000 mines and 2.5 million") >= {1000.0, 2.5}


def test_number_words_of_every_corpus_language():
    assert numbers("dešimt metų") == {10.0}  # lt
    assert numbers("četri gadi") == {4.0}  # lv
    assert numbers("kümme aastat") == {10.0}  # et
    assert numbers("cztery lata") == {4.0}  # pl
    assert numbers("kymmenen vuotta") == {10.0}  # fi


def test_months_match_across_languages():
    assert months("on 4 June 2025") == months("4. juunil 2025") == months("birželio 4 d.") == {6}
    assert not missing(facts("It was adopted on 4 June 2025."), "Riigikogu võttis seaduse vastu 4. juunil 2025.")


def test_possessives_and_inflections_are_one_name():
    claimed = facts("It was the Verkhovna Rada's decision, Zelensky said.")
    assert not missing(claimed, "The Verkhovna Rada voted; President Zelenskyy signed it.")


def test_a_figure_or_country_the_text_lacks_is_missing():
    assert missing(facts("The Seimas voted 121 to 3."), "In the Seimas vote, 107 members voted for it and 3 abstained.").numbers == {121.0}
    assert missing(facts("Sweden decided in 2025 to leave."), "Lithuania decided in 2025 to leave.").names
