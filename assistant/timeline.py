"""The withdrawal tracker: the step events found at ingest (`ingest.timeline`) merged into one
cell per state × step, and timeline questions in chat answered from those cells.

A cell shows the date most sources state, every source that states it, and every source that
states another day ("the sources differ"). What counts, strongest first: a stated day ("16
April", "on Thursday" in a dated report), then a month ("in June 2025"); a month that fits the
day shown supports it, one that doesn't is left out rather than shown as a disagreement, since
it is the vaguer statement. A step no source states stays unknown; only the entry into force may
be computed (notice + six months, Article 20(3)), marked computed and citing the notice."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import BaseModel, Field

from assistant.answer import Citation
from assistant.answering.decompose import question_parts
from assistant.evidence import ScoredSentence
from assistant.generators import Draft, DraftSentence
from assistant.query import QueryAnalysis
from ingest.documents import Chunk, SourceMeta
from ingest.keyword_index import fold
from ingest.timeline import FILE_NAME, STATES, STEPS, StepEvent, TimelineStore, states_named

STEP_LABELS = {
    "announced": "announced or recommended",
    "government": "government approval",
    "parliament": "parliament's final vote",
    "head_of_state": "head of state's signature or decree",
    "notified_un": "notice deposited with the UN Secretary-General",
    "effective": "withdrawal in force",
}
NOTICE_MONTHS = 6  # Article 20(3): a withdrawal takes effect six months after the notice


class Disagreement(BaseModel):
    date: str = Field(description="Another date a source states for this step")
    citations: list[Citation]


class VoteCount(BaseModel):
    in_favour: int = Field(description="Members who voted for the withdrawal")
    citations: list[Citation]


class Votes(VoteCount):
    """The parliament's final vote: the count most sources state, and any other count."""

    disagreements: list[VoteCount] = Field(default_factory=list, description="Sources that state another count")


class Cell(BaseModel):
    date: str | None = Field(None, description="ISO date, 'YYYY-MM' when only the month is known, null when no source states it")
    computed: bool = Field(False, description="True when the date is computed (notice + six months, Article 20(3)), not stated; "
                                              "then the citations are the notice it is computed from")
    citations: list[Citation] = Field(default_factory=list, description="Every passage that states this date for this step")
    disagreements: list[Disagreement] = Field(default_factory=list, description="Sources that state another date")
    votes: Votes | None = Field(None, description="Parliament's final vote only: how many voted for it, when a source says")

    def numbered(self) -> list[Citation]:
        """Every citation of the cell, in the order of their numbers."""
        votes = [] if self.votes is None else self.votes.citations + [c for d in self.votes.disagreements for c in d.citations]
        return self.citations + [c for d in self.disagreements for c in d.citations] + votes


class Timeline(BaseModel):
    """The withdrawal tracker: `states[state][step]` is a cell, for every state and every step
    in `steps` (in the order a withdrawal goes through them)."""

    steps: list[str] = Field(default_factory=lambda: list(STEPS))
    states: dict[str, dict[str, Cell]]

    def cell(self, state: str, step: str) -> Cell:
        return self.states[state][step]


@dataclass
class _Statement:
    event: StepEvent
    date: str  # the event's date with a yearless one resolved
    day: bool  # a day, not just a month


def _ranked(statements: list[_Statement]) -> list[tuple[str, list[_Statement]]]:
    """Dates, best supported first: most distinct sources, then the most confident, then earliest."""
    groups: dict[str, list[_Statement]] = defaultdict(list)
    for s in statements:
        groups[s.date].append(s)
    return sorted(groups.items(), key=lambda kv: (-len({s.event.source_id for s in kv[1]}),
                                                  -max(s.event.confidence for s in kv[1]), kv[0]))


def _citations(statements: list[_Statement], metas: dict[str, SourceMeta], start: int) -> list[Citation]:
    best: dict[tuple[str, int, int], StepEvent] = {}
    for s in sorted(statements, key=lambda s: -s.event.confidence):
        best.setdefault((s.event.source_id, s.event.start, s.event.end), s.event)
    return [_citation(n, e, metas[e.source_id]) for n, e in enumerate(best.values(), start=start)]


def _citation(n: int, event: StepEvent, meta: SourceMeta) -> Citation:
    return Citation(n=n, source_id=meta.id, title=meta.title, publisher=meta.publisher, date=meta.date, url=meta.url,
                    heading=event.heading, quote=event.quote, start=event.start, end=event.end, score=event.confidence)


def _with_year(event: StepEvent, years: list[int], cell_dates: set[str]) -> str | None:
    """A yearless day ("--06-27") joins a dated statement of the same day in its cell, or takes
    the year of the state's other dated steps; None when it has neither."""
    if not event.date.startswith("--"):
        return event.date
    for d in sorted(cell_dates):
        if d.endswith(event.date[1:]) and len(d) == 10:
            return d
    if not years:
        return None
    try:
        return date(max(years), int(event.date[2:4]), int(event.date[5:7])).isoformat()
    except ValueError:
        return None


def build(events: list[StepEvent], metas: dict[str, SourceMeta], countries: list[str] | None = None) -> Timeline:
    by_cell: dict[tuple[str, str], list[StepEvent]] = defaultdict(list)
    years: dict[str, list[int]] = defaultdict(list)
    counts: dict[str, list[StepEvent]] = defaultdict(list)
    for e in events:
        if e.source_id not in metas:
            continue
        if e.votes_for is not None:
            counts[e.state].append(e)
        if e.date:
            by_cell[(e.state, e.step)].append(e)
            if not e.date.startswith("--"):
                years[e.state].append(int(e.date[:4]))
    states = [s for s in STATES if not countries or s in countries]
    table: dict[str, dict[str, Cell]] = {}
    for state in states:
        row: dict[str, Cell] = {}
        for step in STEPS:
            found = by_cell.get((state, step), [])
            dated = {e.date for e in found if not e.date.startswith("--")}
            statements = [_Statement(e, d, len(d) == 10) for e in found if (d := _with_year(e, years[state], dated))]
            row[step] = _cell([s for s in statements if s.day], [s for s in statements if not s.day], metas)
        if counts[state]:
            row["parliament"].votes = _votes(counts[state], metas, len(row["parliament"].numbered()) + 1)
        if row["effective"].date is None and row["notified_un"].date and len(row["notified_un"].date) == 10:
            row["effective"] = Cell(date=_add_months(row["notified_un"].date, NOTICE_MONTHS), computed=True,
                                    citations=row["notified_un"].citations)
        table[state] = row
    return Timeline(states=table)


def _cell(days: list[_Statement], months: list[_Statement], metas: dict[str, SourceMeta]) -> Cell:
    if days:
        ranked = _ranked(days)
        shown, support = ranked[0]
        support = support + [m for m in months if shown.startswith(m.date)]
        citations = _citations(support, metas, 1)
        disagreements = []
        for other, statements in ranked[1:]:
            cited = _citations(statements, metas, len(citations) + sum(len(d.citations) for d in disagreements) + 1)
            disagreements.append(Disagreement(date=other, citations=cited))
        return Cell(date=shown, citations=citations, disagreements=disagreements)
    if months:
        ranked = _ranked(months)
        return Cell(date=ranked[0][0], citations=_citations(ranked[0][1], metas, 1))
    return Cell()


def _votes(events: list[StepEvent], metas: dict[str, SourceMeta], start: int) -> Votes:
    """The count most sources state (ties: the most confident, then library order: nothing
    says which of two single sources is right, and the other is shown beside it), every
    passage stating it, and any other count."""
    groups: dict[int, list[_Statement]] = defaultdict(list)
    for e in events:
        groups[e.votes_for].append(_Statement(e, "", True))
    ranked = sorted(groups.items(), key=lambda kv: (-len({s.event.source_id for s in kv[1]}),
                                                    -max(s.event.confidence for s in kv[1]),
                                                    min(s.event.source_id for s in kv[1])))
    (count, statements), others = ranked[0], ranked[1:]
    citations = _citations(statements, metas, start)
    disagreements = []
    for other, rest in others:
        cited = _citations(rest, metas, start + len(citations) + sum(len(d.citations) for d in disagreements))
        disagreements.append(VoteCount(in_favour=other, citations=cited))
    return Votes(in_favour=count, citations=citations, disagreements=disagreements)


def _add_months(iso: str, months: int) -> str:
    day = date.fromisoformat(iso)
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for d in range(day.day, 27, -1):  # 31 August + 6 months is the last day of February
        try:
            return date(year, month, d).isoformat()
        except ValueError:
            continue
    return date(year, month, min(day.day, 28)).isoformat()


class TimelineBook:
    """The store's timeline, read again whenever ingest rewrote it (an upload that reports a
    step shows up at the next request)."""

    def __init__(self, index_dir: Path):
        self.index_dir = index_dir
        self._stamp: float | None = None
        self._table: TimelineStore | None = None

    def exists(self) -> bool:
        return (self.index_dir / FILE_NAME).is_file()

    def store(self) -> TimelineStore:
        path = self.index_dir / FILE_NAME
        stamp = path.stat().st_mtime_ns if path.is_file() else None
        if self._table is None or stamp != self._stamp:
            self._table, self._stamp = TimelineStore.load(self.index_dir), stamp
        return self._table

    def timeline(self, countries: list[str] | None = None) -> Timeline:
        table = self.store()
        metas = {sid: SourceMeta.from_dict(table.meta(sid)) for sid in table.sources}
        return build(table.events(), metas, countries)


# -- timeline questions in chat ------------------------------------------------------------

_TIMELINE_CUE = re.compile(
    r"\b(?:timeline|chronolog\w*|in (?:what|which) order|what order|sequence of|order (?:did|were|in which)|step by step|"
    r"(?:was|were) (?:the )?(?:first|last) to|(?:first|last) (?:state|country|one) to|"
    r"laiko juost\w*|chronologij\w*|hronolog\w*|ajajoon\w*|kronoloog\w*|os czasu|kolejnosc\w*|aikajana\w*|aikajarjest\w*|missa jarjestyksessa)")
_STEP_WORDS = {
    "announced": r"announc|recommend|joint statement|declar",
    "government": r"government|cabinet|valitsus|rzad|hallitus|vyriausyb",
    "parliament": r"parliament|vote|voted|seim|saeim|riigikogu|sejm|eduskun|rada|legislat|lawmaker",
    "head_of_state": r"president|head of state|sign|decree|proclaim|promulgat",
    "notified_un": r"notif|notice|\bun\b|united nations|secretary|depositar|instrument",
    "effective": r"effect|in force|no longer bound|stopped being|ceased|officially (?:left|withdr)",
}
_LAST = re.compile(r"\blast\b|\blatest\b|paskutin|pedej|viimane|ostatni|viimeinen")
_FIRST = re.compile(r"\bfirst\b|\bearliest\b|pirm|esimene|pierwsz|ensimmainen")


_ABOUT_WITHDRAWAL = re.compile(r"\b(?:withdr|leav|exit|quit|denounc|left\b|izstaj|lahku|wypowiedz|irtaut|irtisan|pasitrauk)")


def is_timeline_question(analysis: QueryAnalysis) -> bool:
    """"Timeline of Estonia's exit", "in what order did the parliaments vote": an order cue, about
    the withdrawals (a state, a step or leaving named), not "the Wikipedia chronology of 1991"."""
    folded = fold(analysis.text)
    if not _TIMELINE_CUE.search(folded):
        return False
    return bool(states_named(analysis.text) or _named_steps(folded) or _ABOUT_WITHDRAWAL.search(folded))


# "When did Finland leave?", "when did Lithuania's withdrawal take effect?": the day a state
# stopped being a party, which sources rarely state in one sentence but the tracker holds (stated,
# or computed from the notice).
_EXIT_CUE = re.compile(r"\b(?:take|took|takes|taking) effect|\b(?:in force|no longer bound|effective|leave|left|exit|quit)\b")


def exit_date_question(analysis: QueryAnalysis) -> str | None:
    """The state a one-part "when did X leave / its withdrawal take effect" question is about,
    or None: it names one state, asks for a date, and names no other step ("when did Finland
    notify the UN" is the notice's day, not the exit's)."""
    folded = fold(analysis.text)
    states = states_named(analysis.text) or analysis.countries
    if analysis.answer_type != "date" or len(states) != 1 or not _EXIT_CUE.search(folded):
        return None
    if set(_named_steps(folded)) - {"effective"} or len(question_parts(analysis.text)) > 1:
        return None
    return states[0]


def _named_steps(folded: str) -> list[str]:
    return [step for step, cue in _STEP_WORDS.items() if re.search(rf"\b(?:{cue})", folded)]


def asked_steps(analysis: QueryAnalysis) -> list[str]:
    """The steps a question names ("in what order did the parliaments vote" → parliament);
    every step when it names none ("timeline of Estonia's exit")."""
    return _named_steps(fold(analysis.text)) or list(STEPS)


def _long_date(iso: str) -> str:
    if len(iso) == 7:
        return date.fromisoformat(iso + "-01").strftime("%B %Y")
    day = date.fromisoformat(iso)
    return f"{day.day} {day.strftime('%B %Y')}"


class TimelineAnswerer:
    """Answers "timeline of X", "in what order…", "which was first/last to…" from the cells, as
    a cited list in date order. Consulted before the generator; None for any other question."""

    def __init__(self, book: TimelineBook):
        self.book = book

    def answer(self, analysis: QueryAnalysis, candidates: list) -> Draft | None:
        if not is_timeline_question(analysis):
            return self._exit_date(analysis, candidates)
        # The states asked about, by name, parliament or group ("the three Baltic parliaments").
        timeline = self.book.timeline(states_named(analysis.text) or analysis.countries or None)
        steps = asked_steps(analysis)
        # The ranker's probability for a cited sentence that retrieval also found orders its
        # citations; the others keep the extraction's confidence.
        ranked = _ranked_sentences(candidates)
        rows = [(cell.date, state, step, cell) for state, row in timeline.states.items() for step, cell in row.items()
                if step in steps and cell.date]
        if not rows:
            return None
        rows.sort(key=lambda r: (r[0], STATES.index(r[1]), STEPS.index(r[2])))
        sentences = [self._sentence(state, step, cell, ranked) for _, state, step, cell in rows]
        folded = fold(analysis.text)
        if len(steps) == 1 and len({r[1] for r in rows}) > 1 and (_LAST.search(folded) or _FIRST.search(folded)):
            pick = rows[-1] if _LAST.search(folded) else rows[0]
            which = "last" if _LAST.search(folded) else "first"
            lead = DraftSentence(f"{pick[1]} was the {which}: {STEP_LABELS[pick[2]]} on {_long_date(pick[0])}.",
                                 sentences[rows.index(pick)].support)
            sentences.insert(0, lead)
        return Draft(sentences=sentences)

    def _exit_date(self, analysis: QueryAnalysis, candidates: list) -> Draft | None:
        """The tracker's date for one state's exit; a stated month is followed by the day the
        notice and Article 20(3) give, when that day falls in it."""
        state = exit_date_question(analysis)
        if state is None:
            return None
        row = self.book.timeline([state]).states.get(state, {})
        cell, notice = row.get("effective"), row.get("notified_un")
        if cell is None or not cell.date:
            return None
        ranked = _ranked_sentences(candidates)
        sentence = self._sentence(state, "effective", cell, ranked)
        if len(cell.date) == 7 and notice is not None and notice.date and len(notice.date) == 10 \
                and _add_months(notice.date, NOTICE_MONTHS).startswith(cell.date):
            day = _long_date(_add_months(notice.date, NOTICE_MONTHS))
            text = f"{sentence.text[:-1]} ({day}: six months after the notice of {_long_date(notice.date)}, Article 20(3))."
            sentence = DraftSentence(text, sentence.support + [_evidence(c, ranked) for c in notice.citations])
        return Draft(sentences=[sentence])

    def _sentence(self, state: str, step: str, cell: Cell, ranked: dict) -> DraftSentence:
        when = _long_date(cell.date)
        text = f"{state}, {STEP_LABELS[step]}: {when}"
        if cell.computed:
            text += " (computed: six months after the notice, Article 20(3))"
        support = sorted((_evidence(c, ranked) for c in cell.citations), key=lambda s: -s.score)
        if cell.disagreements:
            others = ", ".join(_long_date(d.date) for d in cell.disagreements)
            text += f"; other sources give {others}"
            support += [_evidence(c, ranked) for d in cell.disagreements for c in d.citations]
        if cell.votes:
            counts = [cell.votes, *cell.votes.disagreements]
            text += f"; {cell.votes.in_favour} voted for it" if len(counts) == 1 else \
                "; the sources differ on the votes for it: " + " vs ".join(str(v.in_favour) for v in counts)
            support += [_evidence(c, ranked) for c in cell.numbered()[len(support):]]
        return DraftSentence(text + ".", support)


def _ranked_sentences(candidates: list) -> dict[tuple[str, int, int], float]:
    """The ranker's probability of each sentence retrieval found, by (source, start, end)."""
    return {(s.source_id, s.start, s.end): s.score for c in candidates for s in c.sentences}


def _evidence(citation: Citation, ranked: dict) -> ScoredSentence:
    """A citation as evidence the chain can number: a one-sentence passage of its source."""
    from assistant.retriever import Candidate

    meta = SourceMeta(id=citation.source_id, title=citation.title, publisher=citation.publisher, date=citation.date, url=citation.url)
    chunk = Chunk(source=meta, text=citation.quote, start=citation.start, end=citation.end, heading=citation.heading,
                  sentences=((0, len(citation.quote)),))
    score = ranked.get((citation.source_id, citation.start, citation.end), citation.score)
    return ScoredSentence(Candidate(chunk=chunk), 0, citation.start, citation.end, citation.quote, score)
