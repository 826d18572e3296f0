"""The assistant: condense → retrieve (hybrid + rerank) → generate → cite.

`ask()` returns an Answer; `stream()` yields text increments and then the Answer. Citations are
numbered in order of first use; each quotes the exact supporting sentence with its span in the
source text, so any face can show and highlight it."""

from __future__ import annotations

import time
from collections.abc import Iterator

from assistant.answer import Answer, AnswerSentence, Citation, Filters, Turn
from assistant.conversation import accepts, resolve
from assistant.evidence import EvidenceScorer, ScoredSentence
from assistant.generators import Draft, DraftSentence, GenerationInput, make_generator
from assistant.lexicon import english_gloss
from assistant.phrasing import expand
from assistant.query import QueryAnalysis, analyse
from assistant.retriever import HybridRetriever
from assistant.timeline import TimelineAnswerer, TimelineBook
from desk.settings import Settings
from ingest.keyword_index import tokenize
from ingest.language import LANGUAGE_NAMES


class Assistant:
    def __init__(self, settings: Settings, retriever: HybridRetriever | None = None, generator=None):
        self.settings = settings
        self.retriever = retriever or HybridRetriever(settings=settings, k=settings.top_k)
        self.scorer: EvidenceScorer = self.retriever.reranker.scorer
        self.generator = generator or make_generator(settings, self.scorer, self.retriever.embedder)
        self.timeline = TimelineAnswerer(TimelineBook(settings.index_dir))

    def use_model(self, model) -> None:
        """Answer with another fitted answer model (cross-validation swaps in each fold's)."""
        self.scorer.model = model

    def ask(self, question: str, history: list[Turn] | None = None, filters: Filters | None = None) -> Answer:
        answer = None
        for item in self.stream(question, history, filters):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None
        return answer

    def stream(self, question: str, history: list[Turn] | None = None, filters: Filters | None = None) -> Iterator[str | Answer]:
        started = time.perf_counter()
        history = history or []
        timings: dict[str, float] = {}
        t = time.perf_counter()
        own = analyse(question)
        if own.language == "en" and not own.foreign:
            question = expand(question)  # "wat … abt … ppl" read as written out
            own = analyse(question)
        resolved = resolve(question, history)
        rewritten = self.generator.condense(question, history) if history else None
        # An LLM's rewrite is used only when it keeps the question's own names.
        query = rewritten if accepts(question, rewritten) else resolved.query
        timings["condense_ms"] = _ms(t)
        # The question's own wording and the subject it carried decide what the answer must
        # be about, its language and its answer type; carried topic words only widen the search.
        # In brackets, as in the query: after the question mark a carried name would read as
        # the first word of a sentence, not as a name.
        analysis = analyse(f"{question} ({' '.join(resolved.subject)})" if resolved.subject else question)
        analysis.language, analysis.answer_type, analysis.foreign = own.language, own.answer_type, own.foreign
        if own.foreign:
            filters = self._in_english(question, analysis, filters)
        candidates, vector = self.retriever.retrieve(
            query, filters=filters, analysis=analysis, timings=timings, focus_sources=resolved.sources
        )
        data = GenerationInput(analysis, vector, candidates, history, self.retriever.keyword_index.get())

        t = time.perf_counter()
        numbering: dict[tuple[str, int, int], Citation] = {}
        shown: dict[int, AnswerSentence] = {}  # id(DraftSentence) -> what was streamed for it
        draft: Draft | None = None
        # A timeline question ("in what order…") is answered from the withdrawal steps table.
        timeline = self.timeline.answer(analysis, candidates)
        items = [*timeline.sentences, timeline] if timeline else self.generator.stream(data)
        # The language note is the desk's, not the generator's: it opens the answer whatever
        # the generator streams or falls back to.
        sentences: list[AnswerSentence] = [AnswerSentence(text=foreign_note(own.foreign), citations=[])] if own.foreign else []
        if sentences:
            yield render_sentence(sentences[0])
        emitted = len(sentences)
        for item in items:
            if isinstance(item, Draft):
                draft = item
                break
            shown[id(item)] = sentence = self._cite(item, numbering)
            timings.setdefault("first_sentence_ms", _ms(started))
            yield render_sentence(sentence) if not emitted else " " + render_sentence(sentence)
            emitted += 1
        assert draft is not None
        # The Draft is the answer: a sentence it holds that was not streamed (a fallback, a
        # decline's nearest evidence) is rendered now, so no answer is ever shorter than it.
        for item in draft.sentences:
            if id(item) not in shown:
                shown[id(item)] = self._cite(item, numbering)
                timings.setdefault("first_sentence_ms", _ms(started))
                yield render_sentence(shown[id(item)]) if not emitted else " " + render_sentence(shown[id(item)])
                emitted += 1
            sentences.append(shown[id(item)])
        offset = (t - started) * 1000
        timings.update({k: round(v + offset, 2) for k, v in draft.timings_ms.items()})
        timings["generate_ms"] = _ms(t)
        timings["total_ms"] = _ms(started)
        yield Answer(
            answer=" ".join(render_sentence(s) for s in sentences),
            abstained=draft.abstained,
            sentences=sentences,
            citations=sorted(numbering.values(), key=lambda c: c.n),
            timings_ms=timings,
            changes=draft.changes,
            query=query,
        )

    def _in_english(self, question: str, analysis: QueryAnalysis, filters: Filters | None) -> Filters:
        """A question in a language the corpus lacks is answered in English: its English search
        words are what passages can match, and only English passages (the other languages'
        English summaries among them) are searched, unless the asker chose languages."""
        analysis.countries = analysis.countries or analyse(english_gloss(question)).countries
        # Its own spelling of a name ("Litauen") is no sign that the sources lack the subject.
        index = self.retriever.keyword_index.get()
        analysis.names = [n for n in analysis.names if index is not None and all(index.knows(t) for t in tokenize(n))]
        if filters and filters.languages:
            return filters
        return (filters or Filters()).model_copy(update={"languages": ["en"]})

    def _cite(self, draft: DraftSentence, numbering: dict) -> AnswerSentence:
        numbers = []
        for evidence in draft.support:
            key = (evidence.source_id, evidence.start, evidence.end)
            if key not in numbering:
                numbering[key] = _citation(len(numbering) + 1, evidence)
            if numbering[key].n not in numbers:
                numbers.append(numbering[key].n)
        return AnswerSentence(text=draft.text, citations=numbers)


def _citation(n: int, evidence: ScoredSentence) -> Citation:
    chunk = evidence.candidate.chunk
    meta = chunk.source
    return Citation(
        n=n,
        source_id=meta.id,
        title=meta.title,
        publisher=meta.publisher,
        date=meta.date,
        url=meta.url,
        heading=chunk.heading,
        language=chunk.lang,
        quote=evidence.text,
        start=evidence.start,
        end=evidence.end,
        score=round(evidence.score, 4),
    )


def render_sentence(sentence: AnswerSentence) -> str:
    """A sentence with its [n] markers, as it stands in the answer text (the OpenAI face cuts
    answers at these)."""
    marks = "".join(f"[{n}]" for n in sentence.citations)
    return f"{sentence.text} {marks}".strip() if marks else sentence.text


def foreign_note(lang: str) -> str:
    """The one line before an answer to a question in a language the corpus doesn't cover."""
    name = LANGUAGE_NAMES.get(lang, f"language '{lang}'")
    return f"(Asked in {name}, which the sources are not in: answered in English.)"


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)
