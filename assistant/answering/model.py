"""The fitted answer model: a sentence ranker, the composer's cut-offs and the abstention
decision, in one small JSON file shipped with the package (`answer_model.json`).

Every number in it is fitted from the development questions by `python -m evals train`
(`assistant.answering.training`), with cut-offs chosen by grouped cross-validation; the file
records the cross-validated figures it was chosen by. Applying it is a dot product per
sentence: no per-query cost worth measuring."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from assistant.answering.abstention import ABSTENTION_FEATURES
from assistant.answering.features import FEATURES
from desk.errors import ConfigError

FORMAT_VERSION = 1


@dataclass(frozen=True)
class Linear:
    """A standardised logistic regression: p = σ(((x − mean) / scale) · coef + intercept)."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float

    def logits(self, matrix: np.ndarray) -> np.ndarray:
        x = (np.atleast_2d(matrix) - np.asarray(self.mean)) / np.asarray(self.scale)
        return x @ np.asarray(self.coef) + self.intercept

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logits(matrix)))


@dataclass(frozen=True)
class Composition:
    """How many sentences an answer takes, as fitted: a further sentence joins when its
    probability is at least `keep` × the lead's and at least `floor`, up to `max_sentences`
    (`max_extended` for a question in several parts or asking for a list or an explanation);
    a list takes one line per item whose best sentence reaches `item_floor`. A further sentence
    in another language than the question's needs `other_language_keep` × the lead's too: it
    often restates in the source's language what a sentence in the reader's already says."""

    keep: float
    floor: float
    max_sentences: int
    max_extended: int
    item_floor: float
    max_items: int
    other_language_keep: float = 0.0


@dataclass(frozen=True)
class AnswerModel:
    ranker: Linear
    composition: Composition
    abstention: Linear
    answer_threshold: float  # P(answerable) below which the assistant declines
    trained_on: dict = field(default_factory=dict)  # question sets, counts, cross-validated figures

    def to_json(self) -> str:
        data = {"format": FORMAT_VERSION, **asdict(self)}
        return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str, origin: str = "answer model") -> AnswerModel:
        data = json.loads(text)
        if data.get("format") != FORMAT_VERSION:
            raise ConfigError(f"{origin} has format {data.get('format')!r}, this build reads {FORMAT_VERSION}: rebuild it with `python -m evals train`")
        ranker, abstention = Linear(**_tuples(data["ranker"])), Linear(**_tuples(data["abstention"]))
        if ranker.features != FEATURES or abstention.features != ABSTENTION_FEATURES:
            raise ConfigError(f"{origin} was trained on other features than this build computes: rebuild it with `python -m evals train`")
        return cls(ranker, Composition(**data["composition"]), abstention, float(data["answer_threshold"]), data.get("trained_on", {}))


def _tuples(data: dict) -> dict:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}


def shipped_model_path() -> Path:
    return Path(str(resources.files("assistant.answering") / "answer_model.json"))


@lru_cache(maxsize=4)
def load_model(path: Path | None = None) -> AnswerModel:
    """The model at `path` (default: the shipped one), read once per process."""
    path = path or shipped_model_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the answer model {path} ({exc.strerror}): build it with `python -m evals train`") from exc
    return AnswerModel.from_json(text, origin=str(path))
