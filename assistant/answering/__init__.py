"""The learned answer layer: `features` (generic question/sentence features), `model` (the
fitted ranker, composition cut-offs and abstention decision, loaded from a small JSON file),
`composer` (which sentences make the answer) and `abstention` (whether the sources answer at
all). Fitted by `python -m evals train` (evals/training.py)."""
