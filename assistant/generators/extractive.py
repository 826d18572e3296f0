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
from assistant.query import DATE_PATTERN, QueryAnalysis
from desk.settings import Settings
from ingest.keyword_index import fold, tokenize

_FIGURE = re.compile(r"\b\d[\d,.]*\b")
# Words that name the treaty itself: every passage is about it, so they never decide relevance.
_GENERIC_TERMS = {"ottawa", "conven", "treaty", "articl", "state", "partie", "party", "un", "s"}
_CLAIM_WORDS = {"the", "accord", "report", "articl", "it", "in", "on"}
_NAME_PASSAGES = 5  # how many of the best passages must, together, mention every name of the question
# Two sentences make the same claim when their embeddings are this close, or somewhat close and
# sharing most words but the figures; a false "the sources differ" is worse than a missed one.
_SAME_CLAIM = 0.75
_RELATED_CLAIM = 0.6
_OTHER_ACCOUNTS = 2  # other sources quoted side by side when a question asks whether they agree
_CROSS_CHECKED = 2  # answering sentences whose figures are checked against other sources
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
        if self._figure_missing(analysis, pool):
            names = [n for n in dict.fromkeys(analysis.countries + analysis.names) if set(tokenize(n)) - _GENERIC_TERMS]
            subject = f" for {', '.join(names)}" if names else ""
            return self.abstain(analysis, pool, f"no passage gives the figure asked for{subject}")
        weights = data.keyword_index.idf if data.keyword_index else (lambda t: 1.0)
        anchors = self._anchors(analysis, best, weights)
        pool = [s for s in pool if s is best or self._on_topic(s, anchors)]
        chosen = self._select(analysis, pool)
        return Draft(sentences=self._compose(analysis, chosen, data))

    @staticmethod
    def _figure_missing(analysis: QueryAnalysis, pool: list[ScoredSentence]) -> bool:
        """'How many X did Y …' needs a sentence that puts a figure next to X and is about Y
        (in its words or its source's title); passages about X elsewhere don't answer it."""
        if analysis.answer_type != "number" or not analysis.focus:
            return False
        subject = {t for name in analysis.names + analysis.countries for t in tokenize(name)} - _GENERIC_TERMS
        for sentence in pool:
            if sentence.fit >= 1.0 and subject <= set(tokenize(f"{sentence.candidate.chunk.source.title} {sentence.text}")):
                return False
        return True

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

    def _compose(self, analysis: QueryAnalysis, chosen: list[ScoredSentence], data: GenerationInput) -> list[DraftSentence]:
        if analysis.compares:
            chosen = chosen + self._other_accounts(chosen, data)
        sentences = [DraftSentence(clean(s.text), [s]) for s in chosen]
        conflict = self._conflict(analysis, chosen, data)
        if conflict:
            a, b = conflict
            if all(b is not s for s in chosen):
                sentences.append(DraftSentence(clean(b.text), [b]))
            note = DISAGREE_MESSAGES.get(analysis.language, DISAGREE_MESSAGES["en"])
            sentences.insert(0, DraftSentence(f"{note}.", [a, b]))
        return sentences

    def _other_accounts(self, chosen: list[ScoredSentence], data: GenerationInput) -> list[ScoredSentence]:
        """For "do the sources agree?": the closest account of the answering claim in each other
        source, so the answer sets them side by side (66 in one report, 68 in another)."""
        anchor = next((a for a in chosen if a.fit >= 1.0 and a.vector is not None), None)
        if anchor is None or data.expand is None:
            return []
        have = {a.source_id for a in chosen}
        found: dict[str, tuple[float, ScoredSentence]] = {}
        for c in data.expand(anchor.vector) + list(data.candidates):
            for b in c.sentences:
                if b.source_id in have or b.vector is None or b.fit < 0.5 or not _names(anchor) & _names(b):
                    continue
                similarity = float(anchor.vector @ b.vector)
                if similarity >= _RELATED_CLAIM and similarity > found.get(b.source_id, (0.0, None))[0]:
                    found[b.source_id] = (similarity, b)
        ranked = sorted(found.values(), key=lambda item: -item[0])
        return [b for _, b in ranked[:_OTHER_ACCOUNTS]]

    def _conflict(self, analysis: QueryAnalysis, chosen: list[ScoredSentence], data: GenerationInput):
        """A sentence of another source that states the same thing with other figures (66 vs
        68 votes; joined in 2003 vs 2004). Each answer sentence with figures is cross-checked
        against the passages closest to it, not only those closest to the question."""
        answering = [a for a in chosen if a.fit >= 1.0 and _figures(a.text) and a.vector is not None]
        for a in answering[:_CROSS_CHECKED]:  # only sentences that state the asked-for figure
            fa, va = _figures(a.text), a.vector
            others = [s for c in data.candidates for s in c.sentences]
            if data.expand is not None:
                others += [s for c in data.expand(va) for s in c.sentences]
            for b in chosen + others:
                fb, vb = _figures(b.text), b.vector
                if b.source_id == a.source_id or not fb or vb is None or fa <= fb or fb <= fa or not _names(a) & _names(b):
                    continue
                similarity = float(va @ vb)
                same_claim = similarity >= _SAME_CLAIM or (similarity >= _RELATED_CLAIM and _overlap(_strip_figures(a.text), _strip_figures(b.text)) >= 0.5)
                if same_claim or (analysis.compares and similarity >= _RELATED_CLAIM):
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


def _names(sentence: ScoredSentence) -> set[str]:
    """Stems of the proper names of a sentence and its source's title ('latvia' for Latvia's
    and Latvian): the subject two figures must share before they count as disagreeing."""
    found = _PROPER.findall(f"{sentence.candidate.chunk.source.title} {sentence.text}")
    return {t for name in found for t in tokenize(name)} - _GENERIC_TERMS - _CLAIM_WORDS


def _strip_figures(text: str) -> str:
    return _FIGURE.sub(" ", text)


def _figures(text: str) -> set[str]:
    """Figures a claim states; days and years of dates ("16 April", "2025") are when it was
    said, not what, and are left out."""
    return {f.rstrip(".,") for f in _FIGURE.findall(DATE_PATTERN.sub(" ", fold(text)))}


def _overlap(a: str, b: str) -> float:
    ta, tb = set(tokenize(a)), set(tokenize(b))
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / min(len(ta), len(tb))
