"""What every command-line entry point shares: settings from flags, and errors without tracebacks."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from desk.errors import DeskError
from desk.settings import Settings


def add_store_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", help="store folder (default: $DESK_STORE or data/chroma)")
    parser.add_argument("--chroma-url", help="use a Chroma server instead of the embedded store")


def settings_from(args: argparse.Namespace, **extra) -> Settings:
    overrides = {k: v for k, v in {"store": args.store, "chroma_url": args.chroma_url, **extra}.items() if v is not None}
    return Settings(**overrides)


def run_cli(main: Callable[[], int]) -> None:
    """Run `main`, turning expected errors into one clear line on stderr and exit status 1."""
    try:
        code = main()
    except DeskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        code = 130
    except BrokenPipeError:  # output piped into `head` and closed: not an error worth a traceback
        sys.stderr.close()
        code = 0
    sys.exit(code)
