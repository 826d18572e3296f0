"""Builders of small but real source files (Markdown, PDF, DOCX, HTML, broken ones) and helpers
to run ingest the way a user does: in this process, or as a separate `python -m ingest`."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import yaml

from desk.settings import Settings
from tests.paths import REPO_ROOT

# Three small sources, each passage a chunk of its own (a heading or a number per passage), so a
# test can change one passage and know exactly which chunk must be re-embedded.
TREATY = {
    "id": "alpha-treaty",
    "title": "Alpha treaty excerpt",
    "publisher": "Test depositary",
    "date": "1997-09-18",
    "url": "https://example.org/alpha",
    "kind": "treaty",
    "countries": [],
    "language": "en",
    "completeness": "excerpt",
}
TREATY_BODY = """# Alpha treaty excerpt

## Article 20 — Duration and withdrawal

**1.** The Convention has unlimited duration.

**2.** Every State Party has the right to withdraw from the Convention by notifying the Depositary and the other States Parties.

**3.** A withdrawal becomes effective only six months after the Depositary receives the instrument of withdrawal.

## Article 21 — Depositary

The Secretary-General of the United Nations is designated as the Depositary of this Convention.
"""

LATVIA = {
    "id": "beta-saeima",
    "title": "Saeima backs leaving the mine ban treaty",
    "publisher": "Beta News",
    "date": "2025-04-16",
    "url": "https://example.org/beta",
    "kind": "news",
    "countries": ["Latvia"],
    "language": "en",
    "completeness": "full",
    "dateline": "Riga, 16 April",
    "byline": "Beta staff",
    "notes": ["Only the beginning of the page was stored."],
}
LATVIA_BODY = """# Saeima backs leaving the mine ban treaty

## The vote

Latvia's parliament, the Saeima, voted to withdraw from the Ottawa Convention after a debate about the security of the eastern border.

## Reactions

Humanitarian groups said the decision of Latvia would put civilians at risk for decades after any conflict ends.
"""

LITHUANIA = {
    "id": "gamma-seimas",
    "title": "Lithuania's withdrawal takes effect",
    "publisher": "Gamma Diena",
    "date": "2025-12-27",
    "url": "https://example.org/gamma",
    "kind": "news",
    "countries": ["Lithuania"],
    "language": "en",
    "completeness": "full",
}
LITHUANIA_BODY = """# Lithuania's withdrawal takes effect

## Minister Šakalienė

Defence minister Dovilė Šakalienė said Lithuania's withdrawal from the convention had become effective six months after the notice.

## Local coverage

The Lithuanian press wrote that Lietuva oficialiai pasitraukė iš Otavos konvencijos, as the Seimas had decided.
"""

SOURCES = {"alpha.md": (TREATY, TREATY_BODY), "beta.md": (LATVIA, LATVIA_BODY), "gamma.md": (LITHUANIA, LITHUANIA_BODY)}


def markdown(meta: dict | None, body: str) -> str:
    if meta is None:
        return body
    return "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---\n\n" + body


def write_sources(folder: Path, names: tuple[str, ...] = ("alpha.md", "beta.md", "gamma.md")) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        meta, body = SOURCES[name]
        (folder / name).write_text(markdown(meta, body), encoding="utf-8")
    return folder


def make_settings(store: Path, **overrides) -> Settings:
    """Settings for a store in `store`, never a server from the environment unless asked."""
    return Settings(**{"store": store, "chroma_url": None, **overrides})


def make_pdf(path: Path, title: str, pages: list[list[str]]) -> Path:
    """A real PDF (fpdf2) with a title in its metadata, one list of paragraphs per page."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title(title)
    pdf.set_font("Helvetica", size=12)
    for paragraphs in pages:
        pdf.add_page()
        for paragraph in paragraphs:
            pdf.multi_cell(0, 8, paragraph)
            pdf.ln(8)
    pdf.output(str(path))
    return path


def make_docx(path: Path, title: str | None, blocks: list[tuple[str, str]]) -> Path:
    """A real DOCX (python-docx): blocks are (style, text) with style "Title", "Heading N" or "".
    `title` goes into the document's core properties."""
    import docx

    document = docx.Document()
    if title:
        document.core_properties.title = title
    for style, text in blocks:
        if style == "Title":
            document.add_heading(text, level=0)
        elif style.startswith("Heading "):
            document.add_heading(text, level=int(style.split()[1]))
        else:
            document.add_paragraph(text)
    document.save(str(path))
    return path


def corrupt_docx(good: bytes) -> bytes:
    """A DOCX whose zip directory is intact but whose compressed main part is garbage: the kind of
    damage that fails deep inside zlib rather than at opening the zip."""
    with zipfile.ZipFile(io.BytesIO(good)) as z:
        info = z.getinfo("word/document.xml")
    data = bytearray(good)
    # local file header: 30 bytes + name + extra, then the deflate stream
    name_len = int.from_bytes(data[info.header_offset + 26 : info.header_offset + 28], "little")
    extra_len = int.from_bytes(data[info.header_offset + 28 : info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len
    for i in range(start + 2, start + min(info.compress_size, 64)):
        data[i] = 0xFF
    return bytes(data)


def python(*args: str, timeout: float = 180, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run this virtualenv's python in a NEW process from the repository root."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def ingest_cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return python("-m", "ingest", *args, timeout=timeout)


def json_line(stdout: str) -> dict:
    """The summary object `python -m ingest --json` prints (its last non-empty line)."""
    return json.loads([line for line in stdout.splitlines() if line.strip()][-1])


def chroma_content(store: Path) -> list[str]:
    """Chroma's database as SQL, less the row Chroma itself writes on every client open (its
    `acquire_write` lock table): what changes only when records are written."""
    import sqlite3

    connection = sqlite3.connect(f"file:{store / 'chroma.sqlite3'}?mode=ro", uri=True)
    try:
        return [line for line in connection.iterdump() if '"acquire_write"' not in line]
    finally:
        connection.close()


# -- files that must be refused ----------------------------------------------------------------


def _good_pdf(tmp_path: Path) -> bytes:
    return make_pdf(tmp_path / "good.pdf", "Good", [["A good PDF page of text."]]).read_bytes()


def _good_docx(tmp_path: Path) -> bytes:
    return make_docx(tmp_path / "good.docx", "Good", [("", "A good paragraph.")]).read_bytes()


BAD_FILES = {
    # name: (bytes, or a builder of bytes given a scratch folder; words the reason must contain).
    # Every one must be refused with its path and reason, and skipped by ingest.
    "corrupt.pdf": (b"%PDF-1.7\n" + b"garbage \x00\xff" * 200, "corrupt or unreadable PDF"),
    "truncated.pdf": (lambda tmp: _good_pdf(tmp)[:300], "corrupt or unreadable PDF"),
    "bad-filter.pdf": (lambda tmp: _good_pdf(tmp).replace(b"/FlateDecode", b"/FlateDecodX"), "corrupt or unreadable PDF"),
    "renamed.pdf": (b"Just words in a text file that someone renamed.\n", "not a PDF file"),
    "renamed.docx": (b"Just words, not a zip container.\n", "not a DOCX file"),
    "corrupt.docx": (lambda tmp: corrupt_docx(_good_docx(tmp)), "corrupt or unreadable DOCX"),
    "binary.txt": (bytes(range(256)) * 8, "binary file"),
    "empty.md": (b"", "file is empty"),
    "blank.txt": (b" \n\n\t\n", "file is empty"),
    "latin1.txt": ("Caf\xe9 in Riga; na\xefve r\xe9sum\xe9 of the vote.\n".encode("latin-1"), "not valid UTF-8"),
    "latin1.md": ("---\ntitle: Sejm\n---\n\nG\xb3osowanie w Sejmie.\n".encode("latin-1"), "not valid UTF-8"),
    "bad-yaml.md": (b"---\ntitle: [unclosed\nid: x\n---\n\nBody text.\n", "bad YAML front matter"),
    "list-yaml.md": (b"---\n- just\n- a list\n---\n\nBody text.\n", "bad YAML front matter"),
    "bad-date.md": (b"---\ndate: 2025-13-45\n---\n\nBody text.\n", "bad YAML front matter"),
    "bad-id.md": (b"---\nid: has spaces/and slash\n---\n\nBody text.\n", "id"),
    "bad-countries.md": (b"---\ncountries: Latvia\n---\n\nBody text.\n", "'countries' must be a list"),
    "only-front-matter.md": (b"---\ntitle: Nothing below\n---\n\n", "no text could be extracted"),
    "notes.rtf": (b"{\\rtf1 Latvia left the treaty.}", "unsupported file type .rtf"),
}
