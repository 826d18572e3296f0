"""A stand-in assistant and store for API tests that exercise the HTTP layer, not the answers:
hundreds of requests take seconds and need no model."""

from __future__ import annotations

from api.service import Desk
from assistant.answer import Answer, AnswerSentence, Citation

TEXT = "The Convention has unlimited duration. A withdrawal takes effect six months after notice.\n"
TIMINGS = {"embed_ms": 1.5, "rerank_ms": 2.5, "generate_ms": 0.5, "total_ms": 4.5}


class StubAssistant:
    def __init__(self, abstain: bool = False):
        self.abstain = abstain

    def stream(self, question, history=None, filters=None):
        if self.abstain:
            yield "The sources don't say."
            yield Answer(answer="The sources don't say.", abstained=True, sentences=[], citations=[], timings_ms=dict(TIMINGS))
            return
        start = TEXT.index("A withdrawal")
        citation = Citation(n=1, source_id="doc-1", title="Doc", publisher="P", date=None, url="https://example.org",
                            heading="", quote=TEXT[start:-1], start=start, end=len(TEXT) - 1, score=0.9)
        sentence = AnswerSentence(text=TEXT[start:-1], citations=[1])
        yield f"{sentence.text} [1]"
        yield Answer(answer=f"{sentence.text} [1]", abstained=False, sentences=[sentence], citations=[citation], timings_ms=dict(TIMINGS))

    def ask(self, question, history=None, filters=None):
        return list(self.stream(question, history, filters))[-1]


class StubStore:
    def heartbeat(self) -> None:
        pass

    def count(self) -> int:
        return 2


class StubDesk(Desk):
    """A Desk whose assistant abstains on questions that mention "unknown"."""

    def assistant(self):
        return _Router()

    def store(self):
        return StubStore()

    def warm(self) -> None:  # nothing to load
        pass

    @property
    def model_loaded(self) -> bool:
        return True

    def document_count(self) -> int:
        return len(self.sources())


class _Router:
    def stream(self, question, history=None, filters=None):
        return StubAssistant(abstain="unknown" in question.lower()).stream(question, history, filters)

    def ask(self, question, history=None, filters=None):
        return StubAssistant(abstain="unknown" in question.lower()).ask(question, history, filters)
