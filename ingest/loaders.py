"""Read a file into a SourceDocument, one loader per format, each on a well-kept library.

Every loader returns Markdown-flavoured text (headings as '#' lines, blocks separated by blank
lines) so that one splitter serves all formats. Anything unreadable raises LoadError with the
path and a reason a user can act on."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from desk.errors import LoadError, UnsupportedFileType
from desk.settings import Settings, get_settings
from ingest import language
from ingest.documents import COUNTRIES, SourceDocument, SourceMeta

SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".docx")
_TEXT_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm")


@dataclass(frozen=True)
class ArchiveLimits:
    """How far a zip-based file (DOCX) may expand; from Settings.max_unpacked_bytes and
    Settings.max_compression_ratio."""

    max_unpacked_bytes: int
    max_ratio: float

    @classmethod
    def of(cls, settings: Settings) -> ArchiveLimits:
        return cls(settings.max_unpacked_bytes, settings.max_compression_ratio)


def load(path: Path, data: bytes | None = None, name: str | None = None, limits: ArchiveLimits | None = None) -> SourceDocument:
    """Load `path` (or `data` named `name`, for uploads). The format is chosen by suffix and
    checked against the content, so a renamed binary is refused rather than mis-parsed; a zip
    container is checked against `limits` before any parser opens it."""
    name = name or path.name
    suffix = Path(name).suffix.lower()
    loader = _LOADERS.get(suffix)
    if loader is None:
        raise UnsupportedFileType(str(path), f"unsupported file type {suffix or '(none)'}; use one of {', '.join(SUPPORTED_SUFFIXES)}")
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise LoadError(str(path), f"cannot read file ({exc.strerror})") from exc
    if not data.strip():
        raise LoadError(str(path), "file is empty")
    _check_content_matches(path, suffix, data)
    if suffix == ".docx":
        if limits is None:  # a caller without settings of its own (tests, scripts): the environment's
            limits = ArchiveLimits.of(get_settings())
        check_archive(path, data, limits)
    try:
        title, text, meta = loader(path, data)
    except LoadError:
        raise
    except Exception as exc:  # a damaged file can fail deep inside pypdf/python-docx/zlib in many ways
        raise LoadError(str(path), f"corrupt or unreadable {suffix[1:].upper()} file ({type(exc).__name__}: {exc})") from exc
    text = _normalise(text)
    if not text.strip():
        raise LoadError(str(path), "no text could be extracted (a scanned PDF or an empty document?)")
    return SourceDocument(meta=_build_meta(Path(name), title, text, meta, path), text=text)


def _check_content_matches(path: Path, suffix: str, data: bytes) -> None:
    if suffix == ".pdf":
        if not data.lstrip().startswith(b"%PDF-"):
            raise LoadError(str(path), "not a PDF file (no %PDF header)")
    elif suffix == ".docx":
        if not data.startswith(b"PK"):
            raise LoadError(str(path), "not a DOCX file (not a zip container)")
    elif suffix in _TEXT_SUFFIXES:
        import filetype

        # A known binary signature (PDF, zip, image, …) under a text name: say what it is, rather
        # than the vaguer "binary" or "not valid UTF-8" the checks below would give.
        kind = filetype.guess(data[:8192])
        if kind is not None:
            raise LoadError(str(path), f"looks like a {kind.extension.upper()} file ({kind.mime}), not plain text "
                                       "(binary content under a text name); give it its real extension or convert it to text")
        if b"\x00" in data[:8192]:
            raise LoadError(str(path), "looks like a binary file, not text")


def check_archive(path: Path, data: bytes, limits: ArchiveLimits) -> None:
    """Refuse a zip bomb before anything decompresses it: the sizes its directory declares are
    summed and compared with the limits. zipfile never yields more than a member's declared size
    (it truncates, then fails the CRC), so a lying directory can't get past this either."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise LoadError(str(path), f"corrupt or unreadable {path.suffix[1:].upper() or 'zip'} file ({exc})") from exc
    unpacked = sum(m.file_size for m in members)
    packed = max(sum(m.compress_size for m in members), 1)
    if unpacked > limits.max_unpacked_bytes:
        raise LoadError(str(path), f"refused: it would unpack to {unpacked:,} bytes, over the limit of "
                                   f"{limits.max_unpacked_bytes:,} (DESK_MAX_UNPACKED_BYTES); a decompression bomb?")
    if unpacked / packed > limits.max_ratio:
        raise LoadError(str(path), f"refused: it expands {unpacked / packed:,.0f} times when unpacked, over the limit of "
                                   f"{limits.max_ratio:,.0f} (DESK_MAX_COMPRESSION_RATIO); a decompression bomb?")


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(str(path), f"not valid UTF-8 text (bad byte at offset {exc.start}); re-save the file as UTF-8") from exc


def _load_markdown(path: Path, data: bytes) -> tuple[str | None, str, dict]:
    text = _decode(path, data)
    meta: dict = {}
    match = re.match(r"^---[ \t]*\r?\n(.*?)\r?\n---[ \t]*\r?\n?", text, re.S)
    if match:
        try:
            meta = yaml.safe_load(match.group(1)) or {}
        except (yaml.YAMLError, ValueError) as exc:  # ValueError: an impossible date such as 2025-13-45
            raise LoadError(str(path), f"bad YAML front matter: {str(exc).splitlines()[0]}") from exc
        if not isinstance(meta, dict):
            raise LoadError(str(path), "bad YAML front matter: expected key: value pairs")
        text = text[match.end():]
    heading = re.search(r"^#\s+(.+)$", text, re.M)
    return (heading.group(1).strip() if heading else None), text, meta


def _load_text(path: Path, data: bytes) -> tuple[str | None, str, dict]:
    return None, _decode(path, data), {}


def _load_html(path: Path, data: bytes) -> tuple[str | None, str, dict]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "html.parser")
    for tag in soup(["script", "style", "nav", "footer", "header", "noscript", "form"]):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    blocks: list[str] = []
    root = soup.body or soup
    for el in root.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "blockquote", "pre", "td"]):
        if el.find_parent(["li", "blockquote", "td"]) is not None and el.name in ("p",):
            continue
        # Inline tags join as a browser shows them ("<b>Convention</b>." -> "Convention."), not with
        # a space at every tag boundary, which put "Convention ." into quoted citations.
        words = " ".join(el.get_text().split())
        if not words:
            continue
        if el.name.startswith("h"):
            blocks.append("#" * int(el.name[1]) + " " + words)
        else:
            blocks.append(words)
    if not blocks:
        text = root.get_text("\n\n", strip=True)
        blocks = [text] if text else []
    return title, "\n\n".join(blocks), {}


def _load_pdf(path: Path, data: bytes) -> tuple[str | None, str, dict]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise LoadError(str(path), "PDF is encrypted; save an unencrypted copy")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = (reader.metadata.title if reader.metadata else None) or None
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise LoadError(str(path), f"corrupt or unreadable PDF ({exc})") from exc
    # pypdf keeps hard line breaks inside paragraphs; blank lines between pages keep page
    # boundaries as block boundaries for the splitter.
    return title, "\n\n".join(p.strip() for p in pages if p.strip()), {}


def _load_docx(path: Path, data: bytes) -> tuple[str | None, str, dict]:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise LoadError(str(path), f"corrupt or unreadable DOCX ({exc})") from exc
    blocks = []
    for paragraph in document.paragraphs:
        words = paragraph.text.strip()
        if not words:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        level = re.match(r"Heading (\d)", style)
        if style == "Title":
            blocks.append("# " + words)
        elif level:
            blocks.append("#" * min(int(level.group(1)) + 1, 6) + " " + words)
        else:
            blocks.append(words)
    title = document.core_properties.title or None
    return title, "\n\n".join(blocks), {}


_LOADERS: dict[str, Callable[[Path, bytes], tuple[str | None, str, dict]]] = {
    ".md": _load_markdown,
    ".markdown": _load_markdown,
    ".txt": _load_text,
    ".html": _load_html,
    ".htm": _load_html,
    ".pdf": _load_pdf,
    ".docx": _load_docx,
}


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def slugify(stem: str) -> str:
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-zA-Z0-9]+", "-", ascii_stem).strip("-").lower()
    return slug or "document"


def detect_countries(text: str) -> tuple[str, ...]:
    return tuple(c for c in COUNTRIES if c in text)


def _build_meta(name: Path, title: str | None, text: str, given: dict, path: Path) -> SourceMeta:
    def text_field(key: str, default: str = "") -> str:
        value = given.get(key, default)
        if value is not None and not isinstance(value, (str, int, float)):
            raise LoadError(str(path), f"bad front matter: {key!r} must be text")
        return default if value is None else str(value)

    countries = given.get("countries")
    if countries is not None and not (isinstance(countries, list) and all(isinstance(c, str) for c in countries)):
        raise LoadError(str(path), "bad front matter: 'countries' must be a list of names")
    source_id = text_field("id") or slugify(name.stem)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}", source_id):
        raise LoadError(str(path), f"bad front matter: id {source_id!r} may hold only letters, digits, '.', '_' and '-'")
    notes = given.get("notes") or []
    if not (isinstance(notes, list) and all(isinstance(n, str) for n in notes)):
        raise LoadError(str(path), "bad front matter: 'notes' must be a list of short texts")
    date = given.get("date")
    return SourceMeta(
        id=source_id,
        title=text_field("title") or title or name.stem,
        publisher=text_field("publisher"),
        date=None if date is None else str(date),
        url=text_field("url"),
        kind=text_field("kind", "document") or "document",
        countries=tuple(countries) if countries is not None else detect_countries(text),
        language=text_field("language") or language.detect(text),
        completeness=text_field("completeness", "full") or "full",
        dateline=text_field("dateline") or None,
        byline=text_field("byline") or None,
        notes=tuple(notes),
    )
