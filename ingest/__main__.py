"""python -m ingest [PATH ...] [--store DIR] [--json]: build or update the store from files."""

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
    args = parser.parse_args()
    settings = settings_from(args)

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


if __name__ == "__main__":
    run_cli(main)
