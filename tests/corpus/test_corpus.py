"""The corpus is the product's evidence: every source has its document, every document carries
complete metadata, and no fact of the source was lost on the way from the fact sheets."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from tests.paths import CORPUS_DIR, SHARED_DIR

FACTS_DIR = SHARED_DIR / "corpus-facts"
DEV_QUESTIONS = SHARED_DIR / "evals-dev" / "questions.jsonl"
SHIPPED_QUESTIONS = Path(__file__).resolve().parents[2] / "evals" / "questions" / "dev.jsonl"

REQUIRED_META = ("id", "title", "publisher", "date", "url", "kind", "countries", "language", "completeness")
# Facts about the source rather than in it: shown on the source card, never indexed.
ABOUT_META = ("dateline", "byline", "notes")
KINDS = {"treaty", "statement", "news", "background", "legislation"}
LANGUAGES = {"en", "pl", "fi", "et", "lv", "lt", "ro"}

needs_shared = pytest.mark.skipif(not FACTS_DIR.is_dir(), reason="../shared/corpus-facts is not beside this checkout")


def read_doc(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    match = re.match(r"^---\n(.*?)\n---\n(.*)$", text, re.S)
    assert match, f"{path.name}: no YAML front matter"
    return yaml.safe_load(match.group(1)), match.group(2)


def fact_sheets() -> list[Path]:
    return sorted(FACTS_DIR.glob("*.yaml")) if FACTS_DIR.is_dir() else []


def corpus_docs() -> list[Path]:
    return sorted(p for p in CORPUS_DIR.glob("*.md") if p.name != "README.md")


def all_facts(sheet: dict) -> list[str]:
    facts = list(sheet.get("facts") or []) + list(sheet.get("facts_original_language") or [])
    facts += sheet.get("preamble") or []
    for article in sheet.get("articles") or []:
        for paragraph in article["paragraphs"]:
            facts += paragraph["facts"]
    return facts


# Tokens a rewording must not lose: figures, and capitalised words inside a sentence (names,
# titles, places). Sentence-initial words are skipped because prose may legitimately reorder.
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NAME = re.compile(r"(?<=[\s(\"“„«])[^\W\d_][\w’'-]*")


def salient_tokens(fact: str) -> set[str]:
    tokens = set(_NUMBER.findall(fact)) | set(_NAME.findall(fact))
    return {t.rstrip("'’-") for t in tokens if t.isdigit() or (len(t) > 1 and t[0].isupper())}


@needs_shared
def test_every_source_has_its_document():
    missing = [p.stem for p in fact_sheets() if not (CORPUS_DIR / f"{p.stem}.md").is_file()]
    assert not missing, f"sources without a corpus document: {missing}"
    extra = [p.stem for p in corpus_docs() if not (FACTS_DIR / f"{p.stem}.yaml").is_file()]
    assert not extra, f"corpus documents with no source in corpus-facts: {extra}"


@pytest.mark.parametrize("path", corpus_docs(), ids=lambda p: p.stem)
def test_front_matter_is_complete_and_valid(path: Path):
    meta, body = read_doc(path)
    assert set(REQUIRED_META) <= set(meta), f"missing keys: {set(REQUIRED_META) - set(meta)}"
    assert meta["id"] == path.stem
    assert meta["kind"] in KINDS
    assert meta["language"] in LANGUAGES
    assert meta["completeness"] in {"full", "excerpt"}
    assert isinstance(meta["countries"], list)
    assert str(meta["url"]).startswith("http")
    assert meta["date"] is None or re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", str(meta["date"]))
    assert len(body.strip()) > 200
    assert set(ABOUT_META) <= set(meta), f"missing keys: {set(ABOUT_META) - set(meta)}"
    assert meta["dateline"] is None or isinstance(meta["dateline"], str)
    assert meta["byline"] is None or isinstance(meta["byline"], str)
    assert isinstance(meta["notes"], list) and all(isinstance(n, str) and n for n in meta["notes"])
    if meta["completeness"] == "excerpt":
        assert meta["notes"], "an excerpt says in its notes what the stored copy lacks"
    if meta["language"] != "en":
        assert "\n## English summary\n" in body, "a non-English source needs its English summary"


@needs_shared
@pytest.mark.parametrize("sheet_path", fact_sheets(), ids=lambda p: p.stem)
def test_document_matches_its_fact_sheet(sheet_path: Path):
    sheet = yaml.safe_load(sheet_path.read_text(encoding="utf-8"))
    meta, body = read_doc(CORPUS_DIR / f"{sheet_path.stem}.md")
    for key in REQUIRED_META:
        if key == "date" and sheet["date"] is None and meta["date"] is not None:
            # An undated sheet's date may be filled only from the source's own dateline.
            assert meta["dateline"], "a date the fact sheet lacks needs the dateline it comes from"
            continue
        assert meta[key] == sheet[key], f"front matter {key!r} differs from the fact sheet"
    # A fact about the stored copy (its dateline, a missing year) survives in the metadata.
    kept = "\n".join([body, meta["dateline"] or "", meta["byline"] or "", *meta["notes"]])
    lost = {}
    for fact in all_facts(sheet):
        missing = sorted(t for t in salient_tokens(fact) if t not in kept)
        if missing:
            lost[fact[:90]] = missing
    assert not lost, "facts whose figures or names are missing from the document:\n" + "\n".join(
        f"  {k} … -> {v}" for k, v in lost.items()
    )


def _question_sets() -> list[Path]:
    return [p for p in (DEV_QUESTIONS, SHIPPED_QUESTIONS) if p.is_file()]


def _questions() -> list[dict]:
    seen, out = set(), []
    for path in _question_sets():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                q = json.loads(line)
                if q["id"] not in seen and q["sources"]:
                    seen.add(q["id"])
                    out.append(q)
    return out


@pytest.mark.parametrize("question", _questions(), ids=lambda q: q["id"])
def test_key_facts_appear_in_a_listed_source(question: dict):
    texts = [(CORPUS_DIR / f"{sid}.md").read_text(encoding="utf-8").lower() for sid in question["sources"]]
    for group in question["key_facts"]:
        assert any(alt.lower() in text for alt in group for text in texts), (
            f"none of {group} appears in {question['sources']}"
        )


# Sentences about the document instead of what it says. The source's own reporting of someone
# else ("Reuters reported that …") is fine; the corpus talking about its copy is not.
SELF_REFERENCE = re.compile(
    r"\bthe (report|article|page|piece|story|excerpt|release|post|dispatch|text|summary|document|item)"
    r"('s)? (says|said|notes|noted|adds|added|reports|reported|states|stated|is dated|was published|"
    r"is timestamped|attributes|quotes|quoted|cites|recalls|mentions|is headlined|carries)\b"
    r"|\bstored (copy|excerpt|text|page)\b|\bdatelined\b|\btimestamped\b|\bno year (is )?shown\b"
    r"|\bexcerpt (breaks|ends|stops) off\b|\bbreaks off mid\b|\bis undated\b|\bundated in\b"
    r"|^\*[^*\n]+ · [^*\n]+\*$",
    re.I | re.M,
)


@pytest.mark.parametrize("path", corpus_docs(), ids=lambda p: p.stem)
def test_body_states_what_the_source_says_not_notes_about_it(path: Path):
    _, body = read_doc(path)
    found = sorted({m.group(0) for m in SELF_REFERENCE.finditer(body)})
    assert not found, f"notes about the document in its indexed text: {found}"
    assert "## About the stored copy" not in body


def test_self_reference_patterns_catch_the_old_register():
    old = [
        "The report is datelined Baku, Azerbaijan, 30 June; it says Lithuania handed its notice.",
        "The article is dated 10:54.",
        "The page is timestamped 29 June, 16:19 (no year shown).",
        "The sentence is incomplete in the stored copy.",
        "*Trend News Agency · undated in the stored copy · original: https://en.trend.az/x*",
    ]
    assert all(SELF_REFERENCE.search(line) for line in old)
    new = [
        "On 27 June 2025 Lithuania handed its notice of withdrawal to the UN Secretary-General.",
        "Šakalienė said the regional coalition sends one clear message.",
        "Reuters reported in early July that Lithuania and Finland planned to produce mines.",
    ]
    assert not any(SELF_REFERENCE.search(line) for line in new)
