"""The feedback file stays valid JSON Lines when several API worker processes append to it at
once, with lines far longer than a write buffer (a long answer rated in the UI)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.paths import REPO_ROOT

WRITER = """
import json, sys
from pathlib import Path
from desk.jsonl import append_line
worker, lines, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
for i in range(lines):
    append_line(Path(sys.argv[4]), json.dumps({"worker": worker, "i": i, "answer": chr(65 + worker) * size}))
"""


def test_concurrent_processes_never_split_or_interleave_lines(tmp_path: Path):
    target = tmp_path / "data" / "feedback.jsonl"
    workers, lines, size = 4, 40, 64 * 1024  # 8x the default buffer: a buffered writer would split them
    processes = [subprocess.Popen([sys.executable, "-c", WRITER, str(w), str(lines), str(size), str(target)], cwd=REPO_ROOT)
                 for w in range(workers)]
    assert all(p.wait(timeout=120) == 0 for p in processes)

    records = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert len(records) == workers * lines
    for worker in range(workers):
        mine = [r for r in records if r["worker"] == worker]
        assert [r["i"] for r in mine] == list(range(lines)), "each worker's lines whole and in its order"
        assert all(r["answer"] == chr(65 + worker) * size for r in mine)
