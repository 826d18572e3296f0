"""Question sets: loading and validating the JSONL schema shared by every set.

One JSON object per line: id, question, answer, sources (relevant source ids; [] = the corpus
does not answer it), key_facts (list of groups of alternatives), type, notes. The reference
`answer`, `key_facts` and `sources` are read only by the scorer, never by the assistant."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

UNANSWERABLE = "unanswerable"


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answer: str = ""
    sources: tuple[str, ...] = ()
    key_facts: tuple[tuple[str, ...], ...] = ()
    type: str = "factual"
    notes: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def conversation(self) -> str | None:
        """The conversation this turn belongs to: a later turn only makes sense after the
        earlier ones, and cross-validation keeps a conversation in one fold."""
        return self.extra.get("conversation")

    @property
    def turn(self) -> int | None:
        return self.extra.get("turn")

    @property
    def group(self) -> str:
        return self.conversation or self.id

    @property
    def answerable(self) -> bool:
        """A question with no relevant source is one the assistant should decline."""
        return bool(self.sources)

    @classmethod
    def from_dict(cls, data: dict) -> Question:
        known = {"id", "question", "answer", "sources", "key_facts", "type", "notes"}
        missing = [k for k in ("id", "question") if not data.get(k)]
        if missing:
            raise ValueError(f"missing field(s) {', '.join(missing)}")
        groups = data.get("key_facts") or []
        if not isinstance(groups, list) or not all(isinstance(g, list) and g and all(isinstance(a, str) for a in g) for g in groups):
            raise ValueError("key_facts must be a list of non-empty lists of strings")
        sources = data.get("sources") or []
        if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
            raise ValueError("sources must be a list of source ids")
        return cls(
            id=str(data["id"]),
            question=str(data["question"]),
            answer=str(data.get("answer") or ""),
            sources=tuple(sources),
            key_facts=tuple(tuple(g) for g in groups),
            type=str(data.get("type") or (UNANSWERABLE if not sources else "factual")),
            notes=str(data.get("notes") or ""),
            extra={k: v for k, v in data.items() if k not in known},
        )


def default_questions() -> Path:
    """The dev set shipped inside the package (package data)."""
    return Path(str(resources.files("evals") / "questions" / "dev.jsonl"))


def development_sets() -> list[Path]:
    """Every question set the answer layer is trained and cross-validated on: dev + train."""
    folder = resources.files("evals") / "questions"
    return [Path(str(folder / name)) for name in ("dev.jsonl", "train.jsonl")]


def load_all(paths: list[Path]) -> list[Question]:
    questions: list[Question] = []
    for path in paths:
        questions += load_questions(path)
    ids = [q.id for q in questions]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"the same question id in several sets: {', '.join(duplicates[:5])}")
    return questions


def load_questions(path: Path | str) -> list[Question]:
    path = Path(path)
    questions: list[Question] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                question = Question.from_dict(json.loads(line))
            except (json.JSONDecodeError, ValueError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: {exc}") from exc
            if question.id in seen:
                raise ValueError(f"{path}:{number}: duplicate id {question.id!r}")
            seen.add(question.id)
            questions.append(question)
    if not questions:
        raise ValueError(f"{path}: no questions")
    return questions
