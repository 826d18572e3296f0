"""Hostile uploads refused before any parser or the store sees them: decompression bombs (checked
before python-docx opens the zip), binaries under a text name, and names that try to leave the
uploads folder. No model needed, except for the one test that ingests hostile names."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.service import safe_file_name
from desk.errors import LoadError
from ingest.loaders import ArchiveLimits, load
from tests.api.checks import assert_problem
from tests.ingest.files import make_docx, make_pdf, make_settings, markdown

pytestmark = pytest.mark.badinput

LIMITS = ArchiveLimits(max_unpacked_bytes=50 * 1024 * 1024, max_ratio=100)


def bomb(good_docx: bytes, member_bytes: int) -> bytes:
    """A real DOCX plus one member of `member_bytes` zeros: a few kilobytes on disk."""
    out = io.BytesIO(good_docx)
    with zipfile.ZipFile(out, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/media/padding.xml", b"\0" * member_bytes)
    return out.getvalue()


@pytest.fixture(scope="module")
def good_docx(tmp_path_factory) -> bytes:
    folder = tmp_path_factory.mktemp("docx")
    return make_docx(folder / "good.docx", "Good", [("Heading 1", "Withdrawal"), ("", "A withdrawal takes effect after six months.")]).read_bytes()


@pytest.fixture
def no_docx_parser(monkeypatch):
    """python-docx must never see a refused file: opening one fails the test."""
    import docx

    def refuse(*args, **kwargs):
        raise AssertionError("python-docx was called on a file the guard should have refused")

    monkeypatch.setattr(docx, "Document", refuse)


@pytest.mark.parametrize("unpacked, words", [(60 * 1024 * 1024, ["unpack", "DESK_MAX_UNPACKED_BYTES"]),
                                             (5 * 1024 * 1024, ["expands", "DESK_MAX_COMPRESSION_RATIO"])])
def test_a_docx_bomb_is_refused_before_python_docx_reads_it(good_docx: bytes, no_docx_parser, unpacked: int, words: list[str]):
    data = bomb(good_docx, unpacked)
    assert len(data) < 200_000  # small on the wire

    with pytest.raises(LoadError) as caught:
        load(Path("bomb.docx"), data, limits=LIMITS)

    assert "decompression bomb" in caught.value.reason
    for word in words:
        assert word.replace(",", "") in caught.value.reason.replace(",", ""), (word, caught.value.reason)


def test_a_docx_bomb_upload_is_a_422_and_nothing_is_stored(good_docx: bytes, no_docx_parser, tmp_path: Path):
    settings = make_settings(tmp_path / "store")
    client = TestClient(create_app(settings), raise_server_exceptions=False)
    response = client.post("/api/documents", files={"file": ("report.docx", bomb(good_docx, 60 * 1024 * 1024), "application/octet-stream")})
    assert_problem(response, 422, "decompression bomb", "report.docx")
    assert not (settings.index_dir / "uploads").exists()


def test_an_ordinary_docx_passes_the_guard(good_docx: bytes):
    document = load(Path("good.docx"), good_docx, limits=LIMITS)
    assert "six months" in document.text


def test_the_limits_are_settings(good_docx: bytes, tmp_path: Path, monkeypatch):
    from desk.settings import Settings

    monkeypatch.setenv("DESK_MAX_UNPACKED_BYTES", "1000")
    limits = ArchiveLimits.of(Settings())
    assert limits.max_unpacked_bytes == 1000
    with pytest.raises(LoadError, match="DESK_MAX_UNPACKED_BYTES"):
        load(Path("good.docx"), good_docx, limits=limits)


@pytest.mark.parametrize("name, maker, words", [
    ("notes.md", "pdf", ["looks like a PDF"]),
    ("notes.txt", "zip", ["looks like a ZIP"]),
    ("page.html", "docx", ["looks like a"]),
    ("notes.md", "gzip", ["looks like a GZ"]),
    ("notes.txt", "rtf", ["looks like a RTF"]),
])
def test_type_is_detected_by_content_not_extension(tmp_path: Path, good_docx: bytes, name: str, maker: str, words: list[str]):
    data = {
        "pdf": lambda: make_pdf(tmp_path / "x.pdf", "X", [["Some text."]]).read_bytes(),
        "zip": lambda: _zip({"a.txt": b"text"}),
        "docx": lambda: good_docx,
        "gzip": lambda: __import__("gzip").compress(b"text " * 100),
        "rtf": lambda: b"{\\rtf1\\ansi Latvia left the treaty.}",
    }[maker]()
    client = TestClient(create_app(make_settings(tmp_path / "store")), raise_server_exceptions=False)
    assert_problem(client.post("/api/documents", files={"file": (name, data, "text/plain")}), 422, *words)


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    return out.getvalue()


@pytest.mark.parametrize("given, expected", [
    ("../../x.md", "x.md"),
    ("/etc/cron.d/evil.md", "evil.md"),
    ("C:\\Windows\\System32\\evil.md", "evil.md"),
    ("a\x00b.md", "a-b.md"),
    ("evil.md\x00.png", "evil-md.png"),
    ("....//....//x.md", "x.md"),
    ("%2e%2e%2fx.md", "2e-2e-2fx.md"),
    ("\u202etxt.md", "txt.md"),  # a right-to-left override hiding the real extension
    ("x" * 500 + ".md", "x" * 120 + ".md"),
])
def test_hostile_names_become_plain_names(given: str, expected: str):
    assert safe_file_name(given) == expected


@pytest.mark.slow
def test_hostile_names_are_stored_inside_the_uploads_folder(tmp_path: Path):
    settings = make_settings(tmp_path / "deep" / "store", feedback_file=tmp_path / "f.jsonl")
    client = TestClient(create_app(settings), raise_server_exceptions=False)
    names = ["../../../escape.md", "/tmp/absolute.md", "nul\x00byte.md"]
    files = [("files", (name, markdown({"id": f"hostile-{i}", "title": f"Hostile {i}"}, f"# Hostile {i}\n\nPassage number {i} of a hostile upload.\n").encode(),
                        "text/markdown")) for i, name in enumerate(names)]
    absolute_existed = Path("/tmp/absolute.md").exists()
    response = client.post("/api/documents", files=files)
    assert response.status_code == 200, response.text
    stored = sorted(p.name for p in (settings.index_dir / "uploads").iterdir())
    assert stored[:2] == ["absolute.md", "escape.md"] and len(stored) == 3
    assert stored[2].startswith("nul-") and "\x00" not in stored[2]  # the client may send the NUL as %00
    assert not (tmp_path / "escape.md").exists() and not (tmp_path / "deep" / "escape.md").exists()
    assert Path("/tmp/absolute.md").exists() == absolute_existed
