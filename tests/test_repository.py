"""The repository ignores what the tools leave behind, so a test run leaves `git status` clean."""

from __future__ import annotations

import subprocess

import pytest

from tests.paths import REPO_ROOT


@pytest.mark.parametrize("path", [".schemathesis/report.json", ".hypothesis/examples/x", "test-artifacts/ui.png", "data/chroma/x"])
def test_tool_output_is_ignored_by_git(path: str):
    result = subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO_ROOT)
    assert result.returncode == 0, f"{path} is not ignored by .gitignore"
