"""Every format a user may drop in loads to the same Markdown-flavoured text with its metadata, and
every file that can't be read is refused with its path and a reason, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from desk.errors import LoadError, UnsupportedFileType
from ingest.loaders import SUPPORTED_SUFFIXES, load, slugify
from tests.ingest.files import BAD_FILES, LATVIA, LATVIA_BODY, make_docx, make_pdf, markdown
from tests.paths import CORPUS_DIR


def heading_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("#")]


# -- Markdown ---------------------------------------------------------------------------------


def test_markdown_front_matter_becomes_metadata_and_is_not_text(tmp_path: Path):
    path = tmp_path / "beta.md"
    path.write_text(markdown(LATVIA, LATVIA_BODY), encoding="utf-8")

    document = load(path)

    assert document.meta.to_dict() == {**LATVIA, "countries": ["Latvia"]}
    assert "publisher:" not in document.text and "---" not in document.text
    assert "Riga, 16 April" not in document.text and "page was stored" not in document.text
    assert document.text.startswith("# Saeima backs leaving the mine ban treaty\n")
    assert heading_lines(document.text) == ["# Saeima backs leaving the mine ban treaty", "## The vote", "## Reactions"]
    assert "the Saeima, voted to withdraw" in document.text


def test_markdown_unquoted_yaml_date_is_kept_as_iso_text(tmp_path: Path):
    path = tmp_path / "d.md"
    path.write_text("---\nid: dated\ndate: 2025-06-27\n---\n\nLatvia left on this day.\n", encoding="utf-8")

    assert load(path).meta.date == "2025-06-27"


def test_markdown_without_front_matter_takes_title_from_heading_and_id_from_file_name(tmp_path: Path):
    path = tmp_path / "Šakalienė visit notes.md"
    path.write_text("Intro line.\n\n# Minister visits Poland\n\nLithuania and Poland discussed the Ottawa Convention.\n", encoding="utf-8")

    meta = load(path).meta

    assert meta.id == "sakaliene-visit-notes"
    assert meta.title == "Minister visits Poland"
    assert meta.countries == ("Lithuania", "Poland")  # detected from the text when not given
    assert meta.kind == "document" and meta.completeness == "full"


def test_every_corpus_document_loads_with_its_front_matter():
    paths = sorted(p for p in CORPUS_DIR.glob("*.md") if p.name != "README.md")
    assert len(paths) > 40
    for path in paths:
        document = load(path)
        assert document.meta.id == path.stem
        assert document.meta.url.startswith("http")
        assert not document.text.startswith("---")


def test_bom_and_windows_line_ends_are_normalised(tmp_path: Path):
    path = tmp_path / "win.md"
    path.write_bytes("\ufeff---\r\nid: win\r\ntitle: Windows file\r\n---\r\n\r\n## Part\r\n\r\nText with CRLF.\r\n".encode())

    document = load(path)

    assert document.meta.title == "Windows file"
    assert "\r" not in document.text
    assert document.text == "## Part\n\nText with CRLF.\n"


# -- plain text, HTML --------------------------------------------------------------------------


def test_plain_text_uses_file_name_and_detects_countries_and_language(tmp_path: Path):
    path = tmp_path / "seimas_vote.txt"
    path.write_text(
        "Lietuvos Seimas balsavo už pasitraukimą iš Otavos konvencijos. "
        "Krašto apsaugos ministerija teigė, kad sprendimas buvo priimtas atsižvelgiant į saugumo padėtį regione "
        "ir į Lietuvos bei Lenkijos bendrą poziciją. Sprendimą palaikė dauguma Seimo narių.\n",
        encoding="utf-8",
    )

    document = load(path)

    assert document.meta.id == "seimas-vote"
    assert document.meta.title == "seimas_vote"
    assert document.meta.language == "lt"
    assert document.text.startswith("Lietuvos Seimas balsavo")


def test_html_keeps_title_headings_and_paragraphs_and_drops_page_furniture(tmp_path: Path):
    path = tmp_path / "page.html"
    path.write_text(
        """<!doctype html><html><head><title>Estonia votes to leave</title>
        <style>p { color: red }</style><script>var tracking = 1;</script></head>
        <body><nav><a href="/">Home</a> Menu entry</nav>
        <h1>Estonia votes to leave</h1>
        <p>The Riigikogu voted to withdraw from the <b>Ottawa Convention</b>.</p>
        <p>Vote: 80 for,<br>0 against.</p>
        <h2>Reactions</h2>
        <ul><li>The ICBL regretted the vote.</li><li>The government welcomed it.</li></ul>
        <footer>Copyright footer text</footer></body></html>""",
        encoding="utf-8",
    )

    document = load(path)

    assert document.meta.title == "Estonia votes to leave"
    assert document.meta.countries == ("Estonia",)
    assert heading_lines(document.text) == ["# Estonia votes to leave", "## Reactions"]
    # inline markup joins as a browser shows it: no stray space before the full stop
    assert "The Riigikogu voted to withdraw from the Ottawa Convention.\n" in document.text
    assert "Vote: 80 for,\n" not in document.text and "Vote: 80 for, 0 against." in document.text
    assert "The ICBL regretted the vote.\n\nThe government welcomed it." in document.text
    for furniture in ("tracking", "color: red", "Menu entry", "Copyright footer"):
        assert furniture not in document.text


# -- PDF, DOCX ---------------------------------------------------------------------------------


def test_pdf_text_title_and_page_boundaries(tmp_path: Path):
    path = make_pdf(
        tmp_path / "notice.pdf",
        "Instrument of withdrawal",
        [
            ["Lithuania deposited its instrument of withdrawal with the Secretary-General.", "The withdrawal takes effect six months later."],
            ["Latvia deposited its own instrument on the same day."],
        ],
    )

    document = load(path)

    assert document.meta.title == "Instrument of withdrawal"
    assert document.meta.id == "notice"
    assert document.meta.countries == ("Lithuania", "Latvia")
    assert "Lithuania deposited its instrument of withdrawal with the Secretary-General." in document.text
    assert "The withdrawal takes effect six months later." in document.text
    # a page break is a block boundary
    assert "six months later.\n\nLatvia deposited" in document.text


def test_docx_headings_become_markdown_headings(tmp_path: Path):
    path = make_docx(
        tmp_path / "memo.docx",
        "Cabinet memo on the Convention",
        [
            ("Title", "Memo on the Ottawa Convention"),
            ("Heading 1", "Background"),
            ("", "Finland's government proposed leaving the Convention."),
            ("Heading 2", "Timeline"),
            ("", "The Eduskunta voted 157 to 18."),
        ],
    )

    document = load(path)

    assert document.meta.title == "Cabinet memo on the Convention"
    assert document.meta.countries == ("Finland",)
    assert heading_lines(document.text) == ["# Memo on the Ottawa Convention", "## Background", "### Timeline"]
    assert document.text == (
        "# Memo on the Ottawa Convention\n\n## Background\n\nFinland's government proposed leaving the Convention.\n\n"
        "### Timeline\n\nThe Eduskunta voted 157 to 18.\n"
    )


def test_upload_bytes_are_loaded_by_their_given_name(tmp_path: Path):
    document = load(tmp_path / "upload-1234", data=b"## Part\n\nUploaded text about Poland.\n", name="Polish note.md")

    assert document.meta.id == "polish-note"
    assert document.meta.countries == ("Poland",)


# -- files that must be refused ----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_is_refused_with_path_and_reason(tmp_path: Path, name: str):
    content, reason = BAD_FILES[name]
    path = tmp_path / name
    path.write_bytes(content(tmp_path) if callable(content) else content)

    with pytest.raises(LoadError) as caught:
        load(path)

    assert caught.value.path == str(path)
    assert reason in caught.value.reason
    assert str(caught.value) == f"{path}: {caught.value.reason}"


def test_unsupported_extension_is_its_own_error_listing_the_supported_ones(tmp_path: Path):
    path = tmp_path / "slides.pptx"
    path.write_bytes(b"PK\x03\x04whatever")

    with pytest.raises(UnsupportedFileType) as caught:
        load(path)

    assert all(suffix in caught.value.reason for suffix in SUPPORTED_SUFFIXES)


def test_missing_file_is_a_load_error(tmp_path: Path):
    with pytest.raises(LoadError, match="cannot read file"):
        load(tmp_path / "gone.md")


def test_slugify_folds_accents_and_never_returns_empty():
    assert slugify("Dz.U. 2025 poz. 1514 — uzasadnienie") == "dz-u-2025-poz-1514-uzasadnienie"
    assert slugify("Łódź") == "odz"  # NFKD has no decomposition for Ł; the slug stays usable
    assert slugify("———") == "document"
