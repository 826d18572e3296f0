"""CI floors: the dev set through the same runner as `python -m evals run`; fails when a metric
falls below its floor in evals/floors.json (or a lower-is-better metric rises above its
ceiling). The floors are measured numbers minus room for noise, and only ever go up."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from evals.dataset import default_questions, load_questions
from evals.runner import run


def floors() -> dict:
    return json.loads((resources.files("evals") / "floors.json").read_text())


@pytest.mark.slow
def test_dev_set_meets_the_floors(corpus_settings):
    result = run(corpus_settings, load_questions(default_questions()), label="floors", progress=False)
    m = result.metrics
    spec = floors()
    failures = []
    for key, floor in spec["min"].items():
        if m.get(key, float("-inf")) < floor:
            failures.append(f"{key} = {m.get(key)} < floor {floor}")
    for key, ceiling in spec["max"].items():
        if m.get(key, float("inf")) > ceiling:
            failures.append(f"{key} = {m.get(key)} > ceiling {ceiling}")
    summary = ", ".join(f"{k}={m.get(k)}" for k in [*spec["min"], *spec["max"]])
    assert not failures, "below the floors in evals/floors.json:\n" + "\n".join(failures) + f"\nmeasured: {summary}"


def test_floors_file_is_well_formed():
    spec = floors()
    assert spec["min"] and set(spec) >= {"min", "max", "note"}
    for bound in (*spec["min"].values(), *spec["max"].values()):
        assert 0.0 <= bound <= 1.0
    # each bound leaves room below (above) the value it was set from
    for key, floor in spec["min"].items():
        assert floor < spec["measured"][key], key
    for key, ceiling in spec["max"].items():
        assert ceiling > spec["measured"][key], key
