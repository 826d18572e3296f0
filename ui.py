"""python ui.py [--host H] [--port P] [--store DIR]: one process serving the chat UI at /, the
HTTP API at /api and the OpenAI-compatible API at /v1, around one Assistant.

This module is only the UI: it asks through the same `Desk` the API uses (api/service.py), so
an upload here is seen by the API and the other way round. Every [n] in an answer is a link to
its card in the sources panel; a small script (JS below) shows and highlights the card instead
of navigating, because the cards of every turn stay in the panel and only one turn is shown."""

from __future__ import annotations

import argparse
import html
import ipaddress
import re
import secrets
import sys
import tempfile
import uuid
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import gradio as gr
from fastapi import FastAPI

from api.app import create_app
from api.service import Desk, Upload
from api.sources import split_span
from assistant.answer import Answer, Filters, Turn
from desk.cli import add_store_flags, settings_from
from desk.errors import DeskError, LoadError
from desk.settings import Settings
from ingest.documents import COUNTRIES, SourceMeta
from ingest.loaders import SUPPORTED_SUFFIXES

EXAMPLES = [
    "When did Lithuania's withdrawal from the Ottawa Convention take effect?",
    "How many members of the Saeima voted for leaving the convention?",
    "What does Article 20 say about withdrawal?",
    "Which countries announced plans to withdraw on 18 March 2025?",
    "When did the Finnish Parliament approve the withdrawal?",
]
CONTEXT_CHARS = 280  # text shown around a cited span in its card
KINDS = ["treaty", "statement", "news", "background", "legislation", "document"]

CSS = """
#desk-sources { max-height: 78vh; overflow-y: auto; }
.desk-turn.desk-inactive { display: none; }
.desk-turn h3 { font-size: 0.95rem; margin: 0 0 .5rem; }
.desk-cite { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .6rem .8rem; margin-bottom: .6rem; }
.desk-cite.desk-active { border-color: var(--color-accent); box-shadow: 0 0 0 2px var(--color-accent-soft); }
.desk-cite header { font-weight: 600; }
.desk-cite .desk-meta { font-size: .85rem; opacity: .8; margin: .2rem 0 .4rem; }
.desk-cite .desk-about { font-size: .8rem; opacity: .6; font-style: italic; margin: 0 0 .4rem; }
.desk-cite .desk-passage { font-size: .92rem; line-height: 1.45; }
.desk-cite mark { background: #ffe58a; color: inherit; padding: 0 .1rem; }
.desk-marker { text-decoration: none; font-weight: 600; }
"""

# Runs once on page load. Capture phase: the chatbot's own link handling never sees the click.
JS = """
() => {
  document.addEventListener('click', (event) => {
    const link = event.target.closest ? event.target.closest('a[href^="#cite-"]') : null;
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const card = document.getElementById(link.getAttribute('href').slice(1));
    if (!card) return;
    const group = card.closest('.desk-turn');
    document.querySelectorAll('.desk-turn').forEach((g) => g.classList.toggle('desk-inactive', g !== group));
    document.querySelectorAll('.desk-cite.desk-active').forEach((c) => c.classList.remove('desk-active'));
    card.classList.add('desk-active');
    card.scrollIntoView({behavior: 'smooth', block: 'center'});
  }, true);
}
"""

Conversation = list[dict[str, Any]]  # [{"question": str, "answer": Answer JSON}], oldest first


# -- rendering (pure functions of the conversation) ------------------------------------------

def answer_html(turn: int, answer: dict[str, Any]) -> str:
    titles = {c["n"]: c["title"] for c in answer["citations"]}
    parts = []
    for sentence in answer["sentences"]:
        marks = "".join(
            f'<a class="desk-marker" href="#cite-{turn}-{n}" title="{html.escape(titles.get(n, ""))}">[{n}]</a>'
            for n in sentence["citations"]
        )
        parts.append(html.escape(sentence["text"], quote=False) + (f" {marks}" if marks else ""))
    return " ".join(parts) or html.escape(answer["answer"])


def chat_messages(conversation: Conversation, pending: str | None = None, partial: str = "") -> list[dict[str, str]]:
    messages: list[dict[str, str]] = []
    for turn, item in enumerate(conversation):
        messages.append({"role": "user", "content": html.escape(item["question"], quote=False)})
        messages.append({"role": "assistant", "content": answer_html(turn, item["answer"])})
    if pending is not None:
        messages.append({"role": "user", "content": html.escape(pending, quote=False)})
        messages.append({"role": "assistant", "content": html.escape(partial, quote=False) + " ▌"})
    return messages


def sources_html(desk: Desk, conversation: Conversation) -> str:
    if not conversation:
        return ('<div class="desk-empty">Ask a question: the passages its answer cites appear here, highlighted in '
                'their source. Click an [n] marker in an answer to show its passage.</div>')
    groups = []
    for turn, item in enumerate(conversation):
        cards = [_card(desk, turn, c) for c in item["answer"]["citations"]] or ["<p>No passage is cited for this answer.</p>"]
        hidden = "" if turn == len(conversation) - 1 else " desk-inactive"
        groups.append(f'<section class="desk-turn{hidden}" data-turn="{turn}"><h3>Sources for: {html.escape(item["question"])}</h3>'
                      + "".join(cards) + "</section>")
    return "".join(reversed(groups))


def _card(desk: Desk, turn: int, citation: dict[str, Any]) -> str:
    about = ""
    try:
        document = desk.source(citation["source_id"])
        before, marked, after = split_span(document.text, citation["start"], citation["end"], context=CONTEXT_CHARS)
        about = _about(document.meta)
    except DeskError:  # the source was deleted since: show the quote alone
        before, marked, after = "", citation["quote"], ""
    meta = " · ".join(html.escape(p) for p in (citation["publisher"], citation["date"] or "undated", citation["heading"]) if p)
    link = (f' · <a href="{html.escape(citation["url"])}" target="_blank" rel="noopener noreferrer">original ↗</a>'
            if citation["url"].startswith(("http://", "https://")) else "")
    return (
        f'<article class="desk-cite" id="cite-{turn}-{citation["n"]}">'
        f'<header>[{citation["n"]}] {html.escape(citation["title"])}</header>'
        f'<div class="desk-meta">{meta}{link}</div>{about}'
        f'<div class="desk-passage">{_plain(before)}<mark>{_plain(marked)}</mark>{_plain(after)}</div>'
        "</article>"
    )


def _about(meta: SourceMeta) -> str:
    """The muted line about the source itself (dateline, byline, what the stored copy lacks):
    context for the reader, never quoted as evidence."""
    line = about_line(meta)
    return f'<div class="desk-about">{html.escape(line)}</div>' if line else ""


def about_line(meta: SourceMeta) -> str:
    return " · ".join(p for p in (meta.dateline, meta.byline, *meta.notes) if p)


def _plain(text: str) -> str:
    """Source text (Markdown) as readable HTML: no heading hashes or emphasis stars, line breaks kept."""
    text = re.sub(r"(?m)^#{1,6}\s+", "", text)
    text = re.sub(r"\*{1,2}([^*\n]+)\*{1,2}", r"\1", text)
    return html.escape(text, quote=False).replace("\n\n", "<br>").replace("\n", " ")


def export_markdown(conversation: Conversation) -> str:
    lines = ["# Ottawa Desk conversation", "", f"Exported {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC.", ""]
    for number, item in enumerate(conversation, 1):
        answer = item["answer"]
        lines += [f"## {number}. {item['question']}", "", answer["answer"], ""]
        if answer["citations"]:
            lines += ["**Sources**", ""]
            for c in answer["citations"]:
                where = ", ".join(p for p in (c["publisher"], c["date"] or "undated") if p)
                lines.append(f"[{c['n']}] {c['title']} — {where}" + (f". <{c['url']}>" if c["url"] else ""))
                lines.append(f"> {c['quote']}")
                lines.append(f"> ({c['heading'] + '; ' if c['heading'] else ''}characters {c['start']}–{c['end']} of `{c['source_id']}`)")
                lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def library_rows(desk: Desk) -> list[list[str]]:
    return [[m.id, m.title, m.publisher, m.date or "", m.kind, m.language, ", ".join(m.countries),
             f"[original ↗]({m.url})" if m.url.startswith(("http://", "https://")) else "",
             about_line(m)] for m in desk.sources()]


def parse_filters(countries: list[str] | None, kinds: list[str] | None, languages: list[str] | None,
                  date_from: str | None, date_to: str | None) -> Filters:
    return Filters(countries=countries or [], kinds=kinds or [], languages=languages or [],
                   date_from=_day(date_from, "From"), date_to=_day(date_to, "To"))


def _day(value: str | float | None, label: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        if isinstance(value, (int, float)):
            return datetime.fromtimestamp(value, timezone.utc).date()
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError as exc:
        raise gr.Error(f"{label} date {value!r} is not a date (YYYY-MM-DD)") from exc


# -- the Blocks ------------------------------------------------------------------------------

def build_ui(desk: Desk) -> gr.Blocks:
    export_dir = Path(tempfile.gettempdir()) / "ottawa-desk-exports"
    language_choices = sorted({m.language for m in desk.sources()} | {"en"})

    # Defaults make every filter optional for API clients: `predict(question, api_name="/chat")`.
    def chat(message: str, conversation: Conversation | None = None, countries: list[str] | None = None,
             kinds: list[str] | None = None, languages: list[str] | None = None, date_from: str | None = None,
             date_to: str | None = None):
        """Ask a question; streams the chat (each [n] links to its cited passage)."""
        conversation = list(conversation or [])
        question = (message or "").strip()
        if not question:
            raise gr.Error("Type a question first.")
        if len(question) > desk.settings.max_question_chars:
            raise gr.Error(f"The question is {len(question):,} characters long; the limit is {desk.settings.max_question_chars:,}.")
        filters = parse_filters(countries, kinds, languages, date_from, date_to)
        history = [Turn(role=role, content=text) for item in conversation
                   for role, text in (("user", item["question"]), ("assistant", item["answer"]["answer"]))]
        partial = ""
        yield chat_messages(conversation, question, partial), conversation
        try:
            for item in desk.assistant().stream(question, history, filters):
                if isinstance(item, Answer):
                    desk.answered(item)
                    conversation.append({"question": question, "answer": item.to_json()})
                    yield chat_messages(conversation), conversation
                else:
                    partial += item
                    yield chat_messages(conversation, question, partial), conversation
        except DeskError as exc:
            raise gr.Error(str(exc)) from exc

    def after_answer(conversation: Conversation | None):
        conversation = conversation or []
        if not conversation:
            return sources_html(desk, conversation), gr.DownloadButton(value=None, interactive=False)
        export_dir.mkdir(parents=True, exist_ok=True)
        path = export_dir / f"ottawa-desk-conversation-{uuid.uuid4().hex[:8]}.md"
        path.write_text(export_markdown(conversation), encoding="utf-8")
        return sources_html(desk, conversation), gr.DownloadButton(value=str(path), interactive=True)

    def rate(data: gr.LikeData, conversation: Conversation | None) -> None:
        turn = (data.index[0] if isinstance(data.index, (list, tuple)) else data.index) // 2
        if not conversation or turn >= len(conversation) or data.liked not in (True, False):
            return
        item = conversation[turn]
        desk.record_feedback({"source": "ui", "question": item["question"], "answer": item["answer"]["answer"],
                              "rating": "up" if data.liked else "down", "comment": None,
                              "citations": [c["source_id"] for c in item["answer"]["citations"]]})
        gr.Info("Thanks, your rating is saved.", duration=3)

    def add_files(paths: list[str] | None, progress=gr.Progress()):
        paths = paths or []
        lines = []
        for i, path in enumerate(paths):
            name = Path(path).name
            progress((i, len(paths)), desc=f"Ingesting {name}")
            try:
                summary = desk.ingest_uploads([Upload(name=name, data=Path(path).read_bytes())])
            except DeskError as exc:
                reason = exc.reason if isinstance(exc, LoadError) else str(exc)  # a LoadError's str repeats the name
                lines.append(f"✗ **{html.escape(name)}**: {html.escape(reason)}")
                continue
            ids = ", ".join(f"`{s}`" for s in summary.source_ids)
            verb = "added" if summary.added else "updated" if summary.updated else "already in the library, nothing added"
            passages = f"{summary.chunks_embedded} passage{'s' if summary.chunks_embedded != 1 else ''} embedded"
            lines.append(f"✓ **{html.escape(name)}**: {verb} ({ids}; {passages})")
        progress((len(paths), len(paths)), desc="Done")
        status = "\n\n".join(lines) or "Choose one or more files first."
        return status, library_rows(desk), None

    with gr.Blocks(title="Ottawa Desk") as demo:
        gr.Markdown("# Ottawa Desk\nCited answers about the Mine Ban (Ottawa) Convention and the 2025 withdrawals. "
                    "Every sentence points at the passage that says it; click a marker like [1] to see it.")
        conversation = gr.State([])
        with gr.Tab("Ask"):
            with gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(elem_id="desk-chat", height=520, label="Conversation", buttons=["copy"],
                                         feedback_options=("Like", "Dislike"))
                    with gr.Row():
                        message = gr.Textbox(elem_id="desk-question", show_label=False, scale=5, autofocus=True,
                                             placeholder="Ask about the Ottawa Convention or the 2025 withdrawals…")
                        send = gr.Button("Ask", variant="primary", scale=1, elem_id="desk-ask")
                    gr.Examples(EXAMPLES, inputs=[message], label="Example questions")
                    with gr.Accordion("Filters", open=False):
                        with gr.Row():
                            countries = gr.Dropdown(list(COUNTRIES), multiselect=True, label="Countries")
                            kinds = gr.Dropdown(KINDS, multiselect=True, label="Kinds")
                            langs = gr.Dropdown(language_choices, multiselect=True, label="Languages")
                        with gr.Row():
                            date_from = gr.DateTime(include_time=False, type="string", label="From date")
                            date_to = gr.DateTime(include_time=False, type="string", label="To date")
                    with gr.Row():
                        clear = gr.Button("New conversation")
                        export = gr.DownloadButton("Export conversation (.md)", interactive=False, elem_id="desk-export")
                    with gr.Accordion("Add documents", open=False, elem_id="desk-upload"):
                        files = gr.File(file_count="multiple", file_types=list(SUPPORTED_SUFFIXES), label="Files (.md, .txt, .html, .pdf, .docx)")
                        add = gr.Button("Add to library", elem_id="desk-add")
                        upload_status = gr.Markdown(elem_id="desk-upload-status")
                with gr.Column(scale=2):
                    gr.Markdown("### Sources")
                    sources = gr.HTML(sources_html(desk, []), elem_id="desk-sources")
        with gr.Tab("Library"):
            gr.Markdown("Every source the desk answers from. Add files in the Ask tab or with `POST /api/documents`.")
            library = gr.Dataframe(library_rows(desk), headers=["id", "title", "publisher", "date", "kind", "language", "countries", "link", "about the copy"],
                                   datatype=["str"] * 7 + ["markdown", "str"], interactive=False, wrap=True, show_search="search",
                                   column_widths=["17%", "27%", "16%", "8%", "8%", "6%", "10%", "8%"],
                                   max_height=720, elem_id="desk-library")
        timeline_states, timeline_table = timeline_tab(desk)

        inputs = [message, conversation, countries, kinds, langs, date_from, date_to]
        for trigger, name in ((message.submit, "chat"), (send.click, "chat_button")):
            # The chat listener is registered first, so it takes the question before it is cleared.
            event = trigger(chat, inputs, [chatbot, conversation], api_name=name,
                            api_visibility="public" if name == "chat" else "private")
            event.then(after_answer, [conversation], [sources, export], api_visibility="private")
            trigger(lambda: "", None, message, queue=False, api_visibility="private")
        clear.click(lambda: ([], [], sources_html(desk, []), gr.DownloadButton(value=None, interactive=False)), None,
                    [chatbot, conversation, sources, export], api_visibility="private")
        # The chatbot's own trash button empties only the chatbot: forget the conversation too.
        chatbot.clear(lambda: ([], sources_html(desk, []), gr.DownloadButton(value=None, interactive=False)), None,
                      [conversation, sources, export], api_visibility="private")
        chatbot.like(rate, [conversation], None, api_visibility="private")
        # The library changes behind the page's back (API uploads): read it again on each load.
        demo.load(lambda: library_rows(desk), None, library, api_visibility="private")
        demo.load(lambda chosen: timeline_rows(desk, chosen), timeline_states, timeline_table, api_visibility="private")
        add.click(add_files, [files], [upload_status, library, files], api_visibility="private")
    return demo


# -- the Timeline tab ------------------------------------------------------------------------

def timeline_rows(desk: Desk, countries: list[str] | None = None) -> list[list[str]]:
    """One row per state, one column per step: the date shown (what GET /api/timeline says),
    "unknown" when no source states it, marked when computed or when sources differ."""
    try:
        timeline = desk.timeline(countries or None)
    except DeskError:
        return []
    rows = []
    for state, row in timeline.states.items():
        cells = [state]
        for cell in row.values():
            text = cell.date or "unknown"
            if cell.computed:
                text += " (computed)"
            if cell.disagreements:
                text += " · sources differ: " + ", ".join(d.date for d in cell.disagreements)
            if cell.votes:
                text += f" · {cell.votes.in_favour} for" + "".join(f" vs {d.in_favour}" for d in cell.votes.disagreements)
            cells.append(text)
        rows.append(cells)
    return rows


def timeline_sources_html(desk: Desk, state: str, step: str) -> str:
    """The passages of one cell, as cards like the chat's: those that state its date, then those
    that state another."""
    from assistant.timeline import STEP_LABELS

    cell = desk.timeline([state]).cell(state, step)
    title = f"{html.escape(state)}: {html.escape(STEP_LABELS[step])}, {html.escape(cell.date or 'unknown')}"
    if cell.computed:
        title += " (computed: six months after the notice cited below, Article 20(3))"
    cards = [_card(desk, 0, c.model_dump()) for c in cell.citations]
    for other in cell.disagreements:
        cards.append(f"<h4>The sources differ: {html.escape(other.date)}</h4>")
        cards += [_card(desk, 0, c.model_dump()) for c in other.citations]
    if cell.votes:
        counts = [cell.votes, *cell.votes.disagreements]
        cards.append("<h4>Votes in favour: " + " vs ".join(f"{v.in_favour} " + "".join(f"[{c.n}]" for c in v.citations) for v in counts) + "</h4>")
        cards += [_card(desk, 0, c.model_dump()) for v in counts for c in v.citations]
    body = "".join(cards) or "<p>No source states this step; it is left unknown rather than guessed.</p>"
    return f'<section class="desk-turn" data-cell="{html.escape(state)}/{step}"><h3>{title}</h3>{body}</section>'


def timeline_tab(desk: Desk) -> tuple[gr.Dropdown, gr.Dataframe]:
    """The Timeline tab: a state × step table (filter by state); a click on a cell shows its
    passages in the tab's Sources panel."""
    from assistant.timeline import STEP_LABELS
    from ingest.timeline import STEPS

    headers = ["state", *(STEP_LABELS[s] for s in STEPS)]
    with gr.Tab("Timeline"):
        gr.Markdown("Each state's withdrawal, step by step: the date most sources state, with every source that states it. "
                    "Click a date to see its passages.")
        with gr.Row():
            with gr.Column(scale=3):
                states = gr.Dropdown(list(COUNTRIES), multiselect=True, label="States", elem_id="desk-timeline-states")
                table = gr.Dataframe(timeline_rows(desk), headers=headers, interactive=False, wrap=True,
                                     elem_id="desk-timeline")
            with gr.Column(scale=2):
                gr.Markdown("### Sources")
                panel = gr.HTML('<div class="desk-empty">Click a cell to see the passages that state it.</div>',
                                elem_id="desk-timeline-sources")

        def show(rows, evt: gr.SelectData) -> str:
            row, column = evt.index
            if column == 0:
                return '<div class="desk-empty">Click a date, not the state, to see its passages.</div>'
            state = rows.iloc[row, 0] if hasattr(rows, "iloc") else rows[row][0]
            return timeline_sources_html(desk, state, STEPS[column - 1])

        states.change(lambda chosen: timeline_rows(desk, chosen), states, table, api_visibility="private")
        table.select(show, table, panel, api_visibility="private")
    return states, table


# -- serving ---------------------------------------------------------------------------------

def create_server_app(settings: Settings) -> FastAPI:
    app = create_app(settings)
    demo = build_ui(app.state.desk)
    auth = None
    if settings.api_token is not None:
        token = settings.api_token.get_secret_value()
        auth = lambda _user, password: secrets.compare_digest(password.encode(), token.encode())  # noqa: E731
    # Mounted last: a route added after a mount at "/" would be shadowed by it.
    return gr.mount_gradio_app(app, demo, path="/", server_name=settings.host, server_port=settings.port,
                               css=CSS, js=JS, auth=auth, footer_links=["api"], max_file_size=settings.max_upload_bytes)


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python ui.py", description="Serve the chat UI at /, the API at /api and /v1.")
    parser.add_argument("--host", help="interface to bind (default: $DESK_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default: $DESK_PORT or 7860)")
    add_store_flags(parser)
    args = parser.parse_args(argv)
    settings = settings_from(args, host=args.host, port=args.port)
    if not _loopback(settings.host) and settings.api_token is None:
        print(f"error: binding {settings.host} exposes the desk beyond this machine, so it needs an access token. "
              "Set one and start again, e.g.\n"
              "  export DESK_API_TOKEN=$(python -c 'import secrets; print(secrets.token_urlsafe(32))')\n"
              "API clients then send `Authorization: Bearer <token>`; the UI asks for it as its password.",
              file=sys.stderr)
        return 2
    import uvicorn

    from api import access_log

    access_log.configure()  # one JSON line per request on stderr; uvicorn's own access log is off
    print(f"Ottawa Desk on http://{settings.host}:{settings.port}  (API docs at /docs, metrics at /metrics)", file=sys.stderr)
    uvicorn.run(create_server_app(settings), host=settings.host, port=settings.port, log_level="info", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
