"""python -m assistant ask "QUESTION" [--json] [--country …] [--kind …] | python -m assistant chat |
python -m assistant timeline [--country X] [--json]"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from desk.cli import add_store_flags, run_cli, settings_from
from ingest.language import passage_language


def _filters(args):
    from assistant.answer import Filters

    return Filters(
        countries=args.country or [],
        kinds=args.kind or [],
        languages=args.language or [],
        source_ids=args.source or [],
        date_from=date.fromisoformat(args.date_from) if args.date_from else None,
        date_to=date.fromisoformat(args.date_to) if args.date_to else None,
    )


def _print_answer(answer, as_json: bool) -> None:
    if as_json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
        return
    print(answer.answer)
    if answer.citations:
        print()
        for c in answer.citations:
            where = f" — {c.heading}" if c.heading else ""
            said = ", ".join(p for p in (c.publisher, c.date or "undated", passage_language(c.language)) if p)
            print(f"[{c.n}] {c.title} ({said}){where}")
            print(f"    “{c.quote}”")
            print(f"    {c.url}")
    for change in answer.changes:
        print(f"note: {change}", file=sys.stderr)


def _print_timeline(timeline, as_json: bool) -> None:
    """One block per state: each step's date (or "unknown"), its citations, and any other
    dates sources give; the same cells as GET /api/timeline, which --json prints."""
    if as_json:
        print(json.dumps(timeline.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    from assistant.timeline import STEP_LABELS

    for state, row in timeline.states.items():
        print(state)
        for step, cell in row.items():
            marks = "".join(f"[{c.n}]" for c in cell.citations)
            when = (cell.date or "unknown") + (" (computed, Article 20(3))" if cell.computed else "")
            print(f"  {STEP_LABELS[step]:<48} {when} {marks}".rstrip())
            for other in cell.disagreements:
                print(f"  {'':<48} the sources differ: {other.date} " + "".join(f"[{c.n}]" for c in other.citations))
            if cell.votes:
                counts = [cell.votes, *cell.votes.disagreements]
                print(f"  {'':<48} votes in favour: " + " vs ".join(f"{v.in_favour} " + "".join(f"[{c.n}]" for c in v.citations) for v in counts))
            for c in cell.numbered():
                print(f"      [{c.n}] {c.source_id}: “{c.quote}”")
        print()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant", description="Ask the Ottawa Desk corpus; every answer sentence cites its source.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("ask", "answer one question"), ("chat", "interactive conversation (follow-ups keep context)")):
        p = sub.add_parser(name, help=help_text)
        if name == "ask":
            p.add_argument("question")
            p.add_argument("--json", action="store_true", help="print the Answer as JSON")
        add_store_flags(p)
        p.add_argument("--country", action="append", help="only sources about this country (repeatable)")
        p.add_argument("--kind", action="append", help="only this kind: treaty, statement, news, background, legislation")
        p.add_argument("--language", action="append", help="only sources in this language (ISO code)")
        p.add_argument("--source", action="append", help="only this source id")
        p.add_argument("--date-from", help="only sources dated on or after YYYY-MM-DD")
        p.add_argument("--date-to", help="only sources dated on or before YYYY-MM-DD")
        p.add_argument("--generator", choices=["extractive", "openai", "ollama"], help="answer generator (default: extractive)")
    p = sub.add_parser("timeline", help="every state's withdrawal steps, dated and cited")
    add_store_flags(p)
    p.add_argument("--country", action="append", help="only this state (repeatable)")
    p.add_argument("--json", action="store_true", help="print the timeline as JSON (as GET /api/timeline)")
    args = parser.parse_args()
    if args.command == "timeline":
        from api.service import Desk
        from ingest.timeline import STATES

        unknown = [c for c in args.country or [] if c not in STATES]
        if unknown:
            parser.error(f"unknown state {', '.join(unknown)}; choose from {', '.join(STATES)}")
        _print_timeline(Desk(settings_from(args)).timeline(args.country), args.json)
        return 0
    try:
        filters = _filters(args)
    except ValueError as exc:
        parser.error(f"bad date: {exc}")
    settings = settings_from(args, generator=args.generator)

    from assistant.answer import Turn
    from assistant.chain import Assistant
    from desk.errors import DeskError

    assistant = Assistant(settings)
    if args.command == "ask":
        if not args.question.strip():
            parser.error("the question is empty")
        _print_answer(assistant.ask(args.question, filters=filters), args.json)
        return 0
    history: list[Turn] = []
    print("Ask about the Ottawa Convention and the 2025 withdrawals. Empty line or Ctrl-D to quit.")
    while True:
        try:
            question = input("\n> ").strip()
        except EOFError:
            return 0
        if not question:
            return 0
        try:
            answer = assistant.ask(question, history=history, filters=filters)
        except DeskError as exc:
            print(f"error: {exc}", file=sys.stderr)
            continue
        _print_answer(answer, as_json=False)
        history += [Turn(role="user", content=question), Turn.of_answer(answer)]


if __name__ == "__main__":
    run_cli(main)
