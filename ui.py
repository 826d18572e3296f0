"""python ui.py [--host H] [--port P] [--store DIR]: one process serving the chat UI at /, the
HTTP API at /api and the OpenAI-compatible API at /v1, around one Assistant. It opens the store
and loads the model before it binds, so the first question does not wait for them.

This module is only the UI: it asks through the same `Desk` the API uses (api/service.py), so
an upload here is seen by the API and the other way round. Every [n] in an answer is a link to
its passage in the sources panel (one card per source, each cited passage numbered in it); a
small script (JS below) shows the passage instead of navigating, scrolling only the panel (the
cards of every turn stay in it and one turn is shown), previews the quote on hover, and opens the
panel as a drawer on narrow screens. Gradio API clients get `/chat` (the chat as HTML) and `/ask`
(the Answer as JSON)."""

from __future__ import annotations

import argparse
import html
import ipaddress
import re
import secrets
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import gradio as gr
from fastapi import FastAPI

from api.app import create_app
from api.deps import token_id
from api.service import Desk, Upload
from api.sources import split_span
from assistant.answer import Answer, Filters, Turn
from desk.cli import add_store_flags, settings_from
from desk.errors import DeskError, LoadError
from desk.settings import Settings
from ingest.documents import COUNTRIES, SourceMeta
from ingest.language import passage_language
from ingest.loaders import SUPPORTED_SUFFIXES

EXAMPLES = [
    "When did Lithuania's withdrawal from the Ottawa Convention take effect?",
    "How many members of the Saeima voted for leaving the convention?",
    "What does Article 20 say about withdrawal?",
    "Which countries announced plans to withdraw on 18 March 2025?",
    "When did the Finnish Parliament approve the withdrawal?",
]
CONTEXT_CHARS = 280  # text shown around a cited span in its card (half of it when a card holds several)
KINDS = ["treaty", "statement", "news", "background", "legislation", "document"]
COUNTER_FROM = 0.8  # the character counter appears at this share of the question limit

CSS = """
#desk-sources { max-height: 78vh; overflow-y: auto !important; overscroll-behavior: contain; }  /* Gradio sets its blocks visible */
.desk-turns { display: flex; flex-wrap: wrap; gap: .3rem; margin: 0 0 .6rem; }
.desk-turn-tab { border: 1px solid var(--border-color-primary); border-radius: 999px; padding: .1rem .6rem;
  background: none; cursor: pointer; font-size: .85rem; }
.desk-turn-tab.desk-current { border-color: var(--color-accent); background: var(--color-accent-soft); }
.desk-turn.desk-inactive { display: none; }
.desk-turn h3 { font-size: 0.95rem; margin: 0 0 .5rem; }
.desk-cite { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .6rem .8rem; margin-bottom: .6rem; }
.desk-cite.desk-active { border-color: var(--color-accent); }
.desk-cite header { font-weight: 600; }
.desk-cite .desk-meta { font-size: .85rem; opacity: .8; margin: .2rem 0 .4rem; }
.desk-cite .desk-about { font-size: .8rem; opacity: .6; font-style: italic; margin: 0 0 .4rem; }
.desk-passage { font-size: .92rem; line-height: 1.45; padding: .3rem .4rem; border-radius: 6px; margin: .2rem 0; }
.desk-passage + .desk-passage { border-top: 1px dashed var(--border-color-primary); }
.desk-passage.desk-active { box-shadow: 0 0 0 2px var(--color-accent-soft); }
.desk-passage .desk-num { font-weight: 700; margin-right: .3rem; }
.desk-passage .desk-heading { display: block; font-size: .78rem; opacity: .65; }
.desk-cite mark { background: #ffe58a; color: inherit; padding: 0 .1rem; }
.desk-marker { text-decoration: none; font-weight: 600; }
#desk-preview { position: fixed; z-index: 2000; max-width: min(420px, 90vw); padding: .55rem .7rem; border-radius: 8px;
  background: var(--background-fill-primary); border: 1px solid var(--border-color-primary);
  box-shadow: 0 6px 24px rgba(0,0,0,.18); font-size: .88rem; line-height: 1.4; pointer-events: none; }
#desk-preview strong { display: block; font-size: .8rem; margin-bottom: .25rem; }
#desk-notice, #desk-notice * { color: var(--error-text-color, #b91c1c) !important; font-size: .9rem; }
#desk-notice:empty, #desk-notice .prose:empty { display: none; }
#desk-counter { font-size: .8rem; opacity: .75; text-align: right; min-height: 0; }
#desk-counter.desk-over { color: var(--error-text-color, #b91c1c); opacity: 1; font-weight: 600; }
.desk-narrow-only { display: none !important; }
#desk-library td, #desk-library th, #desk-library td span { word-break: normal !important; overflow-wrap: break-word; hyphens: manual; }
#desk-viewer { max-height: 60vh; overflow-y: auto; border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .6rem .8rem; }
#desk-viewer:empty { display: none; }
@media (max-width: 768px) {
  .desk-narrow-only { display: block !important; }
  #desk-sources-col { position: fixed !important; inset: 0; z-index: 1000; background: var(--background-fill-primary);
    padding: .8rem; overflow-y: auto; transform: translateX(100%); transition: transform .2s ease; min-width: 0 !important;
    flex-wrap: nowrap !important; }  /* a wrapping flex column of fixed height would start a second column off-screen */
  #desk-sources-col.desk-open { transform: none; }
  #desk-sources { max-height: none; }
}
"""

# Runs once on page load. Capture phase: the chatbot's own link handling never sees the click.
JS = """
() => {
  const panel = () => document.getElementById('desk-sources');
  const narrow = () => window.matchMedia('(max-width: 768px)').matches;
  const showTurn = (turn) => {
    document.querySelectorAll('.desk-turn').forEach((g) => g.classList.toggle('desk-inactive', g.dataset.turn !== String(turn)));
    document.querySelectorAll('.desk-turn-tab').forEach((t) => t.classList.toggle('desk-current', t.dataset.turn === String(turn)));
  };
  // Scroll the Sources panel, and only it: scrollIntoView would scroll the page as well.
  const scrollPanelTo = (el) => {
    const box = narrow() ? document.getElementById('desk-sources-col') : panel();
    if (!box) return;
    const top = el.getBoundingClientRect().top - box.getBoundingClientRect().top + box.scrollTop - 12;
    box.scrollTo({top: Math.max(0, top), behavior: 'smooth'});
  };
  // On the column, not <body>: Gradio scopes this page's CSS inside its own container.
  const openDrawer = (open) => { const col = document.getElementById('desk-sources-col'); if (col) col.classList.toggle('desk-open', open); };
  const preview = document.createElement('div');
  preview.id = 'desk-preview';
  preview.hidden = true;
  document.body.appendChild(preview);

  document.addEventListener('click', (event) => {
    const target = event.target;
    if (!target.closest) return;
    const link = target.closest('a[href^="#cite-"]');
    if (link) {
      event.preventDefault();
      event.stopPropagation();
      preview.hidden = true;
      const passage = document.getElementById(link.getAttribute('href').slice(1));
      if (!passage) return;
      showTurn(passage.closest('.desk-turn').dataset.turn);
      document.querySelectorAll('.desk-active').forEach((c) => c.classList.remove('desk-active'));
      passage.classList.add('desk-active');
      passage.closest('.desk-cite').classList.add('desk-active');
      if (narrow()) openDrawer(true);
      requestAnimationFrame(() => scrollPanelTo(passage));
      return;
    }
    const tab = target.closest('.desk-turn-tab');
    if (tab) { showTurn(tab.dataset.turn); return; }
    if (target.closest('#desk-sources-back')) { openDrawer(false); return; }
    if (target.closest('#desk-sources-open')) { openDrawer(true); return; }
    // Clicking an answer (not a button in it) shows that turn's sources.
    const bot = target.closest('#desk-chat [data-testid="bot"]');
    if (bot && !target.closest('button')) {
      const bots = Array.from(document.querySelectorAll('#desk-chat [data-testid="bot"]'));
      showTurn(bots.indexOf(bot));
    }
  }, true);

  // Hover on a marker: the quoted passage, from its card in the Sources panel.
  document.addEventListener('mouseover', (event) => {
    const link = event.target.closest ? event.target.closest('a[href^="#cite-"]') : null;
    if (!link) return;
    const passage = document.getElementById(link.getAttribute('href').slice(1));
    const mark = passage && passage.querySelector('mark');
    if (!mark) return;
    const title = passage.closest('.desk-cite').querySelector('header');
    preview.replaceChildren();
    const head = document.createElement('strong');
    head.textContent = title ? title.textContent : '';
    const quote = document.createElement('span');
    quote.textContent = '“' + mark.textContent.trim() + '”';
    preview.append(head, quote);
    preview.hidden = false;
    const r = link.getBoundingClientRect();
    const width = Math.min(420, window.innerWidth * 0.9);
    preview.style.left = Math.max(8, Math.min(r.left, window.innerWidth - width - 8)) + 'px';
    const below = r.bottom + 8;
    preview.style.top = (below + preview.offsetHeight < window.innerHeight ? below : Math.max(8, r.top - preview.offsetHeight - 8)) + 'px';
  });
  document.addEventListener('mouseout', (event) => {
    const link = event.target.closest ? event.target.closest('a[href^="#cite-"]') : null;
    if (link && !link.contains(event.relatedTarget)) preview.hidden = true;
  });

  // The character counter under the question box, shown near the limit.
  document.addEventListener('input', (event) => {
    if (!event.target.closest || !event.target.closest('#desk-question')) return;
    const counter = document.getElementById('desk-counter');
    if (!counter) return;
    const limit = Number(counter.dataset.limit), used = event.target.value.length;
    counter.textContent = used >= limit * Number(counter.dataset.from) ? used.toLocaleString('en') + ' / ' + limit.toLocaleString('en') + ' characters' : '';
    counter.classList.toggle('desk-over', used > limit);
  });
}
"""

Conversation = list[dict[str, Any]]  # [{"question": str, "answer": Answer JSON}], oldest first
LOADING = "Loading the model… (only the first question after a start waits for this)"


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
                'their source. Hover over an [n] marker to read its passage; click it to show it here.</div>')
    last = len(conversation) - 1
    tabs = ""
    if len(conversation) > 1:  # every turn keeps its sources: pick one to see them
        tabs = '<nav class="desk-turns" aria-label="Sources of each question">' + "".join(
            f'<button type="button" class="desk-turn-tab{" desk-current" if turn == last else ""}" data-turn="{turn}" '
            f'title="{html.escape(item["question"])}">Q{turn + 1}</button>' for turn, item in enumerate(conversation)) + "</nav>"
    groups = []
    for turn, item in enumerate(conversation):
        cards = _cards(desk, turn, item["answer"]["citations"]) or ["<p>No passage is cited for this answer.</p>"]
        hidden = "" if turn == last else " desk-inactive"
        groups.append(f'<section class="desk-turn{hidden}" data-turn="{turn}"><h3>Sources for: {html.escape(item["question"])}</h3>'
                      + "".join(cards) + "</section>")
    return tabs + "".join(reversed(groups))


def _cards(desk: Desk, turn: int, citations: list[dict[str, Any]], first: int = 0) -> list[str]:
    """One card per source of `citations`, in order of first citation."""
    by_source: dict[str, list[dict[str, Any]]] = {}
    for citation in citations:
        by_source.setdefault(citation["source_id"], []).append(citation)
    return [_card(desk, turn, first + k, cited) for k, cited in enumerate(by_source.values())]


def _card(desk: Desk, turn: int, index: int, citations: list[dict[str, Any]]) -> str:
    """One card per source, each of its cited passages highlighted and numbered in it."""
    first = citations[0]
    about, text = "", None
    try:
        document = desk.source(first["source_id"])
        text, about = document.text, _about(document.meta)
    except DeskError:  # the source was deleted since: show the quotes alone
        pass
    context = CONTEXT_CHARS if len(citations) == 1 else CONTEXT_CHARS // 2
    passages = []
    for citation in sorted(citations, key=lambda c: c["start"]):
        if text is not None:
            before, marked, after = split_span(text, citation["start"], citation["end"], context=context)
        else:
            before, marked, after = "", citation["quote"], ""
        heading = f'<span class="desk-heading">{html.escape(citation["heading"])}</span>' if citation["heading"] else ""
        passages.append(f'<div class="desk-passage" id="cite-{turn}-{citation["n"]}" data-n="{citation["n"]}">{heading}'
                        f'<span class="desk-num">[{citation["n"]}]</span>{_plain(before)}<mark>{_plain(marked)}</mark>{_plain(after)}</div>')
    numbers = "".join(f'[{c["n"]}]' for c in citations)
    languages = dict.fromkeys(passage_language(c.get("language", "en")) for c in citations)
    meta = " · ".join(html.escape(p) for p in (first["publisher"], first["date"] or "undated", *languages) if p)
    link = (f' · <a href="{html.escape(first["url"])}" target="_blank" rel="noopener noreferrer">original ↗</a>'
            if first["url"].startswith(("http://", "https://")) else "")
    return (
        f'<article class="desk-cite" id="src-{turn}-{index}" data-source="{html.escape(first["source_id"])}">'
        f'<header>{numbers} {html.escape(first["title"])}</header>'
        f'<div class="desk-meta">{meta}{link}</div>{about}{"".join(passages)}'
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
                where = ", ".join(p for p in (c["publisher"], c["date"] or "undated", passage_language(c.get("language", "en"))) if p)
                lines.append(f"[{c['n']}] {c['title']} — {where}" + (f". <{c['url']}>" if c["url"] else ""))
                lines.append(f"> {c['quote']}")
                lines.append(f"> ({c['heading'] + '; ' if c['heading'] else ''}characters {c['start']}–{c['end']} of `{c['source_id']}`)")
                lines.append("")
    return "\n".join(lines).rstrip() + "\n"


LIBRARY_HEADERS = ["id", "title", "publisher", "date", "kind", "language", "countries", "origin", "link", "about the copy"]


def library_rows(desk: Desk) -> list[list[str]]:
    protected = desk.protected_ids()
    return [[m.id, m.title, m.publisher, m.date or "", m.kind, m.language, ", ".join(m.countries),
             "corpus" if m.id in protected else "upload",
             f"[original ↗]({m.url})" if m.url.startswith(("http://", "https://")) else "",
             about_line(m)] for m in desk.sources()]


def library_counts(desk: Desk) -> str:
    sources = desk.sources()
    corpus = len(desk.protected_ids())
    trashed = len(desk.trashed())
    return (f"**{len(sources)}** sources · **{desk.chunk_count()}** passages · {corpus} from the corpus · "
            f"{len(sources) - corpus} uploaded · {trashed} in the trash")


def source_view_html(desk: Desk, source_id: str) -> str:
    """A whole source, to read in the Library."""
    document = desk.source(source_id)
    meta = document.meta
    facts = " · ".join(html.escape(p) for p in (meta.publisher, meta.date or "undated", meta.kind) if p)
    link = (f' · <a href="{html.escape(meta.url)}" target="_blank" rel="noopener noreferrer">original ↗</a>'
            if meta.url.startswith(("http://", "https://")) else "")
    return (f'<article class="desk-cite desk-source" data-source="{html.escape(meta.id)}"><header>{html.escape(meta.title)}</header>'
            f'<div class="desk-meta">{facts}{link}</div>{_about(meta)}<div class="desk-passage">{_plain(document.text)}</div></article>')


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


def question_problem(desk: Desk, question: str) -> str | None:
    """Why a question can't be asked, or None."""
    if not question:
        return "Type a question first."
    limit = desk.settings.max_question_chars
    if len(question) > limit:
        return f"The question is {len(question):,} characters long; the limit is {limit:,}. Shorten it and ask again."
    return None


# -- the Blocks ------------------------------------------------------------------------------

def build_ui(desk: Desk) -> gr.Blocks:
    export_dir = Path(tempfile.gettempdir()) / "ottawa-desk-exports"
    language_choices = sorted({m.language for m in desk.sources()} | {"en"})
    token = desk.settings.api_token
    by = "ui " + (token_id(token.get_secret_value()) if token is not None else "loopback")  # for the audit log

    def history_of(conversation: Conversation) -> list[Turn]:
        """The turns as every face passes them: each answer with the sources it cited."""
        return [turn for item in conversation for turn in (
            Turn(role="user", content=item["question"]),
            Turn(role="assistant", content=item["answer"]["answer"],
                 sources=list(dict.fromkeys(c["source_id"] for c in item["answer"]["citations"]))),
        )]

    def answers(question: str, conversation: Conversation, filters: Filters):
        """(the text so far, None) while the answer streams, then (its text, Answer). Before
        the model is loaded (a question faster than the warm start), the text says so."""
        if not desk.assistant_ready:
            yield LOADING, None
        partial = ""
        for item in desk.assistant().stream(question, history_of(conversation), filters):
            if isinstance(item, Answer):
                desk.answered(item)
                yield partial, item
            else:
                partial += item
                yield partial, None

    # Defaults make every filter optional for API clients: `predict(question, api_name="/chat")`.
    def chat(message: str, conversation: Conversation | None = None, countries: list[str] | None = None,
             kinds: list[str] | None = None, languages: list[str] | None = None, date_from: str | None = None,
             date_to: str | None = None):
        """Ask a question; streams the chat (each [n] links to its cited passage)."""
        conversation = list(conversation or [])
        question = (message or "").strip()
        problem = question_problem(desk, question)
        if problem:
            raise gr.Error(problem)
        filters = parse_filters(countries, kinds, languages, date_from, date_to)
        yield chat_messages(conversation, question), conversation
        try:
            for partial, answer in answers(question, conversation, filters):
                if answer is None:
                    yield chat_messages(conversation, question, partial), conversation
                else:
                    conversation.append({"question": question, "answer": answer.to_json()})
                    yield chat_messages(conversation), conversation
        except DeskError as exc:
            raise gr.Error(str(exc)) from exc

    def ask(question: str, countries: list[str] | None = None, kinds: list[str] | None = None,
            languages: list[str] | None = None, date_from: str | None = None, date_to: str | None = None) -> dict:
        """Ask a question; returns the Answer as JSON: answer, abstained, sentences (each with the
        numbers of its citations) and citations (source, title, publisher, date, url, quote, start, end)."""
        text = (question or "").strip()
        problem = question_problem(desk, text)
        if problem:
            raise gr.Error(problem)
        try:
            answer = desk.assistant().ask(text, None, parse_filters(countries, kinds, languages, date_from, date_to))
        except DeskError as exc:
            raise gr.Error(str(exc)) from exc
        desk.answered(answer)
        return answer.to_json()

    def accept(message: str):
        """Before a question is asked in the page: refused ones stay in the box with the reason
        under it; accepted ones leave the box and go to `pending`."""
        question = (message or "").strip()
        problem = question_problem(desk, question)
        if problem:
            return gr.Textbox(value=message), problem, None
        return gr.Textbox(value=""), "", question

    def ui_chat(question: str | None, conversation: Conversation | None, countries, kinds, languages, date_from, date_to):
        """The page's chat: like `chat`, but a failure is a line under the box (the question goes
        back into it), never an error badge in the conversation."""
        conversation = list(conversation or [])
        if question is None:  # refused by `accept`
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        try:
            filters = parse_filters(countries, kinds, languages, date_from, date_to)
            yield chat_messages(conversation, question), conversation, gr.skip(), gr.skip()
            for partial, answer in answers(question, conversation, filters):
                if answer is None:
                    yield chat_messages(conversation, question, partial), conversation, gr.skip(), gr.skip()
                else:
                    conversation.append({"question": question, "answer": answer.to_json()})
                    yield chat_messages(conversation), conversation, gr.skip(), gr.skip()
        except (DeskError, gr.Error) as exc:
            reason = exc.message if isinstance(exc, gr.Error) else str(exc)
            yield chat_messages(conversation), conversation, reason, question

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

    def library_state():
        trashed = desk.trashed()
        return (library_rows(desk), library_counts(desk),
                gr.Dropdown(choices=[(f"{t.source_id} ({t.file}, deleted {t.deleted_at})", t.source_id) for t in trashed],
                            value=trashed[0].source_id if trashed else None))

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
        return status, *library_state(), None

    def open_source(event: gr.SelectData):
        """A click on a Library row opens that source below the table (the row as shown: the
        search box may have filtered the table)."""
        source_id = event.row_value[0]
        try:
            view = source_view_html(desk, source_id)
        except DeskError as exc:
            return str(exc), None, gr.Button(interactive=False)
        removable = not desk.is_protected(source_id) and desk.settings.allow_delete
        return view, source_id, gr.Button(value=f"Remove {source_id}" if removable else "Corpus sources can't be removed here",
                                          interactive=removable)

    def remove_source(source_id: str | None):
        if not source_id:
            return "Open a source first (click its row).", "", None, gr.Button(interactive=False), *library_state()
        try:
            desk.remove(source_id, by)
        except DeskError as exc:
            return f"✗ {html.escape(str(exc))}", gr.skip(), source_id, gr.skip(), *library_state()
        return (f"✓ **{source_id}** moved to the trash; restore it below.", "", None,
                gr.Button(value="Remove", interactive=False), *library_state())

    def restore_source(source_id: str | None):
        if not source_id:
            return "The trash is empty.", *library_state()
        try:
            desk.restore(source_id, by)
        except DeskError as exc:
            return f"✗ {html.escape(str(exc))}", *library_state()
        return f"✓ **{source_id}** is back in the library.", *library_state()

    with gr.Blocks(title="Ottawa Desk") as demo:
        gr.Markdown("# Ottawa Desk\nCited answers about the Mine Ban (Ottawa) Convention and the 2025 withdrawals. "
                    "Every sentence points at the passage that says it; hover over a marker like [1] to read it, click to see it in its source.")
        conversation = gr.State([])
        pending = gr.State(None)
        with gr.Tab("Ask"):
            with gr.Row():
                with gr.Column(scale=3):
                    # No label: Gradio draws it over the first message.
                    chatbot = gr.Chatbot(elem_id="desk-chat", height=520, show_label=False, buttons=["copy"],
                                         feedback_options=("Like", "Dislike"))
                    with gr.Row():
                        message = gr.Textbox(elem_id="desk-question", show_label=False, scale=5, autofocus=True,
                                             placeholder="Ask about the Ottawa Convention or the 2025 withdrawals…")
                        send = gr.Button("Ask", variant="primary", scale=1, elem_id="desk-ask")
                    notice = gr.Markdown("", elem_id="desk-notice")
                    gr.HTML(f'<div id="desk-counter" data-limit="{desk.settings.max_question_chars}" data-from="{COUNTER_FROM}" '
                            'aria-live="polite"></div>', padding=False)
                    gr.HTML('<button type="button" id="desk-sources-open" class="lg secondary">Sources ›</button>', padding=False,
                            elem_classes=["desk-narrow-only"])
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
                with gr.Column(scale=2, elem_id="desk-sources-col"):
                    gr.HTML('<button type="button" id="desk-sources-back" class="lg secondary">‹ Back to the answer</button>', padding=False,
                            elem_classes=["desk-narrow-only"])
                    gr.Markdown("### Sources")
                    sources = gr.HTML(sources_html(desk, []), elem_id="desk-sources")
        with gr.Tab("Library"):
            gr.Markdown("Every source the desk answers from. Click a row to read the source; uploads can be removed "
                        "(to the trash, restorable). Add files in the Ask tab or with `POST /api/documents`.")
            counts = gr.Markdown(elem_id="desk-library-counts")
            library = gr.Dataframe(library_rows(desk), headers=LIBRARY_HEADERS,
                                   datatype=["str"] * 8 + ["markdown", "str"], interactive=False, wrap=True, show_search="search",
                                   column_widths=["15%", "22%", "12%", "8%", "8%", "8%", "9%", "7%", "7%", "14%"],
                                   max_height=560, elem_id="desk-library")
            selected = gr.State(None)
            with gr.Row():
                remove = gr.Button("Remove", interactive=False, elem_id="desk-remove", variant="stop", scale=1)
                library_status = gr.Markdown(elem_id="desk-library-status")
            viewer = gr.HTML("", elem_id="desk-viewer")
            with gr.Accordion("Trash", open=False, elem_id="desk-trash"):
                trashed = gr.Dropdown(choices=[], label="Deleted sources", elem_id="desk-trash-list")
                restore = gr.Button("Restore", elem_id="desk-restore")
        timeline_states, timeline_table = timeline_tab(desk)

        filters = [countries, kinds, langs, date_from, date_to]
        # The page's question box and button; /chat and /ask are the API (gradio_client).
        for trigger in (message.submit, send.click):
            trigger(accept, [message], [message, notice, pending], queue=False, api_visibility="private").then(
                ui_chat, [pending, conversation, *filters], [chatbot, conversation, notice, message], api_visibility="private"
            ).then(after_answer, [conversation], [sources, export], api_visibility="private")
        api_chat = gr.Button(visible=False)
        api_chat.click(chat, [message, conversation, *filters], [chatbot, conversation], api_name="chat")
        gr.api(ask, api_name="ask")
        clear.click(lambda: ([], [], sources_html(desk, []), gr.DownloadButton(value=None, interactive=False), ""), None,
                    [chatbot, conversation, sources, export, notice], api_visibility="private")
        # The chatbot's own trash button empties only the chatbot: forget the conversation too.
        chatbot.clear(lambda: ([], sources_html(desk, []), gr.DownloadButton(value=None, interactive=False)), None,
                      [conversation, sources, export], api_visibility="private")
        chatbot.like(rate, [conversation], None, api_visibility="private")
        library_outputs = [library, counts, trashed]
        # The library changes behind the page's back (API uploads): read it again on each load.
        demo.load(library_state, None, library_outputs, api_visibility="private")
        demo.load(lambda chosen: timeline_rows(desk, chosen), timeline_states, timeline_table, api_visibility="private")
        add.click(add_files, [files], [upload_status, *library_outputs, files], api_visibility="private")
        library.select(open_source, None, [viewer, selected, remove], api_visibility="private")
        remove.click(remove_source, [selected], [library_status, viewer, selected, remove, *library_outputs], api_visibility="private")
        restore.click(restore_source, [trashed], [library_status, *library_outputs], api_visibility="private")
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
    cards = _cards(desk, 0, [c.model_dump() for c in cell.citations])
    for other in cell.disagreements:
        cards.append(f"<h4>The sources differ: {html.escape(other.date)}</h4>")
        cards += _cards(desk, 0, [c.model_dump() for c in other.citations], first=len(cards))
    if cell.votes:
        counts = [cell.votes, *cell.votes.disagreements]
        cards.append("<h4>Votes in favour: " + " vs ".join(f"{v.in_favour} " + "".join(f"[{c.n}]" for c in v.citations) for v in counts) + "</h4>")
        cards += _cards(desk, 0, [c.model_dump() for v in counts for c in v.citations], first=len(cards))
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

def create_server_app(settings: Settings, desk: Desk | None = None) -> FastAPI:
    app = create_app(settings, desk)
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
    desk = Desk(settings)
    started = time.perf_counter()
    # Warm while the UI is built, and bind only once warm: the first question then answers at
    # once, and nobody meets "starting".
    warming = desk.warm_in_background() if settings.warm_start else None
    app = create_server_app(settings, desk)
    if warming is not None:
        print("Opening the store and loading the model…", file=sys.stderr)
        warming.join()
        print(f"  {'ready' if desk.warm_error is None else 'not ready: ' + desk.warm_error} "
              f"({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    print(f"Ottawa Desk on http://{settings.host}:{settings.port}  (API docs at /docs, metrics at /metrics)", file=sys.stderr)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
