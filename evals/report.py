"""Write a run's outputs: metrics.json (flat keys), results.jsonl (one line per question) and
report.html (one self-contained page: tables, matplotlib PNGs inlined as base64, and the worst
questions with their answers and cited passages)."""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

from evals.metrics import LATENCY_STAGES
from evals.runner import RunResult

HEADLINE = [
    ("retrieval.recall@1", "source recall@1"),
    ("retrieval.recall@5", "source recall@5"),
    ("retrieval.recall@10", "source recall@10"),
    ("retrieval.hit@5", "hit@5 (any listed source in top 5)"),
    ("retrieval.mrr", "MRR"),
    ("retrieval.ndcg@10", "nDCG@10"),
    ("context.ceiling@5", "context ceiling: key facts all in the top 5 passages"),
    ("context.ceiling@8", "context ceiling: key facts all in the top 8 passages"),
    ("answer.key_fact_accuracy", "key-fact accuracy (all groups matched)"),
    ("answer.key_fact_recall", "key-fact recall (share of groups)"),
    ("answer.chars.mean", "answer length, characters (mean)"),
    ("answer.sentences.mean", "answer length, sentences (mean)"),
    ("answer.sentences.median_single_fact", "answer length, sentences (median, single-fact types)"),
    ("citation.recall", "citation recall (ALCE)"),
    ("citation.precision", "citation precision (ALCE)"),
    ("abstention.accuracy", "unanswerable questions declined"),
    ("abstention.false_rate", "answerable questions wrongly declined"),
    ("latency.ask_ms.p50", "ask latency p50, ms"),
    ("latency.ask_ms.p95", "ask latency p95, ms"),
]
COMPARE_KEYS = [
    "retrieval.recall@1", "retrieval.recall@5", "retrieval.mrr", "retrieval.ndcg@10", "answer.key_fact_accuracy",
    "answer.key_fact_recall", "citation.recall", "citation.precision", "abstention.accuracy", "abstention.false_rate",
    "latency.ask_ms.p50", "latency.ask_ms.p95", "latency.first_token_ms.p50", "latency.first_sentence_ms.p50",
]
COMPARE_PLOT_KEYS = ["retrieval.recall@5", "retrieval.mrr", "answer.key_fact_accuracy", "citation.recall", "abstention.accuracy"]
TYPE_PLOT_KEYS = [("retrieval.recall@5", "source recall@5"), ("answer.key_fact_accuracy", "key-fact accuracy"), ("citation.recall", "citation recall")]


def flat_metrics(result: RunResult, compare: dict[str, RunResult] | None = None, skipped: dict[str, str] | None = None, extra: dict | None = None) -> dict:
    out: dict = dict(result.metrics)
    out["meta.label"] = result.label
    out["meta.judge"] = result.judge
    out["meta.seconds"] = result.seconds
    for key, value in result.meta.items():
        if key == "config":
            for k, v in value.items():
                out[f"meta.config.{k}"] = v
        elif key not in ("label", "judge"):
            out[f"meta.{key}"] = value
    for key, value in (extra or {}).items():
        out[f"meta.{key}"] = value
    if compare:
        out["meta.configs"] = ",".join(compare)
        for name, other in compare.items():
            for key, value in other.metrics.items():
                out[f"config.{name}.{key}"] = value
    for name, reason in (skipped or {}).items():
        out[f"meta.skipped.{name}"] = reason
    return out


def write(directory: Path, result: RunResult, compare: dict[str, RunResult] | None = None,
          skipped: dict[str, str] | None = None, extra: dict | None = None) -> dict[str, Path]:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    metrics = flat_metrics(result, compare, skipped, extra)
    paths = {"metrics": directory / "metrics.json", "results": directory / "results.jsonl", "report": directory / "report.html"}
    paths["metrics"].write_text(json.dumps(metrics, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    _write_jsonl(paths["results"], result.records)
    for name, other in (compare or {}).items():
        if other is not result:
            _write_jsonl(directory / f"results.{_slug(name)}.jsonl", other.records)
    paths["report"].write_text(render_html(result, metrics, compare, skipped), encoding="utf-8")
    return paths


def _write_jsonl(path: Path, records: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)


# -- HTML --------------------------------------------------------------------------------------

CSS = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
.meta{color:#555;font-size:.9em}.q{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;margin:1em 0}
.bad{color:#a00}.good{color:#070}blockquote{margin:.3em 0 .3em 1em;padding-left:.6em;border-left:3px solid #ccc;color:#333}
.small{font-size:.88em;color:#555}img{max-width:100%}code{background:#f4f4f4;padding:0 .2em}
"""


def render_html(result: RunResult, metrics: dict, compare: dict[str, RunResult] | None, skipped: dict[str, str] | None) -> str:
    m = result.metrics
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Ottawa Desk evaluation</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>Ottawa Desk — evaluation report</h1>",
        "<p class=meta>",
        f"{int(m['n.questions'])} questions ({int(m['n.answerable'])} answerable, {int(m['n.unanswerable'])} unanswerable) · "
        f"configuration <code>{_e(result.label)}</code>: {_e(json.dumps(result.meta.get('config', {})))} · "
        f"finished {_e(result.meta.get('finished_at', ''))} · {result.seconds:.0f} s · {_e(result.meta.get('machine', ''))}",
        "</p>",
        "<h2>Headline metrics</h2><table><tr><th>metric</th><th>key</th><th>value</th></tr>",
    ]
    for key, label in HEADLINE:
        if key in m:
            parts.append(f"<tr><td>{_e(label)}</td><td><code>{key}</code></td><td class=num>{_fmt(m[key])}</td></tr>")
    parts.append("</table>")
    if "judge.mismatched_support_rate" in m:
        parts.append(
            f"<p class=small>Judge sanity check: paired with the quotes of <em>another</em> question's answer, the judge accepted "
            f"{_fmt(m['judge.mismatched_support_rate'])} of the answer sentences (lower is better; a judge that accepts "
            f"everything would show 1).</p>"
        )
    parts.append(_definitions(result))

    if compare and len(compare) > 1:
        parts.append("<h2>Configurations side by side</h2>")
        parts.append(_compare_table(compare))
        parts.append(_img(_compare_plot(compare), "grouped bars of the main metrics per configuration"))
    for name, reason in (skipped or {}).items():
        parts.append(f"<p class=small>Skipped <code>{_e(name)}</code>: {_e(reason)}</p>")

    parts.append("<h2>By question type</h2>")
    parts.append(_type_table(result))
    parts.append(_img(_type_plot(result), "per-type bars"))

    parts.append("<h2>Latency</h2>")
    parts.append(_latency_table(m))
    parts.append(_img(_latency_plot(result), "histogram of ask latency"))

    parts.append("<h2>Worst questions</h2><p class=small>Answerable questions sorted by key-fact recall, then citation "
                 "recall, then source recall@5; then unanswerable questions the assistant answered anyway.</p>")
    for record in worst(result.records):
        parts.append(_question_html(record))
    parts.append("</body></html>")
    return "\n".join(parts)


def _definitions(result: RunResult) -> str:
    return (
        "<details><summary>How each metric is computed</summary><ul>"
        "<li><b>Retrieval</b> (answerable questions): sources ranked by first appearance among the passages of "
        "<code>assistant.retriever.retrieve(question, k=30)</code>; recall@k = share of the question's listed sources in the "
        "top k distinct sources; hit@k = any listed source there; MRR = 1/rank of the first listed source; nDCG@10 with binary "
        "relevance.</li>"
        "<li><b>Answers</b> (answerable questions): a key-fact group matches when any of its alternatives occurs in the "
        "answer, ignoring case. Accuracy = every group matched; recall = share of groups matched. A refusal scores 0. "
        "Length is counted without the [n] markers.</li>"
        "<li><b>Citations</b> (every answer that is not a refusal), as in ALCE (Gao et al. 2023): recall = share of answer "
        "sentences supported by the passages they cite (a sentence without citation is unsupported); precision = share of "
        "citations not 'irrelevant' (a citation is irrelevant when the sentence is supported by its citations jointly, the "
        "citation alone does not support it and the others do without it; all citations of an unsupported sentence are "
        "imprecise). Averaged over answers.</li>"
        f"<li><b>Judge</b>: {_e(result.judge)}</li>"
        "<li><b>Abstention</b>: accuracy = share of unanswerable questions declined; false rate = share of answerable "
        "questions declined.</li>"
        "<li><b>Latency</b>: <code>timings_ms</code> of each <code>Assistant.ask</code> after one warm-up question; "
        "p50/p95 by linear interpolation; ask_ms is total_ms.</li></ul></details>"
    )


def worst(records: list[dict], n: int = 12) -> list[dict]:
    answerable = [r for r in records if r["answerable"]]

    def badness(r):
        s = r["scores"]
        return (s["answer"]["key_fact_recall"], s["citation"]["recall"] if not r["abstained"] else 1.0, s["retrieval"]["recall@5"])

    answerable.sort(key=badness)
    bad = [r for r in answerable if badness(r) < (1.0, 1.0, 1.0)]
    wrongly_answered = [r for r in records if not r["answerable"] and not r["abstained"]]
    return (bad[: max(n - len(wrongly_answered), n // 2)] + wrongly_answered)[:n]


def _question_html(r: dict) -> str:
    s = r["scores"]
    head = f"<b>{_e(r['id'])}</b> · {_e(r['type'])} · "
    if r["answerable"]:
        a = s["answer"]
        head += (
            f"key facts {sum(a['key_facts_matched'])}/{len(a['key_facts_matched'])}"
            f"{' (refused)' if r['abstained'] else ''} · recall@5 {_fmt(s['retrieval']['recall@5'])} · "
            f"citation recall {_fmt(s['citation']['recall'])} · precision {_fmt(s['citation']['precision'])}"
        )
    else:
        head += "unanswerable · " + ("<span class=good>declined</span>" if r["abstained"] else "<span class=bad>answered anyway</span>")
    out = [f"<div class=q><p>{head}</p><p><b>Q:</b> {_e(r['question'])}</p>"]
    ref = r["reference"]
    if ref["answer"]:
        out.append(f"<p class=small><b>Reference:</b> {_e(ref['answer'])}</p>")
    if r["answerable"]:
        missing = [g for g, ok in zip(ref["key_facts"], s["answer"]["key_facts_matched"]) if not ok]
        if missing:
            out.append("<p class=small><b>Missing key facts:</b> " + "; ".join(" / ".join(_e(a) for a in g) for g in missing) + "</p>")
        out.append(
            f"<p class=small><b>Listed sources:</b> {_e(', '.join(ref['sources']))}<br><b>Retrieved (top 10 distinct):</b> "
            + ", ".join(f"<span class={'good' if x in ref['sources'] else ''}>{_e(x)}</span>" for x in r["retrieved_sources"])
            + "</p>"
        )
    out.append("<p><b>Answer:</b></p><ul>")
    for sentence in r["sentences"]:
        mark = ""
        if sentence["citations"]:
            mark = " <span class=good>✓ supported</span>" if sentence["supported"] else " <span class=bad>✗ not supported</span>"
        cites = "".join(f"[{n}]" for n in sentence["citations"])
        out.append(f"<li>{_e(sentence['text'])} {cites}{mark}</li>")
    out.append("</ul>")
    for c in r["citations"]:
        heading = f" — {_e(c['heading'])}" if c["heading"] else ""
        out.append(f"<p class=small>[{c['n']}] <code>{_e(c['source_id'])}</code> {_e(c['title'])}{heading} "
                   f"(chars {c['start']}–{c['end']})</p><blockquote>{_e(c['quote'])}</blockquote>")
    out.append("</div>")
    return "\n".join(out)


def _type_table(result: RunResult) -> str:
    m = result.metrics
    types = sorted({r["type"] for r in result.records})
    cols = [("n.questions", "n"), ("retrieval.recall@5", "recall@5"), ("retrieval.mrr", "MRR"), ("answer.key_fact_accuracy", "key-fact acc."),
            ("answer.key_fact_recall", "key-fact recall"), ("citation.recall", "cit. recall"), ("citation.precision", "cit. precision"),
            ("abstention.accuracy", "declined (unans.)"), ("abstention.false_rate", "wrongly declined"), ("latency.ask_ms.p50", "ask p50 ms")]
    rows = ["<table><tr><th>type</th>" + "".join(f"<th>{_e(label)}</th>" for _, label in cols) + "</tr>"]
    for kind in types:
        cells = "".join(f"<td class=num>{_fmt(m.get(f'by_type.{kind}.{key}'))}</td>" for key, _ in cols)
        rows.append(f"<tr><td>{_e(kind)}</td>{cells}</tr>")
    rows.append("</table>")
    return "".join(rows)


def _latency_table(m: dict) -> str:
    rows = ["<table><tr><th>stage</th><th>p50 ms</th><th>p95 ms</th></tr>"]
    for stage in LATENCY_STAGES:
        if f"latency.{stage}.p50" in m:
            rows.append(f"<tr><td>{stage}</td><td class=num>{_fmt(m[f'latency.{stage}.p50'])}</td><td class=num>{_fmt(m[f'latency.{stage}.p95'])}</td></tr>")
    rows.append("</table>")
    return "".join(rows)


def _compare_table(compare: dict[str, RunResult]) -> str:
    rows = ["<table><tr><th>metric</th>" + "".join(f"<th>{_e(n)}</th>" for n in compare) + "</tr>"]
    for key in COMPARE_KEYS:
        values = [r.metrics.get(key) for r in compare.values()]
        if all(v is None for v in values):
            continue
        rows.append(f"<tr><td><code>{key}</code></td>" + "".join(f"<td class=num>{_fmt(v)}</td>" for v in values) + "</tr>")
    rows.append("</table>")
    return "".join(rows)


# -- plots -------------------------------------------------------------------------------------


def _figure(width=9.0, height=3.6):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt, plt.subplots(figsize=(width, height))


def _png(plt, fig) -> str:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=96)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def _grouped(ax, groups: list[str], series: list[tuple[str, list[float]]]) -> None:
    import numpy as np

    x = np.arange(len(groups))
    width = 0.8 / max(len(series), 1)
    for i, (label, values) in enumerate(series):
        ax.bar(x + (i - (len(series) - 1) / 2) * width, values, width, label=label)
    ax.set_xticks(x, groups, rotation=20, ha="right")
    ax.set_ylim(0, 1.05)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, ncols=min(len(series), 5), loc="upper center", bbox_to_anchor=(0.5, 1.18), frameon=False)


def _type_plot(result: RunResult) -> str:
    plt, (fig, ax) = _figure()
    m = result.metrics
    types = sorted({r["type"] for r in result.records})
    series = [(label, [m.get(f"by_type.{t}.{key}", 0.0) for t in types]) for key, label in TYPE_PLOT_KEYS]
    series.append(("right call to answer or decline",
                   [m.get(f"by_type.{t}.abstention.accuracy", 1 - m.get(f"by_type.{t}.abstention.false_rate", 1.0)) for t in types]))
    _grouped(ax, types, series)
    return _png(plt, fig)


def _latency_plot(result: RunResult) -> str:
    plt, (fig, ax) = _figure(9.0, 3.0)
    values = [r["timings_ms"].get("total_ms", 0.0) for r in result.records]
    ax.hist(values, bins=min(30, max(5, len(values) // 2)), color="#4a7ab5")
    m = result.metrics
    for key, style in (("latency.ask_ms.p50", "--"), ("latency.ask_ms.p95", ":")):
        if key in m:
            ax.axvline(m[key], color="k", linestyle=style, label=f"{key.split('.')[-1]} {m[key]:.0f} ms")
    ax.set_xlabel("Assistant.ask total_ms")
    ax.set_ylabel("questions")
    ax.legend(fontsize=8)
    return _png(plt, fig)


def _compare_plot(compare: dict[str, RunResult]) -> str:
    plt, (fig, ax) = _figure()
    names = list(compare)
    series = [(name, [compare[name].metrics.get(key, 0.0) for key in COMPARE_PLOT_KEYS]) for name in names]
    _grouped(ax, COMPARE_PLOT_KEYS, series)
    return _png(plt, fig)


def _img(data: str, alt: str) -> str:
    return f'<p><img alt="{_e(alt)}" src="data:image/png;base64,{data}"></p>'


def _e(text) -> str:
    return html.escape(str(text))


def _fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.0f}"
    return str(value)

