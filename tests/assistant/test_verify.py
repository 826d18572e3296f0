"""The verifier's fact reading: numbers as numbers in every corpus language, months, names with
possessives and inflections folded (no store needed)."""

from assistant.verify import facts, left_out, missing, months, numbers


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


def test_left_out_wants_figures_and_dates_as_the_evidence_writes_them():
    evidence = "On 27 June 2025 Lithuania handed its notice to the Secretary-General, six months before it took effect."
    assert "27 june 2025" in left_out(evidence, "Lithuania's notice: handed to the Secretary-General June 27, 2025, six months before it took effect.")
    assert "six" in left_out(evidence, "On 27 June 2025 Lithuania handed its notice to the Secretary-General, 6 months before it took effect.")
    assert left_out(evidence, "On 27 June 2025 Lithuania handed its notice to the Secretary-General, six months before it took effect.") == []
    assert left_out(evidence, "On 27 June 2025 its notice went to the Secretary-General, six months before it took effect.") == ["lithua", "handed"]


def test_left_out_catches_a_paraphrase_that_keeps_the_figures_but_turns_the_claim():
    evidence = "Finland faces no immediate military threat, but the changed security environment requires it to act."
    assert "no" in left_out(evidence, "Finland faces an immediate military threat, the changed security environment requires it to act.")


def test_left_out_reads_a_lone_may_as_a_word_not_a_month():
    assert left_out("Lithuania may leave.", "Lithuania leaves.") == []
