"""Fitting the answer model from the development questions, and measuring it honestly.

Labels come from the key facts: a candidate sentence of a listed source that contains a
key-fact alternative is a positive. Every fitted number is chosen with folds grouped by question
(a conversation is one group):

- the ranker: a logistic regression over `assistant.answering.features`;
- the composer's cut-offs and the abstention decision: chosen on *out-of-fold* ranker scores of
  the training questions (an inner grouped split), so they are fitted on scores like the ones
  unseen questions will get, not on the ranker's own training data;
- `cross_validate` repeats all of that inside each outer fold and asks the held-out questions
  through the real assistant (`evals.runner.run`), so the figures it prints are held-out figures.

`python -m evals train` writes the model file; `python -m evals cv` prints the table."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from assistant.answer import Turn
from assistant.answering.abstention import ABSTENTION_FEATURES, question_features
from assistant.answering.composer import compose
from assistant.answering.features import FEATURES, INDEX, clean
from assistant.answering.model import AnswerModel, Composition, Linear
from assistant.conversation import condense
from assistant.query import analyse
from evals.dataset import Question
from evals.metrics import SINGLE_FACT_TYPES, key_fact_matches

FOLDS = 5
# The grid the composer's cut-offs are chosen from (the choice itself is fitted).
KEEP_GRID = (0.05, 0.15, 0.3, 0.5)
FLOOR_GRID = (0.01, 0.03, 0.06, 0.12)
MAX_SENTENCES_GRID = (2, 3, 4, 5)
MAX_EXTENDED_GRID = (4, 6, 8)
ITEM_FLOOR_GRID = (0.02, 0.05, 0.1)
OTHER_LANGUAGE_KEEP_GRID = (0.0, 0.3, 0.5, 0.7, 1.0)  # 0: no stricter than `keep`; 1: only a tie with the lead
# The ranker's regularisation, chosen by out-of-fold key-fact accuracy; the first wins a tie.
RANKER_C_GRID = (1.0, 0.3, 0.1)
ABSTENTION_C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)  # regularisation of the abstention regression
MAX_ITEMS = 6  # one line per withdrawing state at most; not fitted, a bound on list length
FALSE_DECLINE_TARGET = 0.05
MEDIAN_SENTENCES_LIMIT = 4


@dataclass
class Example:
    """One question's candidate sentences with features and labels (from a retrieval of all
    candidates; features do not depend on the model, only the final ranking does)."""

    question: Question
    query: str
    features: np.ndarray
    labels: np.ndarray


def history_for(question: Question, earlier: dict[str, list[Turn]]) -> list[Turn]:
    return list(earlier.get(question.conversation, [])) if question.conversation else []


def build_examples(assistant, questions: list[Question], progress=None) -> list[Example]:
    """Features and labels of every candidate sentence of every question. A conversation turn
    is condensed with the earlier turns' questions and reference answers as history."""
    earlier: dict[str, list[Turn]] = {}
    examples = []
    for question in progress(questions) if progress else questions:
        history = history_for(question, earlier)
        query = condense(question.question, history) if history else question.question
        if question.conversation:
            earlier.setdefault(question.conversation, []).extend(
                [Turn(role="user", content=question.question), Turn(role="assistant", content=question.answer)]
            )
        analysis = _analysis(query, question.question)
        candidates, vector = assistant.retriever.retrieve(query, k=assistant.settings.candidates, analysis=analysis)
        rows = assistant.scorer.sentence_rows(analysis, vector, candidates)
        labels = np.array([_label(question, s) for s in rows], dtype=float)
        matrix = np.stack([s.features for s in rows]) if rows else np.zeros((0, len(FEATURES)))
        examples.append(Example(question, query, matrix, labels))
    return examples


def _analysis(query: str, question: str):
    analysis = analyse(query)
    own = analyse(question)
    analysis.language, analysis.answer_type = own.language, own.answer_type
    return analysis


def _label(question: Question, sentence) -> float:
    if sentence.source_id not in question.sources:
        return 0.0
    # A sentence about another country is no answer, even when it shares the key fact ("Latvia's
    # decision also took effect on 27 December" for a question about Lithuania).
    if sentence.features[INDEX["other_country"]]:
        return 0.0
    text = sentence.text.casefold()
    return 1.0 if any(alt.casefold() in text for group in question.key_facts for alt in group) else 0.0


def fit_linear(x: np.ndarray, y: np.ndarray, names: tuple[str, ...], balanced: bool = False, c: float = 1.0) -> Linear:
    # Inputs rounded and the solver run to a tight tolerance: two stores built from the same
    # corpus differ in the last float bits of their vectors, and the file must not.
    x = np.round(x, 4)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=10000, tol=1e-10, class_weight="balanced" if balanced else None)
    model.fit((x - mean) / scale, y)
    return Linear(
        features=names,
        mean=tuple(_r(v) for v in mean),
        scale=tuple(_r(v) for v in scale),
        coef=tuple(_r(v) for v in model.coef_[0]),
        intercept=_r(model.intercept_[0]),
    )


def _r(value: float) -> float:
    # Rounded so that the file is the same bytes on every rebuild from the same data.
    return round(float(value), 4)


def fit_ranker(examples: list[Example], c: float = 1.0) -> Linear:
    # A logistic regression: boosted trees (scikit-learn's HistGradientBoostingClassifier, 100-200
    # trees) put every key fact in no more held-out answers (grouped 5-fold CV, 142 vs 142 of
    # 194) at several times the cost per question.
    x = np.concatenate([e.features for e in examples])
    y = np.concatenate([e.labels for e in examples])
    return fit_linear(x, y, FEATURES, c=c)


def groups_of(examples: list[Example]) -> np.ndarray:
    return np.array([e.question.group for e in examples])


def folds(examples: list[Example], n: int = FOLDS):
    """Grouped folds; GroupKFold is deterministic (no shuffling), so a rebuild is identical."""
    splitter = GroupKFold(n_splits=min(n, len(set(groups_of(examples)))))
    return list(splitter.split(np.zeros(len(examples)), groups=groups_of(examples)))


@dataclass
class Replay:
    """One question as the assistant would see it with a given ranker: its analysis, reranked
    passages and scored sentence pool, ready for composing under any cut-offs."""

    question: Question
    analysis: object
    candidates: list
    vector: np.ndarray
    pool: list
    abstention_row: np.ndarray
    part_cache: dict


def replay(assistant, example: Example, model: AnswerModel) -> Replay:
    assistant.use_model(model)
    analysis = _analysis(example.query, example.question.question)
    candidates, vector = assistant.retriever.retrieve(example.query, analysis=analysis)
    pool = sorted((s for c in candidates for s in c.sentences if clean(s.text)), key=lambda s: -s.score)
    row = question_features(analysis, pool, assistant.retriever.keyword_index.get())
    cache: dict = {}
    scorer = assistant.scorer

    # Parts are scored once with this question's ranker and cached for every grid point.
    def rescore(part):
        key = (part.text, tuple(part.countries), tuple(part.terms))
        if key not in cache:
            saved = scorer.model
            scorer.model = model
            cache[key] = scorer.part_scores(part, vector, candidates)
            scorer.model = saved
        return cache[key]

    return Replay(example.question, analysis, candidates, vector, pool, row, {"rescore": rescore})


def out_of_fold_replays(assistant, examples: list[Example], base: AnswerModel, c: float = 1.0) -> list[Replay]:
    """Each question replayed with a ranker (regularisation `c`) that never saw its group."""
    replays: list[Replay | None] = [None] * len(examples)
    for train, test in folds(examples):
        model = replace(base, ranker=fit_ranker([examples[i] for i in train], c))
        for i in test:
            replays[i] = replay(assistant, examples[i], model)
    return [r for r in replays if r is not None]


def choose_composition(replays: list[Replay]) -> tuple[Composition, float]:
    """The cut-offs that put every key fact in the most answers, with the median single-fact
    answer at most four sentences; ties go to the shorter answers. The other-language cut-off
    is chosen after the rest, on their best choice (one more dimension of the full grid would
    multiply its cost by five), its ties going to the shorter answers of every type: it acts
    mostly on lists and explanations, which the single-fact length does not see."""
    answerable = [r for r in replays if r.question.answerable and r.pool]
    grid = itertools.product(KEEP_GRID, FLOOR_GRID, MAX_SENTENCES_GRID, MAX_EXTENDED_GRID, ITEM_FLOOR_GRID)
    first = _best_composition(answerable, [Composition(keep, floor, max_sentences, max_extended, item_floor, MAX_ITEMS)
                                           for keep, floor, max_sentences, max_extended, item_floor in grid
                                           if max_extended >= max_sentences], every_type=False)
    return _best_composition(answerable, [replace(first[0], other_language_keep=k) for k in OTHER_LANGUAGE_KEEP_GRID], every_type=True)


def _best_composition(answerable: list[Replay], grid: list[Composition], every_type: bool) -> tuple[Composition, float]:
    """The composition with the most answers holding every key fact, then the shortest mean
    single-fact answer (and, with `every_type`, the shortest mean answer); none whose median
    single-fact answer is too long."""
    best: tuple[tuple[float, ...], Composition] | None = None
    for composition in grid:
        hits, single, every = 0, [], []
        for r in answerable:
            chosen = compose(r.analysis, r.pool, composition, r.part_cache["rescore"])
            hits += all(key_fact_matches(" ".join(s.text for s in chosen), r.question.key_facts))
            every.append(len(chosen))
            if r.question.type in SINGLE_FACT_TYPES:
                single.append(len(chosen))
        if single and float(np.median(single)) > MEDIAN_SENTENCES_LIMIT:
            continue
        key = (hits / max(len(answerable), 1), -float(np.mean(single)) if single else 0.0, -float(np.mean(every)) if every_type else 0.0)
        if best is None or key > best[0]:
            best = (key, composition)
    assert best is not None
    return best[1], best[0][0]


def choose_abstention(replays: list[Replay]) -> tuple[Linear, float]:
    """A logistic regression of answerable vs not, its regularisation, and the threshold that
    declines at most 5% of answerable questions (with 95% confidence), all from out-of-fold probabilities: the
    regularisation is the one whose out-of-fold decisions decline the most unanswerable ones."""
    x = np.stack([r.abstention_row for r in replays])
    y = np.array([1.0 if r.question.answerable else 0.0 for r in replays])
    groups = np.array([r.question.group for r in replays])
    best = None
    for c in ABSTENTION_C_GRID:
        probabilities = np.ones(len(replays))
        splitter = GroupKFold(n_splits=min(FOLDS, len(set(groups))))
        for train, test in splitter.split(x, y, groups):
            if len(set(y[train])) == 2:
                probabilities[test] = fit_linear(x[train], y[train], ABSTENTION_FEATURES, balanced=True, c=c).probabilities(x[test])
        threshold = _false_decline_threshold(probabilities[y == 1])
        declined = float(np.mean(probabilities[y == 0] < threshold)) if (y == 0).any() else 0.0
        if best is None or declined > best[0]:
            best = (declined, c, threshold)
    _, c, threshold = best
    return fit_linear(x, y, ABSTENTION_FEATURES, balanced=True, c=c), _r(threshold)


def _false_decline_threshold(answerable: np.ndarray) -> float:
    """The largest threshold whose false-decline rate on these answerable questions' probabilities
    is at most FALSE_DECLINE_TARGET with 95% confidence (one-sided Wilson bound): the plain 5%
    quantile of ~155 out-of-fold probabilities declined 7.7% of held-out answerable questions."""
    ordered = np.sort(answerable)
    allowed = _allowed_declines(len(ordered))
    return float(ordered[allowed]) if len(ordered) > allowed else 0.0


def _allowed_declines(n: int, z: float = 1.645) -> int:
    allowed = 0
    for k in range(n + 1):
        p = k / n
        upper = (p + z * z / (2 * n) + z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n)
        if upper > FALSE_DECLINE_TARGET:
            break
        allowed = k
    return allowed


def fit_model(assistant, examples: list[Example], base: AnswerModel) -> AnswerModel:
    """The whole answer model from these examples: ranker on all, its regularisation and the
    cut-offs on out-of-fold replays; `trained_on` records the data, the chosen regularisation
    and the out-of-fold figure both were chosen by."""
    best = None
    for c in RANKER_C_GRID:
        replays = out_of_fold_replays(assistant, examples, base, c)
        composition, accuracy = choose_composition(replays)
        if best is None or accuracy > best[0]:
            best = (accuracy, c, replays, composition)
    oof_accuracy, ranker_c, replays, composition = best
    abstention, threshold = choose_abstention(replays)
    trained_on = {
        "questions": len(examples),
        "groups": len(set(groups_of(examples))),
        "sentences": int(sum(len(e.labels) for e in examples)),
        "positives": int(sum(e.labels.sum() for e in examples)),
        "out_of_fold_key_fact_accuracy": _r(oof_accuracy),
        "ranker_c": ranker_c,
    }
    return AnswerModel(fit_ranker(examples, ranker_c), composition, abstention, threshold, trained_on)


def bootstrap_model() -> AnswerModel:
    """A neutral starting model (rank by semantic and lexical evidence, never decline), used
    only to build the training features before any model exists."""
    index = {n: i for i, n in enumerate(FEATURES)}
    coef = [0.0] * len(FEATURES)
    coef[index["semantic"]], coef[index["lexical"]] = 1.0, 1.0
    ranker = Linear(FEATURES, tuple([0.0] * len(FEATURES)), tuple([1.0] * len(FEATURES)), tuple(coef), 0.0)
    abstention = Linear(ABSTENTION_FEATURES, tuple([0.0] * len(ABSTENTION_FEATURES)), tuple([1.0] * len(ABSTENTION_FEATURES)),
                        tuple([0.0] * len(ABSTENTION_FEATURES)), 10.0)
    return AnswerModel(ranker, Composition(0.6, 0.2, 4, 4, 0.2, MAX_ITEMS), abstention, 0.0)


def train(settings, questions: list[Question], progress: bool = True) -> AnswerModel:
    """The shipped model: fitted on every development question."""
    assistant = _assistant(settings)
    examples = build_examples(assistant, questions, _bar(progress, "features"))
    return fit_model(assistant, examples, bootstrap_model())


def cross_validate(settings, questions: list[Question], judge, progress: bool = True):
    """Grouped 5-fold CV of the whole procedure; each held-out fold is asked through the real
    assistant with the model fitted on the other folds. Returns (held-out records, per-fold rows)."""
    from evals.runner import run

    assistant = _assistant(settings)
    examples = build_examples(assistant, questions, _bar(progress, "features"))
    records: list[dict] = []
    per_fold = []
    for k, (train_idx, test_idx) in enumerate(folds(examples), 1):
        model = fit_model(assistant, [examples[i] for i in train_idx], bootstrap_model())
        assistant.use_model(model)
        held_out = [examples[i].question for i in sorted(test_idx)]
        result = run(settings, held_out, judge=judge, label=f"fold {k}", progress=progress, assistant=assistant)
        records += result.records
        per_fold.append({"fold": k, "questions": len(held_out), **{key: result.metrics.get(key) for key in FOLD_KEYS},
                         "keep": model.composition.keep, "floor": model.composition.floor,
                         "max_sentences": model.composition.max_sentences,
                         "other_language_keep": model.composition.other_language_keep,
                         "ranker_c": model.trained_on.get("ranker_c"), "answer_threshold": model.answer_threshold})
    return records, per_fold


FOLD_KEYS = ("answer.key_fact_accuracy", "context.ceiling@8", "abstention.accuracy", "abstention.false_rate")


def _assistant(settings):
    from assistant.chain import Assistant

    assistant = Assistant(settings)
    assistant.use_model(bootstrap_model())
    return assistant


def _bar(progress: bool, label: str):
    if not progress:
        return None
    from tqdm import tqdm

    return lambda items: tqdm(items, desc=label, unit="q", dynamic_ncols=True)
