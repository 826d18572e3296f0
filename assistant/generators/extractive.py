"""The default generator: extractive, fast and offline, driven by the learned answer model.

The ranker has scored every sentence of the retrieved passages. One calibrated decision
(`assistant.answering.abstention`) says whether the sources answer the question at all; if they
do, the composer (`assistant.answering.composer`) picks the sentences — the best one first, one
per part of a several-part question, one line per item of a list — and the answer quotes them,
each citing its passage. When another source gives the answering figure otherwise, the answer
says the sources differ and cites both; when the question states a date or figure the best
evidence contradicts, it says so first."""

from __future__ import annotations

import re
from collections.abc import Iterator

from assistant.answer import ABSTAIN_MESSAGES, DISAGREE_MESSAGES, NEAREST_MESSAGES
from assistant.answering.abstention import lacking, question_features
from assistant.answering.composer import OTHERWISE, compose, contradicts
from assistant.answering.features import GENERIC_TERMS, clean, figure_phrases, figures, section_numbers
from assistant.answering.model import AnswerModel
from assistant.evidence import EvidenceScorer, ScoredSentence
from assistant.generators import Draft, DraftSentence, GenerationInput
from assistant.query import DATE_PATTERN, QueryAnalysis
from desk.settings import Settings
from ingest.documents import REPORT_KINDS
from ingest.keyword_index import fold, tokenize


class ExtractiveGenerator:
    def __init__(self, settings: Settings, scorer: EvidenceScorer):
        self.settings = settings
        # The scorer holds the answer model (so a swapped model reaches ranking and composing
        # alike) and scores the pool again for one part of a question.
        self.scorer = scorer

    @property
    def model(self) -> AnswerModel:
        return self.scorer.model

    def condense(self, question, history):
        return None

    def stream(self, data: GenerationInput) -> Iterator[DraftSentence | Draft]:
        draft = self.generate(data)
        yield from draft.sentences
        yield draft

    def generate(self, data: GenerationInput) -> Draft:
        analysis = data.analysis
        pool = sorted((s for c in data.candidates for s in c.sentences if clean(s.text)), key=lambda s: -s.score)
        if not pool:
            return self.abstain(analysis, [], "no passage matched the question", data.keyword_index)
        answerable = self.answerable(analysis, pool, data.keyword_index)
        if answerable < self.model.answer_threshold:
            return self.abstain(analysis, pool, f"P(answerable) {answerable:.2f} < {self.model.answer_threshold:.2f}", data.keyword_index)

        def rescore(part: QueryAnalysis) -> dict:
            return self.scorer.part_scores(part, data.query_vector, data.candidates)

        chosen = compose(analysis, pool, self.model.composition, rescore)
        sentences = [DraftSentence(clean(s.text), [s]) for s in chosen]
        changes = [f"P(answerable) {answerable:.2f}"]
        opening = _reported_on(analysis, chosen[0]) or _section_named(analysis, chosen[0])
        if opening:
            sentences[0] = DraftSentence(f"{opening} {sentences[0].text}", sentences[0].support)
        if contradicts(analysis, clean(chosen[0].text)):  # a paragraph marker ("**1.**") states nothing
            sentences[0] = DraftSentence(f"{OTHERWISE} {sentences[0].text}", sentences[0].support)
            changes.append("the question states a date or figure the best evidence gives otherwise")
        conflict = self._conflict(chosen, pool)
        if conflict is not None:
            a, b = conflict
            if all(b is not s for s in chosen):
                sentences.append(DraftSentence(clean(b.text), [b]))
            note = DISAGREE_MESSAGES.get(analysis.language, DISAGREE_MESSAGES["en"])
            sentences.insert(0, DraftSentence(f"{note}.", [a, b]))
        return Draft(sentences=sentences, changes=changes)

    def answerable(self, analysis: QueryAnalysis, pool: list[ScoredSentence], keyword_index) -> float:
        row = question_features(analysis, pool, keyword_index)
        return float(self.model.abstention.probabilities(row)[0])

    def _conflict(self, chosen: list[ScoredSentence], pool: list[ScoredSentence]):
        """Another source's sentence that the ranker rates as answering too, about the same
        subject, with other figures of the asked-for kind (66 vs 68 votes; 2003 vs 2004). The
        bar is the composer's own cut-off: a false "the sources differ" is worse than a miss."""
        floor = max(self.model.composition.floor, self.model.composition.keep * chosen[0].score)
        lead = next((s for s in chosen if s.fit >= 1.0 and _claim_figures(s.text)), None)
        if lead is None:
            return None
        fa = _claim_figures(lead.text)
        for b in pool:
            if b.score < floor:
                break
            fb = _claim_figures(b.text)
            if b.source_id == lead.source_id or b.fit < 1.0 or not fb or fa & fb or not _subject(lead) & _subject(b):
                continue
            return lead, b
        return None

    def abstain(self, analysis: QueryAnalysis, pool: list[ScoredSentence], reason: str, keyword_index=None) -> Draft:
        lang = analysis.language
        lead = lacking(analysis, pool, keyword_index) if lang == "en" else ABSTAIN_MESSAGES.get(lang, ABSTAIN_MESSAGES["en"])
        sentences = [DraftSentence(lead, [])]
        nearest = pool[:1]
        if nearest:
            sentences.append(DraftSentence(NEAREST_MESSAGES.get(lang, NEAREST_MESSAGES["en"]), []))
            sentences.extend(DraftSentence(clean(s.text), [s]) for s in nearest)
        return Draft(sentences=sentences, abstained=True, changes=[f"abstained: {reason}"])


_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")


def _reported_on(analysis: QueryAnalysis, lead: ScoredSentence) -> str:
    """For a "when" question whose best evidence carries no date: the date its source was
    published, as an attribution ("Reported on 3 January 2025:"), since a report of what someone
    said is dated by the report; with the place its dateline gives ("Reported from Geneva on
    1 July 2025:"), where the report was filed. Only for a report (`REPORT_KINDS`): "Reported
    from Oslo on 18 September 1997:" before a treaty's amendment clause reads as the date asked for."""
    source = lead.candidate.chunk.source
    if analysis.answer_type != "date" or lead.fit >= 1.0 or source.kind not in REPORT_KINDS:
        return ""
    parts = (source.date or "").split("-")
    if len(parts) != 3:
        return ""
    year, month, day = parts
    place = (source.dateline or "").split(",")[0].strip()
    where = f" from {place}" if place and not any(ch.isdigit() for ch in place) else ""
    return f"Reported{where} on {int(day)} {_MONTH_NAMES[int(month) - 1]} {year}:"


def _section_named(analysis: QueryAnalysis, lead: ScoredSentence) -> str:
    """For a question about a numbered section ("What does Article 20 say?") answered from it:
    the section's own title ("Article 20 — Duration and withdrawal:"), which says what the
    section is about before its first quoted paragraph does."""
    section = lead.candidate.chunk.heading.split(" › ")[0].strip()
    if not figure_phrases(analysis.text) & section_numbers(section) or len(tokenize(section)) <= 2:
        return ""
    return f"{section}:"


def _claim_figures(text: str) -> set[str]:
    """Figures a claim states; days and years of dates ("16 April", "2025") are when it was
    said, not what, and the numbers of document codes ("HE 56/2025", "SG/SM/22686", "Dz. U.
    poz. 1008", "item 1008") and of references ("Article 3", "paragraph 2") name a document or a
    part of one, and so does a paragraph marker ("**3.**"): they are all left out."""
    return figures(DATE_PATTERN.sub(" ", _CODE.sub(" ", fold(clean(text)))))


_CODE = re.compile(
    r"\S*\d\S*/\S*|\S*/\S*\d\S*|\b(?:poz|pos|item|no|nr|art|articles?|paragraphs?|para|sections?|chapters?|annex(?:es)?)\.?\s*"
    r"\d+(?:\s*(?:and|or|,|-|–)\s*\d+)*")


def _subject(sentence: ScoredSentence) -> set[str]:
    """The names of a sentence and its source's title: the subject two figures must share."""
    chunk = sentence.candidate.chunk
    words = [w for w in f"{chunk.source.title} {sentence.text}".split() if w[:1].isupper()]
    return {t for w in words for t in tokenize(w)} - _TREATY_WORDS


# The treaty's own name is in most titles ("… Mine Ban Convention"): two sentences sharing it
# share no subject.
_TREATY_WORDS = GENERIC_TERMS | set(tokenize("Mine Ban Anti-Personnel Mines Landmines"))
