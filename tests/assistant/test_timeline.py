"""Merging step events into cells (support, disagreement, unknown, computed), timeline
questions, and the coverage of the shipped corpus against the development questions' key facts."""

from __future__ import annotations

import json
from datetime import date

import pytest

from assistant.query import analyse
from assistant.timeline import TimelineAnswerer, build, exit_date_question, is_timeline_question
from ingest.documents import SourceDocument, SourceMeta
from ingest.loaders import load
from ingest.splitter import split
from ingest.timeline import STATES, STEPS, StepEvent, extract
from tests.conftest import corpus_documents
from tests.paths import REPO_ROOT


def event(source: str, state: str, step: str, when: str, quote: str = "…") -> StepEvent:
    return StepEvent(state=state, step=step, date=when, source_id=source, heading="", start=0, end=len(quote), quote=quote, confidence=1.0)


METAS = {s: SourceMeta(id=s, title=s.upper(), date="2025-07-01") for s in ("s1", "s2", "s3", "s4")}


def test_the_date_most_sources_state_wins_and_the_others_are_disagreements():
    timeline = build([event("s1", "Latvia", "parliament", "2025-04-16"), event("s2", "Latvia", "parliament", "2025-04-16"),
                      event("s3", "Latvia", "parliament", "2025-04-17")], METAS)
    cell = timeline.cell("Latvia", "parliament")
    assert cell.date == "2025-04-16" and [c.source_id for c in cell.citations] == ["s1", "s2"]
    assert [(d.date, [c.source_id for c in d.citations]) for d in cell.disagreements] == [("2025-04-17", ["s3"])]
    assert [c.n for c in cell.citations + cell.disagreements[0].citations] == [1, 2, 3]


def test_vote_counts_that_differ_are_set_side_by_side():
    counts = [StepEvent(state="Latvia", step="parliament", date=None, source_id=s, heading="", start=0, end=1, quote=q,
                        confidence=1.0, votes_for=n) for s, n, q in (("s1", 66, "66 voted for"), ("s2", 68, "68 supported"))]
    cell = build([event("s3", "Latvia", "parliament", "2025-04-16"), *counts], METAS).cell("Latvia", "parliament")
    assert cell.date == "2025-04-16" and cell.votes.in_favour == 66
    assert [(d.in_favour, [c.n for c in d.citations]) for d in cell.votes.disagreements] == [(68, [3])]
    assert [c.n for c in cell.numbered()] == [1, 2, 3]
    answer = TimelineAnswerer(_Book([event("s3", "Latvia", "parliament", "2025-04-16"), *counts])).answer(
        analyse("In what order did the parliaments vote?"), [])
    assert "the sources differ on the votes for it: 66 vs 68" in answer.sentences[0].text
    assert len(answer.sentences[0].support) == 3


def test_a_yearless_day_joins_its_dated_twin_and_a_fitting_month_supports_the_day():
    timeline = build([event("s1", "Estonia", "head_of_state", "2025-06-13"), event("s2", "Estonia", "head_of_state", "--06-13"),
                      event("s3", "Estonia", "head_of_state", "2025-06"), event("s4", "Estonia", "head_of_state", "2025-05")], METAS)
    cell = timeline.cell("Estonia", "head_of_state")
    assert cell.date == "2025-06-13" and {c.source_id for c in cell.citations} == {"s1", "s2", "s3"}
    assert cell.disagreements == []  # a month that doesn't fit is the vaguer statement, not a rival date


def test_unknown_steps_stay_unknown_and_only_the_entry_into_force_is_computed():
    timeline = build([event("s1", "Poland", "notified_un", "2025-08-20", "O wypowiedzeniu zawiadomiono 20 sierpnia 2025 r.")], METAS)
    row = timeline.states["Poland"]
    assert all(row[step].date is None and not row[step].citations for step in ("announced", "government", "parliament", "head_of_state"))
    effective = row["effective"]
    assert effective.computed and effective.date == "2026-02-20"
    assert [c.quote for c in effective.citations] == ["O wypowiedzeniu zawiadomiono 20 sierpnia 2025 r."]
    assert timeline.states["Ukraine"]["effective"].date is None  # no notice, nothing computed


class _Book:
    """A TimelineBook over given events."""

    def __init__(self, events):
        self.events = events

    def timeline(self, countries=None):
        return build(self.events, METAS, countries)


def test_timeline_questions_are_answered_in_date_order_with_citations():
    answerer = TimelineAnswerer(_Book([
        event("s1", "Estonia", "parliament", "2025-06-04"), event("s2", "Latvia", "parliament", "2025-04-16"),
        event("s3", "Poland", "notified_un", "2025-08-20"), event("s4", "Latvia", "notified_un", "2025-06-27"),
        event("s3", "Poland", "parliament", "2025-06-25")]))
    draft = answerer.answer(analyse("In what order did the parliaments vote?"), [])
    assert [s.text.split(",")[0] for s in draft.sentences] == ["Latvia", "Estonia", "Poland"]
    assert all(s.support for s in draft.sentences)
    last = answerer.answer(analyse("Which state was the last to notify the UN?"), [])
    assert last.sentences[0].text.startswith("Poland was the last")
    assert answerer.answer(analyse("How many members of the Saeima voted for leaving?"), []) is None
    assert is_timeline_question(analyse("Timeline of Estonia's exit"))
    assert not is_timeline_question(analyse("According to the Wikipedia chronology, what happened in 1991 in the campaign?"))
    baltic = answerer.answer(analyse("In what order did the three Baltic parliaments approve leaving?"), [])
    assert [s.text.split(",")[0] for s in baltic.sentences] == ["Latvia", "Estonia"]  # Poland's row is not asked for


def test_when_a_state_left_is_answered_from_its_exit_cell():
    assert exit_date_question(analyse("When did Finland leave?")) == "Finland"
    assert exit_date_question(analyse("When did Lithuania's withdrawal from the Ottawa Convention take effect?")) == "Lithuania"
    # Another step named, two states, no date asked, two parts: not the exit's day.
    for question in ("When did Finland notify the UN that it would leave?", "When did Latvia and Estonia leave?",
                     "Why did Finland leave?", "When did Lithuania leave, and what did its minister say?"):
        assert exit_date_question(analyse(question)) is None, question
    answerer = TimelineAnswerer(_Book([event("s1", "Latvia", "notified_un", "2025-06-27"), event("s2", "Latvia", "effective", "2025-12-27")]))
    draft = answerer.answer(analyse("When did Latvia leave the convention?"), [])
    assert draft.sentences[0].text == "Latvia, withdrawal in force: 27 December 2025."
    assert [s.source_id for s in draft.sentences[0].support] == ["s2"]


def test_a_stated_month_of_exit_gets_the_day_the_notice_fixes():
    answerer = TimelineAnswerer(_Book([event("s1", "Finland", "notified_un", "2025-07-10"), event("s2", "Finland", "effective", "2026-01")]))
    sentence = answerer.answer(analyse("When did Finland leave?"), []).sentences[0]
    assert sentence.text == ("Finland, withdrawal in force: January 2026 "
                             "(10 January 2026: six months after the notice of 10 July 2025, Article 20(3)).")
    assert {s.source_id for s in sentence.support} == {"s1", "s2"}
    # Nothing known about the exit: the generator answers instead.
    assert TimelineAnswerer(_Book([])).answer(analyse("When did Ukraine leave?"), []) is None


# -- the shipped corpus against the development questions' key facts -------------------------

# The steps the dev and train questions ask about, read from their key facts: (question id,
# key-fact group, state, step). The group's alternatives are the accepted wordings of the date.
KEY_FACT_STEPS = [
    ("dev-008", 0, "Lithuania", "announced"), ("dev-008", 0, "Latvia", "announced"), ("dev-008", 0, "Estonia", "announced"),
    ("dev-008", 0, "Poland", "announced"), ("dev-014", 0, "Lithuania", "notified_un"), ("dev-015", 0, "Lithuania", "effective"),
    ("dev-017", 0, "Latvia", "head_of_state"), ("dev-019", 0, "Estonia", "parliament"), ("dev-019", 1, "Estonia", "head_of_state"),
    ("dev-022", 0, "Finland", "notified_un"), ("dev-022", 1, "Finland", "effective"), ("dev-025", 0, "Poland", "head_of_state"),
    ("dev-025", 1, "Poland", "notified_un"), ("dev-027", 1, "Ukraine", "head_of_state"), ("train-046", 1, "Latvia", "parliament"),
    ("train-057", 0, "Finland", "announced"), ("train-068", 0, "Latvia", "government"), ("train-115", 0, "Finland", "parliament"),
    ("train-119", 0, "Poland", "parliament"), ("train-123", 0, "Estonia", "effective"), ("train-133", 0, "Ukraine", "parliament"),
    ("train-155", 0, "Latvia", "effective"), ("train-156", 0, "Latvia", "notified_un"), ("train-165", 1, "Lithuania", "parliament"),
    ("train-166", 2, "Lithuania", "notified_un"), ("train-166", 2, "Estonia", "notified_un"),
    ("train-171", 0, "Lithuania", "effective"), ("train-171", 0, "Latvia", "effective"),
]


def _spellings(iso: str) -> set[str]:
    if len(iso) == 7:
        first = date.fromisoformat(iso + "-01")
        return {iso, first.strftime("%B %Y"), first.strftime("%B")}
    day = date.fromisoformat(iso)
    return {iso, f"{day.day} {day:%B}", f"{day:%B} {day.day}", f"{day.day} {day:%B %Y}", f"{day.day:02d}.{day.month:02d}.{day.year}",
            f"{day.day}.{day.month}.{day.year}"}


@pytest.fixture(scope="module")
def corpus_timeline():
    """The timeline of the shipped corpus, extracted from the files as ingest splits them (no
    model needed: extraction reads text only)."""
    events, metas = [], {}
    for path in corpus_documents():
        document: SourceDocument = load(path, path.read_bytes())
        metas[document.meta.id] = document.meta
        events += extract(document, split(document, 900, 250))
    return build(events, metas)


def test_filled_cells_agree_with_the_key_facts(corpus_timeline):
    questions = {}
    for name in ("dev", "train"):
        for line in (REPO_ROOT / "evals" / "questions" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            questions[q["id"]] = q
    filled = agreed = 0
    wrong = []
    for qid, group, state, step in KEY_FACT_STEPS:
        cell = corpus_timeline.cell(state, step)
        if cell.date is None:
            continue
        filled += 1
        accepted = {a.lower() for a in questions[qid]["key_facts"][group]}
        if any(s.lower() in accepted for s in _spellings(cell.date)):
            agreed += 1
        else:
            wrong.append((qid, state, step, cell.date))
    print(f"key-fact cells: {len(KEY_FACT_STEPS)}, filled {filled}, agreeing {agreed}; wrong: {wrong}")
    assert filled >= 0.8 * len(KEY_FACT_STEPS), f"only {filled} of {len(KEY_FACT_STEPS)} key-fact cells are filled"
    assert agreed >= 0.9 * filled, f"{agreed} of {filled} filled cells agree; wrong: {wrong}"


def test_every_filled_cell_cites_a_passage_stating_its_date(corpus_timeline):
    filled = 0
    for state in STATES:
        for step in STEPS:
            cell = corpus_timeline.cell(state, step)
            if cell.date is None or cell.computed:
                continue
            filled += 1
            assert cell.citations, (state, step)
            day = cell.date[8:].lstrip("0")
            assert any(day in c.quote or len(cell.date) == 7 or c.date for c in cell.citations), (state, step, cell.date)
    assert filled >= 20  # about two thirds of the 36 cells: what the corpus states
