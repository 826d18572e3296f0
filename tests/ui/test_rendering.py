"""The UI's pure rendering: answers become HTML with linked markers, source text never becomes
markup (an uploaded file may hold any HTML), exports are Markdown with their sources."""

from __future__ import annotations

from datetime import date

import gradio as gr
import pytest

from ingest.documents import SourceDocument, SourceMeta
from ingest.source_texts import SourceTexts
from tests.ingest.files import make_settings
from api.service import Desk
from ui import answer_html, chat_messages, export_markdown, parse_filters, sources_html

EVIL = 'Mines <script>alert(1)</script> and <img src=x onerror=alert(2)> "quoted".'


def _answer(text: str, start: int, end: int) -> dict:
    citation = {"n": 1, "source_id": "evil", "title": "<b>Title</b>", "publisher": "P", "date": None, "url": "javascript:alert(3)",
                "heading": "H", "quote": text[start:end], "start": start, "end": end, "score": 0.9}
    return {"answer": f"{text[start:end]} [1]", "abstained": False, "citations": [citation], "timings_ms": {},
            "sentences": [{"text": text[start:end], "citations": [1]}]}


@pytest.fixture
def desk(tmp_path) -> Desk:
    settings = make_settings(tmp_path / "store")
    text = "Before the span. " + EVIL + " After the span.\n"
    SourceTexts(settings.index_dir).save(SourceDocument(meta=SourceMeta(id="evil", title="<b>Title</b>"), text=text))
    return Desk(settings)


def test_answers_link_markers_and_escape_source_text(desk: Desk):
    text = desk.source("evil").text
    start = text.index("Mines")
    answer = _answer(text, start, start + len(EVIL))
    rendered = answer_html(3, answer)
    assert '<a class="desk-marker" href="#cite-3-1"' in rendered and ">[1]</a>" in rendered
    assert "<script>" not in rendered and "<img" not in rendered and "&lt;script&gt;" in rendered
    messages = chat_messages([{"question": "<i>q</i>", "answer": answer}], pending="next?", partial="par")
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[0]["content"] == "&lt;i&gt;q&lt;/i&gt;" and messages[-1]["content"].endswith("▌")


def test_sources_panel_highlights_the_span_in_context_and_escapes_everything(desk: Desk):
    text = desk.source("evil").text
    start = text.index("Mines")
    panel = sources_html(desk, [{"question": "first", "answer": _answer(text, start, start + 5)},
                                {"question": "second", "answer": _answer(text, start, start + len(EVIL))}])
    assert 'id="cite-0-1"' in panel and 'id="cite-1-1"' in panel
    assert panel.index('<section class="desk-turn" data-turn="1"') < panel.index('data-turn="0"><h3>')  # newest first
    assert 'class="desk-turn desk-inactive" data-turn="0"' in panel  # only the latest is shown
    assert "<mark>Mines</mark>" in panel and "Before the span." in panel
    assert "<script>" not in panel and "<img" not in panel and "<b>Title" not in panel
    assert "javascript:" not in panel  # only http(s) links to originals


def test_one_card_per_source_with_each_cited_passage_numbered(desk: Desk):
    text = desk.source("evil").text
    answer = _answer(text, text.index("Mines"), text.index("Mines") + 5)
    later = dict(answer["citations"][0], n=2, start=text.index("After"), end=text.index("After") + 5, quote="After")
    answer["citations"].append(later)
    answer["sentences"].append({"text": "After", "citations": [2]})
    panel = sources_html(desk, [{"question": "q", "answer": answer}])
    assert panel.count('<article class="desk-cite"') == 1  # both passages are of one source
    assert "<header>[1][2] &lt;b&gt;Title" in panel
    assert panel.index('id="cite-0-1"') < panel.index('id="cite-0-2"')  # in the order they stand in the text
    assert '<span class="desk-num">[2]</span>' in panel and "<mark>After</mark>" in panel


def test_each_turn_keeps_its_sources_behind_a_tab(desk: Desk):
    text = desk.source("evil").text
    turns = [{"question": f"question {i}", "answer": _answer(text, 0, 6)} for i in range(3)]
    panel = sources_html(desk, turns)
    assert [f'data-turn="{i}"' in panel.split("</nav>")[0] for i in range(3)] == [True] * 3
    assert '<button type="button" class="desk-turn-tab desk-current" data-turn="2"' in panel
    assert "<nav" not in sources_html(desk, turns[:1])  # one turn: nothing to choose


def test_sources_panel_survives_a_deleted_source(desk: Desk):
    answer = _answer("x" * 50, 0, 10)
    answer["citations"][0]["source_id"] = "gone"
    assert "<mark>xxxxxxxxxx</mark>" in sources_html(desk, [{"question": "q", "answer": answer}])


def test_export_is_markdown_with_sources():
    answer = _answer("Tartu hosted the signing.", 0, 25)
    answer["citations"][0]["url"] = "https://example.org/a"
    exported = export_markdown([{"question": "Where?", "answer": answer}])
    assert exported.startswith("# Ottawa Desk conversation")
    assert "## 1. Where?" in exported and "Tartu hosted the signing. [1]" in exported
    assert "[1] <b>Title</b> — P, undated. <https://example.org/a>" in exported
    assert "> Tartu hosted the signing." in exported and "characters 0–25 of `evil`" in exported


def test_filters_from_the_form():
    filters = parse_filters(["Latvia"], None, ["en"], "2025-06-01 00:00:00", "")
    assert filters.countries == ["Latvia"] and filters.languages == ["en"] and filters.kinds == []
    assert filters.date_from == date(2025, 6, 1) and filters.date_to is None
    with pytest.raises(gr.Error):
        parse_filters(None, None, None, "June", None)
