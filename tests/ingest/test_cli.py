"""`python -m ingest` as a user runs it: a summary on stdout, one line per failed file on stderr,
exit status 0 / 2 (some files failed) / 1 (an expected error), and never a traceback."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from desk.cli import run_cli
from ingest.__main__ import main
from tests.ingest.files import BAD_FILES, chroma_content, ingest_cli, json_line

SUMMARY_LINE = "{added} added, {updated} updated, {unchanged} unchanged, {removed} removed, {failed} failed"


def cli(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """Run the CLI in this process (sharing the loaded model); (exit status, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["python -m ingest", *args])
    with pytest.raises(SystemExit) as exited:
        run_cli(main)
    out, err = capsys.readouterr()
    return exited.value.code, out, err


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_bad_files_exit_2_with_summary_and_reasons_and_no_traceback(tmp_path: Path, sources: Path, monkeypatch, capsys):
    store = tmp_path / "store"
    assert cli(monkeypatch, capsys, str(sources), "--store", str(store))[0] == 0  # the good files, in this process
    bad_paths = []
    for name, (content, _) in BAD_FILES.items():
        path = sources / name
        path.write_bytes(content(tmp_path) if callable(content) else content)
        bad_paths.append(path.resolve())

    result = ingest_cli(str(sources), str(sources / "notes.rtf"), "--store", str(store))

    assert result.returncode == 2, result.stderr
    assert SUMMARY_LINE.format(added=0, updated=0, unchanged=3, removed=0, failed=len(bad_paths)) in result.stdout
    assert str(store) in result.stdout
    failed_lines = [line for line in result.stderr.splitlines() if line.startswith("failed: ")]
    assert len(failed_lines) == len(bad_paths)
    for path in bad_paths:
        (line,) = [line for line in failed_lines if line.startswith(f"failed: {path}: ")]
        assert line.split(": ", 2)[2], f"no reason for {path}"
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_second_run_from_a_new_process_embeds_and_writes_nothing(tmp_path: Path, sources: Path, monkeypatch, capsys):
    store = tmp_path / "store"
    code, out, _ = cli(monkeypatch, capsys, str(sources), "--store", str(store), "--json")
    first = json_line(out)
    assert code == 0 and first["added"] == 3 and first["chunks_embedded"] == first["chunks_total"] > 0
    # Our own files must not be rewritten. Chroma's files are compared by content: opening a client
    # in a new process always adds a row to its write-lock table and re-saves the HNSW files.
    ours = [store / "desk" / "manifest.json", store / "desk" / "keyword.json", *sorted((store / "desk").glob("keyword-*/*")),
            *sorted((store / "desk" / "sources").iterdir())]
    before = [p.stat().st_mtime_ns for p in ours]
    records = chroma_content(store)

    result = ingest_cli(str(sources), "--store", str(store), "--json")

    assert result.returncode == 0, result.stderr
    second = json_line(result.stdout)
    assert (second["added"], second["updated"], second["unchanged"], second["removed"]) == (0, 0, 3, 0)
    assert second["chunks_embedded"] == 0 and second["chunks_removed"] == 0 and second["failed"] == []
    assert second["chunks_total"] == first["chunks_total"]
    assert [p.stat().st_mtime_ns for p in ours] == before
    assert chroma_content(store) == records


@pytest.mark.slow
def test_json_summary_lists_failures_and_no_prune_flag_keeps_deleted_sources(tmp_path: Path, sources: Path, monkeypatch, capsys):
    store = tmp_path / "store"
    (sources / "empty.md").write_bytes(b"")
    code, out, err = cli(monkeypatch, capsys, str(sources), "--store", str(store), "--json")
    summary = json_line(out)
    assert code == 2
    assert summary["failed"] == [{"path": str((sources / "empty.md").resolve()), "reason": "file is empty"}]
    assert f"failed: {(sources / 'empty.md').resolve()}: file is empty" in err
    (sources / "beta.md").unlink()
    (sources / "empty.md").unlink()

    code, out, _ = cli(monkeypatch, capsys, str(sources), "--store", str(store), "--no-prune", "--quiet")

    assert code == 0
    assert SUMMARY_LINE.format(added=0, updated=0, unchanged=2, removed=0, failed=0) in out
    code, out, _ = cli(monkeypatch, capsys, str(sources), "--store", str(store), "--json")
    assert json_line(out)["removed"] == 1


def test_missing_path_is_reported_with_exit_2(tmp_path: Path, monkeypatch, capsys):
    missing = tmp_path / "nowhere"

    code, out, err = cli(monkeypatch, capsys, str(missing), "--store", str(tmp_path / "store"))

    assert code == 2
    assert SUMMARY_LINE.format(added=0, updated=0, unchanged=0, removed=0, failed=1) in out
    assert f"failed: {missing}: no such file or folder" in err


def test_unreachable_server_is_one_error_line_and_exit_1(tmp_path: Path, monkeypatch, capsys):
    url = f"http://127.0.0.1:{free_port()}"

    code, out, err = cli(monkeypatch, capsys, str(tmp_path), "--store", str(tmp_path / "store"), "--chroma-url", url)

    assert code == 1 and out == ""
    assert err.startswith(f"error: the Chroma server at {url} is not reachable")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_bad_server_url_is_a_config_error_with_exit_1(tmp_path: Path, monkeypatch, capsys):
    code, _, err = cli(monkeypatch, capsys, str(tmp_path), "--store", str(tmp_path / "store"), "--chroma-url", "localhost:8000")

    assert code == 1
    assert "is not an http(s) URL" in err


def test_help_describes_the_formats(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["python -m ingest", "--help"])
    with pytest.raises(SystemExit) as exited:
        main()
    out = capsys.readouterr().out

    assert exited.value.code == 0
    for flag in ("--store", "--chroma-url", "--no-prune", "--json"):
        assert flag in out
    assert ".pdf" in out and ".docx" in out
