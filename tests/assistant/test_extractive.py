"""Extractive answers on the real corpus: cited, in the question's language, honest when the
sources are silent, and aware of the conversation."""

import pytest

from assistant.answer import Filters, Turn
from assistant.generators.extractive import _claim_figures

pytestmark = pytest.mark.slow


def cited_sources(answer):
    return {c.source_id for c in answer.citations}


def test_answer_cites_a_source_that_says_it(assistant):
    answer = assistant.ask("How many members of the Seimas voted for Lithuania's withdrawal?")
    assert not answer.abstained
    assert "107" in answer.answer
    supporting = [c for c in answer.citations if "107" in c.quote]
    assert supporting, "no citation quotes the figure"
    for citation in answer.citations:
        assert citation.start < citation.end
        assert citation.quote.strip()


def test_every_sentence_carries_a_citation(assistant):
    answer = assistant.ask("Which official acts as depositary of the Ottawa Convention?")
    assert answer.sentences
    assert all(s.citations for s in answer.sentences)
    numbers = {c.n for c in answer.citations}
    assert {n for s in answer.sentences for n in s.citations} <= numbers
    assert "Secretary-General" in answer.answer
    treaty = [c for c in answer.citations if c.source_id == "001-ottawa-convention-english-text"]
    assert any(c.heading.startswith("Article 21") for c in treaty), "the treaty's article is not named"


def test_quotes_are_exact_spans_of_the_source(assistant, corpus_settings):
    from ingest.source_texts import SourceTexts

    texts = SourceTexts(corpus_settings.index_dir)
    answer = assistant.ask("What happens if a withdrawing state is in an armed conflict when the six months end?")
    assert answer.citations
    for citation in answer.citations:
        assert texts.load(citation.source_id).text[citation.start : citation.end] == citation.quote
    assert "armed conflict" in answer.answer


def test_abstains_when_the_sources_are_silent(assistant):
    answer = assistant.ask("What did NATO Secretary General Mark Rutte say about the withdrawals?")
    assert answer.abstained
    # The decline says what the sources lack, then shows the nearest evidence marked as such.
    assert answer.answer.startswith("The sources never mention Mark Rutte.")
    assert "The nearest they come:" in answer.answer


def test_polish_question_is_answered_in_polish_from_the_polish_source(assistant):
    answer = assistant.ask("Kiedy, według oświadczenia rządowego w Dzienniku Ustaw, Prezydent RP wypowiedział konwencję ottawską?")
    assert not answer.abstained
    assert "5 sierpnia 2025" in answer.answer
    assert cited_sources(answer) & {"045-infor-dziennik-ustaw-2025-poz-1514", "046-prawo-pl-dz-u-2025-1514-uzasadnienie"}


@pytest.mark.xfail(strict=True, reason="'68 lawmakers' does not read as the asked-for count of members, so the cross-check misses it (issue 11, open)")
def test_disagreeing_sources_are_both_cited(assistant):
    answer = assistant.ask("How many Saeima members backed the withdrawal bill in its final reading, and do the reports agree?")
    assert "66" in answer.answer and "68" in answer.answer
    assert {"020-leta-saeima-supports-withdrawal", "021-tass-latvian-parliament-adopts-bill"} <= cited_sources(answer)


def test_follow_up_uses_the_conversation(assistant):
    first = "How many members of the Seimas voted for Lithuania's withdrawal?"
    history = [Turn(role="user", content=first), Turn(role="assistant", content=assistant.ask(first).answer)]
    follow_up = assistant.ask("And who abstained?", history=history)
    assert "Lithuania" in follow_up.query or "Seimas" in follow_up.query
    assert "Ąžuolas" in follow_up.answer  # a Seimas abstainer, not the Sejm's or the Saeima's


def test_a_follow_up_about_the_country_finds_its_notice(assistant):
    first = "How many members of the Seimas voted for Lithuania's withdrawal?"
    history = [Turn(role="user", content=first), Turn(role="assistant", content=assistant.ask(first).answer)]
    notice = assistant.ask("When did the country notify the UN?", history=history)
    assert "27 June" in notice.answer
    assert any("Lithuania" in c.quote for c in notice.citations)


def test_filters_restrict_the_sources(assistant, corpus_settings):
    from ingest.source_texts import SourceTexts

    texts = SourceTexts(corpus_settings.index_dir)
    answer = assistant.ask("When did the parliament vote on leaving the Convention?", filters=Filters(countries=["Estonia"], kinds=["news"]))
    assert answer.citations
    for citation in answer.citations:
        meta = texts.load(citation.source_id).meta
        assert "Estonia" in meta.countries and meta.kind == "news"


def test_stream_yields_text_then_the_answer(assistant):
    items = list(assistant.stream("Which official acts as depositary of the Ottawa Convention?"))
    *deltas, answer = items
    assert deltas and all(isinstance(d, str) for d in deltas)
    assert "".join(deltas) == answer.answer
    assert set(answer.timings_ms) >= {"embed_ms", "dense_ms", "keyword_ms", "rerank_ms", "generate_ms", "total_ms"}


def test_a_when_question_answered_by_an_undated_statement_gives_the_report_date(assistant):
    answer = assistant.ask("When did Lithuania's chief of defence, Vaikšnoras, publicly back leaving the mine ban treaty?")
    assert not answer.abstained
    assert answer.sentences[0].text.startswith("Reported on 3 January 2025:")
    assert answer.citations[0].source_id == "004-delfi-chief-of-defence-supports-withdrawal"


def test_the_report_date_carries_the_place_of_its_dateline(assistant):
    answer = assistant.ask("When and where did the ICBL issue its press release denouncing the Baltic withdrawal notices?")
    assert answer.sentences[0].text.startswith("Reported from Geneva on 1 July 2025:")


def test_a_question_naming_the_publisher_finds_its_report(assistant):
    # The publisher is front matter, not body text: it must still count as something the sources name.
    answer = assistant.ask("How many of the Convention's States Parties are in Europe, according to the Volterra Fietta client alert?")
    assert not answer.abstained, answer.answer
    assert "42" in answer.sentences[0].text


def test_a_question_naming_an_article_is_answered_from_it_under_its_title(assistant):
    answer = assistant.ask("What does Article 20 say?")
    assert answer.sentences[0].text.startswith("Article 20 — Duration and withdrawal: "), answer.answer
    treaty = [c.heading for c in answer.citations if c.heading.startswith("Article ")]
    assert treaty and all(h.startswith("Article 20 ") for h in treaty), treaty


def test_a_treatys_own_date_never_dates_an_undated_clause_of_it(assistant):
    # The treaty's date is when it was made, not when its clauses take effect: the answer must
    # not open with it as though it were the date asked for.
    answer = assistant.ask("On what date did the Mine Ban Convention enter into force?")
    assert "1 March 1999" in answer.answer, answer.answer
    assert not answer.sentences[0].text.startswith("Reported"), answer.answer


def test_a_document_code_is_not_a_figure_two_sources_could_disagree_on():
    # "HE 56/2025" names a proposal; read as the claim "56" it made a false "the sources differ"
    # beside a sentence giving the vote, 157 to 18.
    assert _claim_figures("Government proposal HE 56/2025 concerns denouncing the Convention.") == set()
    assert _claim_figures("The statement SG/SM/22686 was issued on 16 June 2025.") == set()
    assert _claim_figures("The Act was published in the Journal of Laws as item 1008 (Dz. U. poz. 1008).") == set()
    assert _claim_figures("Except for mines kept under Article 3, each State Party must destroy every stockpiled mine.") == set()
    assert _claim_figures("**3.** A State Party that cannot destroy all the mines may ask for more time.") == set()
    assert _claim_figures("The report covers the programmes under Articles 4 and 5 of the Convention.") == set()
    assert _claim_figures("66 members voted for leaving and 14 against.") == {"66", "14"}
