"""The default generator: extractive, fast and offline.

It picks the few source sentences that best answer the question (relevant, covering the
question's parts, not redundant, of the kind asked for, in the question's language), orders them
and ties each to its passage. It abstains when the best evidence is weak, or when the question
turns on a name that no source mentions, and then says what the sources cover nearest. When
sentences from different sources give different figures for the same thing, it says so and
cites both."""

from __future__ import annotations

import re
from collections.abc import Iterator

from assistant.answer import ABSTAIN_MESSAGES, DISAGREE_MESSAGES, NEAREST_MESSAGES
from assistant.evidence import ScoredSentence, clean
from assistant.generators import Draft, DraftSentence, GenerationInput
from assistant.query import QueryAnalysis
from desk.settings import Settings
from ingest.keyword_index import tokenize

_FIGURE = re.compile(r"\b\d[\d,.]*\b")
_SIMILAR = 0.55  # content-word overlap above which two sentences say "the same thing"
_SAME_PASSAGE_BONUS = 0.08
_KEEP_RATIO = 0.7  # a further sentence must score at least this share of the best one


class ExtractiveGenerator:
    def __init__(self, settings: Settings):
        self.settings = settings

    def condense(self, question, history):
        return None

    def stream(self, data: GenerationInput) -> Iterator[DraftSentence | Draft]:
        draft = self.generate(data)
        yield from draft.sentences
        yield draft

    def generate(self, data: GenerationInput) -> Draft:
        analysis = data.analysis
        pool = [s for c in data.candidates for s in c.sentences if clean(s.text)]
        if not pool:
            return self.abstain(analysis, [], "no passage matched the question")
        pool = self._in_question_language(analysis, pool)
        pool.sort(key=lambda s: -s.score)
        best = pool[0]
        unknown = self._unknown_names(analysis, data)
        if unknown:
            return self.abstain(analysis, pool, f"no source mentions {', '.join(unknown)}")
        if best.score < self.settings.abstain_threshold:
            return self.abstain(analysis, pool, f"best evidence scored {best.score:.2f}, below {self.settings.abstain_threshold}")
        weights = data.keyword_index.idf if data.keyword_index else (lambda t: 1.0)
        anchors = self._anchors(analysis, best, weights)
        pool = [s for s in pool if s is best or self._on_topic(s, anchors)]
        chosen = self._select(analysis, pool)
        return Draft(sentences=self._compose(analysis, chosen, pool))

    @staticmethod
    def _anchors(analysis: QueryAnalysis, best: ScoredSentence, idf) -> set[str]:
        """The question's subject as the best evidence names it (e.g. 'Seimas', 'Lithuania'):
        every further sentence must share one, so an answer about the Seimas vote doesn't
        wander into the Sejm's. Without names, the rarest shared term stands in."""
        context = _context_terms(best)
        named = {t for name in analysis.names + analysis.countries for t in tokenize(name)} & context
        if named:
            return named
        present = sorted({t for t in analysis.terms if t in context}, key=lambda t: -idf(t))
        return set(present[:1])

    @staticmethod
    def _on_topic(sentence: ScoredSentence, anchors: set[str]) -> bool:
        return not anchors or bool(anchors & _context_terms(sentence))

    # -- selection ----------------------------------------------------------------------------

    def _in_question_language(self, analysis: QueryAnalysis, pool: list[ScoredSentence]) -> list[ScoredSentence]:
        """Answer in the question's language when the sources allow it."""
        same = [s for s in pool if s.language == analysis.language]
        if same and max(s.score for s in same) >= self.settings.abstain_threshold:
            return same
        return pool

    def _select(self, analysis: QueryAnalysis, pool: list[ScoredSentence]) -> list[ScoredSentence]:
        best = pool[0]
        wanted = set(analysis.terms)
        chosen = [best]
        covered = set(tokenize(best.text)) & wanted
        floor = best.score * _KEEP_RATIO
        # The passage that holds the best sentence usually holds the rest of the answer: its
        # other sentences compete with a bonus, so answers read as coherent passages.
        rest = sorted(pool[1:], key=lambda x: -(x.score + (_SAME_PASSAGE_BONUS if x.candidate is best.candidate else 0.0)))
        for sentence in rest:
            if len(chosen) >= self.settings.max_answer_sentences:
                break
            bonus = _SAME_PASSAGE_BONUS if sentence.candidate is best.candidate else 0.0
            if sentence.score + bonus < floor:
                break
            if any(_overlap(sentence.text, c.text) > 0.8 for c in chosen):
                continue
            terms = set(tokenize(sentence.text)) & wanted
            adds_coverage = bool(terms - covered)
            adds_fact = analysis.answer_type in ("date", "number") and sentence.typed and not any(
                _figures(sentence.text) <= _figures(c.text) for c in chosen if _figures(sentence.text)
            )
            if adds_coverage or adds_fact or sentence.score >= best.score * 0.93:
                chosen.append(sentence)
                covered |= terms
        return chosen

    def _compose(self, analysis: QueryAnalysis, chosen: list[ScoredSentence], pool: list[ScoredSentence]) -> list[DraftSentence]:
        sentences = [DraftSentence(clean(s.text), [s]) for s in chosen]
        conflict = self._conflict(analysis, chosen, pool)
        if conflict:
            a, b = conflict
            for s in (b,):
                if s not in chosen:
                    sentences.append(DraftSentence(clean(s.text), [s]))
            note = DISAGREE_MESSAGES.get(analysis.language, DISAGREE_MESSAGES["en"])
            sentences.insert(0, DraftSentence(f"{note}.", [a, b]))
        return sentences

    def _conflict(self, analysis: QueryAnalysis, chosen: list[ScoredSentence], pool: list[ScoredSentence]):
        """Two sources stating different figures in otherwise similar sentences."""
        if analysis.answer_type not in ("date", "number"):
            return None
        floor = pool[0].score * 0.75
        for a in chosen:
            fa = _figures(a.text)
            if not fa:
                continue
            for b in pool:
                if b.score < floor:
                    break
                if b.source_id == a.source_id or not _figures(b.text):
                    continue
                same_subject = bool(_names(a) & _names(b) - {"lithuania", "latvia", "estonia", "poland", "finland", "ukraine"}) or (
                    a.candidate.chunk.source.countries == b.candidate.chunk.source.countries
                )
                if same_subject and _overlap(a.text, b.text) >= _SIMILAR and not (_figures(b.text) <= fa or fa <= _figures(b.text)):
                    return a, b
        return None

    # -- abstention ---------------------------------------------------------------------------

    def _unknown_names(self, analysis: QueryAnalysis, data: GenerationInput) -> list[str]:
        """Names in the question that occur nowhere in the retrieved evidence nor the corpus
        vocabulary: the sources can't speak about what they never mention."""
        if not data.candidates:
            return []
        evidence = set()
        for c in data.candidates:
            evidence.update(tokenize(c.chunk.embedding_text()))
        unknown = []
        for name in analysis.names:
            tokens = tokenize(name)
            index = data.keyword_index
            if tokens and not any(t in evidence for t in tokens) and (index is None or not any(index.knows(t) for t in tokens)):
                unknown.append(name)
        return unknown

    def abstain(self, analysis: QueryAnalysis, pool: list[ScoredSentence], reason: str) -> Draft:
        lang = analysis.language
        sentences = [DraftSentence(ABSTAIN_MESSAGES.get(lang, ABSTAIN_MESSAGES["en"]), [])]
        nearest = pool[:1]
        if nearest:
            sentences.append(DraftSentence(NEAREST_MESSAGES.get(lang, NEAREST_MESSAGES["en"]), []))
            sentences.extend(DraftSentence(clean(s.text), [s]) for s in nearest)
        return Draft(sentences=sentences, abstained=True, changes=[f"abstained: {reason}"])


def _context_terms(sentence: ScoredSentence) -> set[str]:
    chunk = sentence.candidate.chunk
    return set(tokenize(f"{chunk.source.title} {chunk.heading} {sentence.text}"))


_PROPER = re.compile(r"\b[A-ZĀ-Ž][\w’'-]{2,}")
_COMMON_NAMES = {"the", "ottawa", "convention", "treaty", "article", "according", "under", "report", "article"}


def _names(sentence: ScoredSentence) -> set[str]:
    """Proper names of a sentence and its passage title: the subject two figures must share
    before they count as disagreeing."""
    chunk = sentence.candidate.chunk
    found = _PROPER.findall(f"{chunk.source.title} {sentence.text}")
    return {n.lower() for n in found if n.lower() not in _COMMON_NAMES}


def _figures(text: str) -> set[str]:
    return {f.rstrip(".,") for f in _FIGURE.findall(text)}


def _overlap(a: str, b: str) -> float:
    ta, tb = set(tokenize(a)), set(tokenize(b))
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / min(len(ta), len(tb))
