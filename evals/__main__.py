"""python -m evals run [--questions FILE…] [--report DIR] [--store DIR] [--compare]
python -m evals train [--questions FILE…] [--out FILE]
python -m evals cv [--questions FILE…] [--report DIR]
python -m evals bench [--quick] [--report DIR]
python -m evals verifier [--questions FILE…]"""

from __future__ import annotations

import argparse
from pathlib import Path

from desk.cli import add_store_flags, run_cli, settings_from

DEFAULT_REPORT = Path("reports/latest")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m evals", description="Evaluate and benchmark Ottawa Desk.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="ask every question through the assistant and score the answers")
    run.add_argument("--questions", type=Path, nargs="+", help="question sets, JSONL (default: the dev and train sets shipped in the package)")
    run.add_argument("--report", type=Path, default=DEFAULT_REPORT, help=f"output folder (default: {DEFAULT_REPORT})")
    add_store_flags(run)
    run.add_argument("--compare", action="store_true",
                     help="run the ablations (dense, keyword, hybrid, hybrid+rerank; an LLM backend when configured) side by side")
    run.add_argument("--judge", choices=["auto", "heuristic", "llm"], default="auto",
                     help="citation support judge (auto: the heuristic; llm: the configured endpoint's model, never chosen by auto)")
    run.add_argument("--judge-threshold", type=float, default=None, help="embedding similarity the heuristic judge requires")
    run.add_argument("--quiet", action="store_true", help="no progress bar")

    train = sub.add_parser("train", help="fit the answer model (ranker, composition, abstention) from the dev and train questions")
    train.add_argument("--questions", type=Path, nargs="+", help="question sets, JSONL (default: the dev and train sets shipped in the package)")
    train.add_argument("--out", type=Path, help="model file to write (default: the one shipped in the package)")
    add_store_flags(train)
    train.add_argument("--quiet", action="store_true", help="no progress bar")

    cv = sub.add_parser("cv", help="grouped 5-fold cross-validation of the answer model: held-out figures, per type and per fold")
    cv.add_argument("--questions", type=Path, nargs="+", help="question sets, JSONL (default: the dev and train sets shipped in the package)")
    cv.add_argument("--report", type=Path, default=Path("reports/cv"), help="output folder (default: reports/cv)")
    add_store_flags(cv)
    cv.add_argument("--quiet", action="store_true", help="no progress bar")

    verifier = sub.add_parser("verifier", help="the LLM verifier as a classifier on labelled supported/unsupported pairs (grouped CV)")
    verifier.add_argument("--questions", type=Path, nargs="+", help="question sets, JSONL (default: the dev and train sets shipped in the package)")
    add_store_flags(verifier)

    bench = sub.add_parser("bench", help="ingest throughput, latency, cold start, memory, scale, and the plain LangChain recipe")
    bench.add_argument("--quick", action="store_true", help="a smaller scale run (1k and 10k synthetic chunks)")
    bench.add_argument("--scale", type=lambda s: [int(x) for x in s.split(",") if x], help="synthetic chunk counts, e.g. 1000,10000")
    bench.add_argument("--questions", type=Path, help="question set for latency and recall (default: the dev set)")
    bench.add_argument("--report", type=Path, help="also write DIR/bench.json")
    bench.add_argument("--keep", type=Path, help="build the bench stores under this folder and keep them (default: a temp folder, removed)")
    bench.add_argument("--embedders", type=lambda s: tuple(x for x in s.split(",") if x),
                       help="backends to compare with PyTorch (default: onnx-fp32,onnx-int8)")
    bench.add_argument("--workers", type=lambda s: tuple(int(x) for x in s.split(",") if x),
                       help="API worker counts of the load run, e.g. 1,2,4 (default); empty skips it")
    bench.add_argument("--load-seconds", type=float, help="seconds of load per worker count (default 60, the target's length)")
    bench.add_argument("--ingest-rounds", type=int, default=3,
                       help="ingest / raw encode pairs timed in turn per ONNX backend; the ratio is their median (default 3)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    questions = getattr(args, "questions", None)
    if questions is not None:
        from evals.dataset import load_all

        try:
            load_all(questions if isinstance(questions, list) else [questions])
        except (OSError, ValueError) as exc:
            parser.error(f"bad question file: {exc}")
    if args.command == "run":
        return cmd_run(args)
    if args.command == "train":
        return cmd_train(args)
    if args.command == "cv":
        return cmd_cv(args)
    if args.command == "verifier":
        return cmd_verifier(args)
    return cmd_bench(args)


def cmd_train(args) -> int:
    from assistant.answering.model import shipped_model_path
    from evals.dataset import development_sets, load_all
    from evals.training import train

    settings = settings_from(args)
    paths = args.questions or development_sets()
    model = train(settings, load_all(paths), progress=not args.quiet)
    out = args.out or shipped_model_path()
    out.write_text(model.to_json(), encoding="utf-8")
    print(f"wrote {out}: {model.trained_on}")
    print(f"composition {model.composition}; answer threshold {model.answer_threshold}")
    return 0


def cmd_verifier(args) -> int:
    from assistant.chain import Assistant
    from evals.dataset import development_sets, load_all
    from evals.verifier import build_pairs, report

    settings = settings_from(args)
    assistant = Assistant(settings.model_copy(update={"generator": "extractive"}))
    pairs = build_pairs(assistant, load_all(args.questions or development_sets()))
    print(report(pairs, settings.verify_min_similarity))
    return 0


def cmd_cv(args) -> int:
    from evals import report
    from evals.dataset import development_sets, load_all
    from evals.judge import make_judge
    from evals.metrics import aggregate
    from evals.runner import RunResult
    from evals.training import FOLD_KEYS, cross_validate

    settings = settings_from(args)
    paths = args.questions or development_sets()
    judge = make_judge(settings, "heuristic")
    records, per_fold = cross_validate(settings, load_all(paths), judge, progress=not args.quiet)
    metrics = aggregate(records)
    result = RunResult("held-out folds", settings, records, metrics, judge.description, 0.0, {"folds": per_fold})
    written = report.write(args.report, result, extra={"questions": ", ".join(str(p) for p in paths), "cv": "grouped 5-fold, held-out"})
    print(format_metrics(metrics))
    print("")
    print("fold  n  " + "  ".join(f"{k.split('.', 1)[1]:>17}" for k in FOLD_KEYS) + "   keep  floor  max  other  ranker C  threshold")
    for row in per_fold:
        print(f"{row['fold']:>4} {row['questions']:>3}  " + "  ".join(f"{_num(row[k]):>17}" for k in FOLD_KEYS)
              + f"  {row['keep']:>5} {row['floor']:>6} {row['max_sentences']:>4} {row['other_language_keep']:>6} {row['ranker_c']:>9} {row['answer_threshold']:>10}")
    print("wrote " + ", ".join(str(p) for p in written.values()))
    return 0


def cmd_run(args) -> int:
    from evals import report
    from evals.compare import primary, run_compare, side_by_side
    from evals.dataset import development_sets, load_all
    from evals.judge import DEFAULT_THRESHOLD, make_judge
    from evals.runner import run

    settings = settings_from(args)
    paths = args.questions or development_sets()
    questions = load_all(paths)
    judge = make_judge(settings, args.judge, args.judge_threshold if args.judge_threshold is not None else DEFAULT_THRESHOLD)
    label = "+".join(p.stem for p in paths)
    extra = {"questions": ", ".join(str(p) for p in paths), "store": settings.chroma_url or str(settings.store)}
    if args.compare:
        results, skipped = run_compare(settings, questions, judge, progress=not args.quiet)
        main_result = results[primary(results, settings)]
        paths = report.write(args.report, main_result, results, skipped, extra)
        print(format_compare(results))
        for name, reason in skipped.items():
            print(f"skipped {name}: {reason}")
    elif settings.generator != "extractive":
        # An LLM backend is measured beside the extractive answer to the same questions.
        results = side_by_side(settings, questions, judge, progress=not args.quiet)
        main_result = results[settings.generator]
        paths = report.write(args.report, main_result, results, {}, extra)
        print(format_metrics(main_result.metrics))
        print("")
        print(format_compare(results))
    else:
        main_result = run(settings, questions, judge=judge, label=label, progress=not args.quiet)
        paths = report.write(args.report, main_result, extra=extra)
        print(format_metrics(main_result.metrics))
    print(f"judge: {main_result.judge}")
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return 0


def format_metrics(metrics: dict) -> str:
    from evals.report import HEADLINE

    rows = [(key, metrics[key]) for key, _ in HEADLINE if key in metrics]
    width = max(len(k) for k, _ in rows)
    lines = [f"{'metric':<{width}}  value", f"{'-' * width}  -----"]
    lines += [f"{key:<{width}}  {_num(value)}" for key, value in rows]
    types = sorted({k.split(".")[1] for k in metrics if k.startswith("by_type.")})
    if types:
        lines += ["", "by type          n  " + "  ".join(f"{c.split('.', 1)[1]:>17}" for c in BY_TYPE_COLUMNS)]
        for t in types:
            n = int(metrics.get(f"by_type.{t}.n.questions", 0))
            lines.append(f"{t:<14} {n:>3}  " + "  ".join(f"{_num(metrics.get(f'by_type.{t}.{c}')):>17}" for c in BY_TYPE_COLUMNS))
    turns = sorted({k.split(".")[1] for k in metrics if k.startswith("by_turn.")})
    for t in turns:
        n = int(metrics.get(f"by_turn.{t}.n.questions", 0))
        lines.append(f"{'turn ' + t:<14} {n:>3}  " + "  ".join(f"{_num(metrics.get(f'by_turn.{t}.{c}')):>17}" for c in BY_TYPE_COLUMNS))
    return "\n".join(lines)


BY_TYPE_COLUMNS = ["retrieval.hit@5", "context.ceiling@8", "answer.key_fact_accuracy", "abstention.accuracy", "abstention.false_rate"]


def format_compare(results: dict) -> str:
    from evals.report import COMPARE_KEYS

    names = list(results)
    width = max(len(k) for k in COMPARE_KEYS)
    lines = [f"{'metric':<{width}}  " + "  ".join(f"{n:>14}" for n in names)]
    for key in COMPARE_KEYS:
        lines.append(f"{key:<{width}}  " + "  ".join(f"{_num(results[n].metrics.get(key)):>14}" for n in names))
    return "\n".join(lines)


def _num(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and abs(value) >= 10:
        return f"{value:.0f}"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def cmd_bench(args) -> int:
    from evals.bench import Bench

    from evals.bench import EMBEDDERS, WORKERS

    return Bench(quick=args.quick, scale=args.scale, questions=args.questions, report=args.report, keep=args.keep,
                 embedders=args.embedders or EMBEDDERS, workers=WORKERS if args.workers is None else args.workers,
                 load_s=args.load_seconds, ingest_rounds=args.ingest_rounds).run()


if __name__ == "__main__":
    run_cli(main)
