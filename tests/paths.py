"""Where the tests find the repository's data and the shared material beside the checkout."""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = REPO_ROOT / "corpus"
SHARED_DIR = Path(os.environ.get("DESK_SHARED_DIR", REPO_ROOT.parent / "shared")).resolve()
