"""python -m ingest [PATH ...] [--store DIR] [--json]: build or update the store from files;
`--trash` lists deleted sources and `--restore ID` brings one back."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from desk.cli import add_store_flags, run_cli, settings_from


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingest",
        description="Load, split, embed and store documents (.md with front matter, .txt, .html, .pdf, .docx). "
        "Unchanged files are skipped; files gone from an ingested folder are removed from the store.",
    )
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the corpus folder)")
    add_store_flags(parser)
    parser.add_argument("--no-prune", action="store_true", help="keep sources whose files are gone from the given folders")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    trash = parser.add_mutually_exclusive_group()
    trash.add_argument("--trash", action="store_true", help="list the deleted sources the trash holds, and exit")
    trash.add_argument("--restore", metavar="SOURCE_ID", help="bring a deleted source back from the trash, and exit")
    args = parser.parse_args()
    settings = settings_from(args)
    if args.trash or args.restore:
        return trash_command(settings, args)

    from ingest.pipeline import Ingestor

    paths = args.paths or [settings.corpus]
    summary = Ingestor(settings).run(paths, prune=not args.no_prune, progress=not (args.quiet or args.json) and sys.stderr.isatty())
    if args.json:
        print(json.dumps(summary.to_dict(), ensure_ascii=False))
    else:
        print(
            f"{summary.added} added, {summary.updated} updated, {summary.unchanged} unchanged, "
            f"{summary.removed} removed, {len(summary.failed)} failed · "
            f"{summary.chunks_embedded} chunks embedded, {summary.chunks_removed} removed, {summary.chunks_total} in store · "
            f"{summary.seconds:.1f} s · {summary.store}"
        )
    for failure in summary.failed:
        print(f"failed: {failure.path}: {failure.reason}", file=sys.stderr)
    return summary.exit_code


def trash_command(settings, args: argparse.Namespace) -> int:
    import getpass

    from ingest.trash import Trash

    bin_ = Trash(settings)
    if args.restore:
        summary = bin_.restore(args.restore, by=f"cli:{getpass.getuser()}")
        if args.json:
            print(json.dumps(summary.to_dict(), ensure_ascii=False))
        else:
            print(f"restored {args.restore} · {summary.chunks_embedded} chunks embedded, {summary.chunks_total} in store")
        return 0
    items = bin_.list()
    if args.json:
        print(json.dumps([vars(item) for item in items], ensure_ascii=False))
    elif not items:
        print("the trash is empty")
    else:
        for item in items:
            print(f"{item.source_id}\t{item.file}\tdeleted {item.deleted_at} by {item.deleted_by}\t{item.title}")
    return 0


if __name__ == "__main__":
    run_cli(main)
