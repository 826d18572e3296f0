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
# Words that name the treaty itself: every passage is about it, so they never decide relevance.
_GENERIC_TERMS = {"ottawa", "conven", "treaty", "articl", "state", "partie", "party", "un", "s"}
_NAME_PASSAGES = 5  # how many of the best passages must, together, mention every name of the question
_SIMILAR = 0.55  # content-word overlap above which two sentences say "the same thing"
_PASSAGE_RATIO = 0.6  # sentences of the best passage scoring at least this share of the best join it
_KEEP_RATIO = 0.7  # a sentence of another passage must score at least this share of the best one


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
            return self.abstain(analysis, pool, f"none of the best-matching passages mentions {', '.join(unknown)}")
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
        return not anchors or bool(anchors & _passage_terms(sentence))

    # -- selection ----------------------------------------------------------------------------

    def _in_question_language(self, analysis: QueryAnalysis, pool: list[ScoredSentence]) -> list[ScoredSentence]:
        """Answer in the question's language when the sources allow it."""
        same = [s for s in pool if s.language == analysis.language]
        if same and max(s.score for s in same) >= self.settings.abstain_threshold:
            return same
        return pool

    def _select(self, analysis: QueryAnalysis, pool: list[ScoredSentence]) -> list[ScoredSentence]:
        """The best sentence with the on-topic rest of its passage, in reading order, then the
        best sentences of other passages that add a term or a figure the answer lacks."""
        best = pool[0]
        wanted = set(analysis.terms)
        limit = self.settings.max_answer_sentences
        passage = [s for s in pool if s.candidate is best.candidate and s.score >= best.score * _PASSAGE_RATIO]
        chosen = sorted(passage, key=lambda s: s.index)[:limit]
        covered = set().union(*(set(tokenize(s.text)) for s in chosen)) & wanted
        floor = best.score * _KEEP_RATIO
        for sentence in pool[1:]:
            if len(chosen) >= limit or sentence.score < floor:
                break
            if sentence in chosen or any(_overlap(sentence.text, c.text) > 0.8 for c in chosen):
                continue
            terms = set(tokenize(sentence.text)) & wanted
            figures = _figures(sentence.text)
            adds_fact = sentence.typed and figures and not any(figures <= _figures(c.text) for c in chosen)
            if terms - covered or adds_fact or sentence.score >= best.score * 0.93:
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
        """Names the question turns on that the best evidence never mentions: a name unknown
        to the whole corpus, or one that none of the best passages carries (a question about
        Sweden answered from passages about Finland would be wrong)."""
        if not data.candidates:
            return []
        index = data.keyword_index
        top: set[str] = set()
        for c in data.candidates[:_NAME_PASSAGES]:
            top.update(tokenize(c.chunk.embedding_text()))
        named = [(name, [t for t in tokenize(name) if t not in _GENERIC_TERMS]) for name in analysis.names]
        named = [(name, tokens) for name, tokens in named if tokens]
        unknown = [name for name, tokens in named if index is not None and not any(index.knows(t) for t in tokens)]
        if unknown or not named:
            return unknown
        return [name for name, tokens in named if not any(t in top for t in tokens)]

    def abstain(self, analysis: QueryAnalysis, pool: list[ScoredSentence], reason: str) -> Draft:
        lang = analysis.language
        sentences = [DraftSentence(ABSTAIN_MESSAGES.get(lang, ABSTAIN_MESSAGES["en"]), [])]
        nearest = pool[:1]
        if nearest:
            sentences.append(DraftSentence(NEAREST_MESSAGES.get(lang, NEAREST_MESSAGES["en"]), []))
            sentences.extend(DraftSentence(clean(s.text), [s]) for s in nearest)
        return Draft(sentences=sentences, abstained=True, changes=[f"abstained: {reason}"])


def _passage_terms(sentence: ScoredSentence) -> set[str]:
    return set(tokenize(sentence.candidate.chunk.embedding_text()))


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
