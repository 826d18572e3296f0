"""Ablations: the same questions through several configurations, side by side.

Retrieval: dense only, keyword only, hybrid (reciprocal rank fusion), hybrid + the evidence
reranker (the default). Every configuration answers with the extractive generator; when an LLM
backend is configured (DESK_GENERATOR=openai|ollama) and answers, one more configuration runs it
on hybrid + rerank."""

from __future__ import annotations

from dataclasses import dataclass

from desk.settings import Settings
from evals.dataset import Question
from evals.judge import Judge, llm_endpoint
from evals.runner import RunResult, run


@dataclass(frozen=True)
class Config:
    name: str
    overrides: dict


RETRIEVAL_CONFIGS = (
    Config("dense", {"retrieval_mode": "dense", "reranker": "none", "generator": "extractive"}),
    Config("keyword", {"retrieval_mode": "keyword", "reranker": "none", "generator": "extractive"}),
    Config("hybrid", {"retrieval_mode": "hybrid", "reranker": "none", "generator": "extractive"}),
    Config("hybrid+rerank", {"retrieval_mode": "hybrid", "reranker": "evidence", "generator": "extractive"}),
)
DEFAULT_CONFIG = "hybrid+rerank"


def configs(settings: Settings) -> tuple[list[Config], dict[str, str]]:
    """The configurations to run, and the ones skipped with the reason why."""
    chosen = list(RETRIEVAL_CONFIGS)
    skipped: dict[str, str] = {}
    endpoint = llm_endpoint(settings)
    name = f"hybrid+rerank+{settings.generator}"
    if endpoint is None:
        skipped["llm"] = "no LLM backend configured (set DESK_GENERATOR=openai and DESK_LLM_BASE_URL to add it)"
    else:
        reason = _unreachable(endpoint)
        if reason:
            skipped[name] = reason
        else:
            chosen.append(Config(name, {"retrieval_mode": "hybrid", "reranker": "evidence", "generator": settings.generator}))
    return chosen, skipped


def _unreachable(base_url: str) -> str | None:
    import httpx

    try:
        httpx.get(base_url.rstrip("/") + "/models", timeout=3.0)
    except httpx.HTTPError as exc:
        return f"LLM endpoint {base_url} did not answer ({type(exc).__name__})"
    try:
        import assistant.generators.llm  # noqa: F401
    except ImportError as exc:
        return f"the LLM generator is not installed in this build ({exc})"
    return None


def primary(results: dict[str, RunResult], settings: Settings) -> str:
    """The configuration that matches the given settings (whose metrics go to the top level)."""
    wanted = (settings.retrieval_mode, settings.reranker, settings.generator)
    for name, result in results.items():
        s = result.settings
        if (s.retrieval_mode, s.reranker, s.generator) == wanted:
            return name
    return DEFAULT_CONFIG if DEFAULT_CONFIG in results else next(iter(results))


def side_by_side(settings: Settings, questions: list[Question], judge: Judge, progress: bool = True) -> dict[str, RunResult]:
    """The configured LLM backend and the extractive answer over the same questions, store and
    retrieval (`python -m evals run` with DESK_GENERATOR=openai|ollama)."""
    return {
        name: run(settings.model_copy(update={"generator": name}), questions, judge=judge, label=name, progress=progress)
        for name in (settings.generator, "extractive")
    }


def run_compare(settings: Settings, questions: list[Question], judge: Judge, progress: bool = True) -> tuple[dict[str, RunResult], dict[str, str]]:
    chosen, skipped = configs(settings)
    results: dict[str, RunResult] = {}
    for config in chosen:
        config_settings = settings.model_copy(update=config.overrides)
        results[config.name] = run(config_settings, questions, judge=judge, label=config.name, progress=progress)
    return results, skipped
