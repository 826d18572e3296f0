"""The chat UI, served with the API by one uvicorn process on a loopback port: gradio_client can
chat through it, and a real browser (Debian's chromium, driven by Playwright) asks a question,
watches the answer stream in, opens a citation, rates and exports the conversation, and adds a
document. Screenshots go to test-artifacts/ (look at them: a test can't see layout)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.api.servers import serve
from tests.ingest.files import markdown
from tests.paths import REPO_ROOT

pytestmark = pytest.mark.slow

ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
SAEIMA = "How many members of the Saeima voted for leaving the convention?"
NOTE = markdown(
    {"id": "quillfeather-accord", "title": "The Quillfeather Accord", "publisher": "Test Gazette", "date": "2026-02-03",
     "url": "https://example.org/quillfeather", "kind": "news", "countries": ["Estonia"], "language": "en"},
    "# The Quillfeather Accord\n\n## Signing\n\n"
    "The Quillfeather Accord on demining drones was signed in Tartu by fourteen delegations on 3 February 2026.\n",
)


@pytest.fixture(scope="module")
def ui_settings(corpus_settings, tmp_path_factory):
    """A private copy of the corpus store: the browser test uploads into it."""
    root = tmp_path_factory.mktemp("ui")
    store = root / "store"
    shutil.copytree(corpus_settings.store, store)
    return corpus_settings.model_copy(update={"store": store, "feedback_file": root / "feedback.jsonl"})


@pytest.fixture(scope="module")
def ui_url(ui_settings):
    from ui import create_server_app

    with serve(create_server_app(ui_settings), ready_path="/api/sources") as base:
        yield base


def test_gradio_client_can_chat(ui_url: str):
    from gradio_client import Client

    client = Client(ui_url + "/", verbose=False)
    messages = client.predict(SAEIMA, api_name="/chat")
    reply = messages[-1]
    assert reply["role"] == "assistant"
    text = reply["content"] if isinstance(reply["content"], str) else " ".join(p.get("text", "") for p in reply["content"])
    assert "66" in text and "[1]" in text and 'href="#cite-0-1"' in text


def test_gradio_client_gets_the_answer_with_structured_citations(ui_url: str):
    from gradio_client import Client

    answer = Client(ui_url + "/", verbose=False).predict(SAEIMA, api_name="/ask")
    assert set(answer) == {"answer", "abstained", "sentences", "citations", "timings_ms"}
    assert not answer["abstained"] and "66" in answer["answer"]
    cited = answer["citations"][0]
    assert cited["source_id"] == "020-leta-saeima-supports-withdrawal" and cited["url"].startswith("https://")
    assert cited["quote"] and cited["end"] > cited["start"]
    assert {n for s in answer["sentences"] for n in s["citations"]} == {c["n"] for c in answer["citations"]}


def test_gradio_client_gets_a_clear_refusal_for_an_over_long_question(ui_url: str):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="limit is 2,000"):
        Client(ui_url + "/", verbose=False).predict("x" * 2500, api_name="/ask")


def test_the_api_is_served_beside_the_ui(ui_url: str):
    import httpx

    health = httpx.get(ui_url + "/api/health")
    assert health.status_code == 200 and health.json()["state"] == "ok" and health.json()["documents"] > 50
    assert "gradio" in httpx.get(ui_url + "/").text.lower()
    assert httpx.get(ui_url + "/api/nothing").headers["content-type"].startswith("application/problem+json")


@pytest.mark.browser
def test_browser_chat_citation_feedback_export_and_upload(ui_url: str, ui_settings, tmp_path: Path):
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is missing: apt-get install -y chromium")
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
            page.goto(ui_url + "/")  # never wait for networkidle: Gradio's heartbeat never ends
            question_box = page.locator("#desk-question textarea")
            expect(question_box).to_be_visible(timeout=60_000)

            # Record each state of the answer bubble, to see it grow while it streams.
            page.evaluate("""() => { window.deskStates = []; new MutationObserver(() => {
                const bots = document.querySelectorAll('#desk-chat [data-testid="bot"]');
                const text = bots.length ? bots[bots.length - 1].innerText : '';
                if (window.deskStates[window.deskStates.length - 1] !== text) window.deskStates.push(text);
              }).observe(document.querySelector('#desk-chat'), {subtree: true, childList: true, characterData: true}); }""")
            question_box.fill(SAEIMA)
            question_box.press("Enter")
            marker = page.locator("#desk-chat a[href='#cite-0-2']").first  # a passage may back two sentences
            expect(marker).to_be_visible(timeout=120_000)
            expect(question_box).to_have_value("")
            states = [s for s in page.evaluate("window.deskStates") if s.strip()]
            assert any(s.endswith("▌") for s in states), states  # seen while streaming
            assert "66" in states[-1] and "▌" not in states[-1]

            # A marker shows its passage, highlighted, in the sources panel.
            marker.click()
            card = page.locator("#desk-sources #cite-0-2")
            expect(card).to_have_class("desk-cite desk-active")
            expect(card.locator("mark")).to_be_visible()
            assert len(card.locator("mark").inner_text()) > 20
            assert card.locator("a", has_text="original").get_attribute("href").startswith("https://")
            page.screenshot(path=str(ARTIFACTS / "ui-answer-with-citation.png"), full_page=True)

            # Thumbs up is saved as one JSON line.
            page.locator("#desk-chat button[aria-label='Like']").last.click()
            expect(page.get_by_text("your rating is saved")).to_be_visible(timeout=15_000)
            expect(page.get_by_text("your rating is saved")).to_be_hidden(timeout=15_000)
            rating = json.loads(ui_settings.feedback_file.read_text(encoding="utf-8").splitlines()[-1])
            assert (rating["question"], rating["rating"]) == (SAEIMA, "up")

            # Export: a Markdown file with the question, the answer and its sources.
            with page.expect_download(timeout=30_000) as download:
                page.locator("#desk-export").click()
            exported = Path(download.value.path()).read_text(encoding="utf-8")
            assert SAEIMA in exported and "**Sources**" in exported and "020-leta-saeima-supports-withdrawal" in exported

            # Upload a document through the UI; it is answerable at once.
            # With it, a PNG renamed .pdf: refused on its own line, the good file still goes in.
            note = tmp_path / "quillfeather.md"
            note.write_text(NOTE, encoding="utf-8")
            fake = tmp_path / "scan.pdf"
            fake.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
            page.get_by_text("Add documents").click()
            page.locator("#desk-upload input[type=file]").set_input_files([str(note), str(fake)])
            for name in ("quillfeather.md", "scan.pdf"):  # uploaded to the server and listed
                expect(page.locator(f"#desk-upload td.filename[aria-label='{name}']")).to_be_visible(timeout=30_000)
            page.locator("#desk-add").click()
            status = page.locator("#desk-upload-status")
            expect(status).to_contain_text("quillfeather.md: added", timeout=120_000)
            expect(status).to_contain_text("scan.pdf: not a PDF file")
            question_box.fill("Where was the Quillfeather Accord signed?")
            question_box.press("Enter")
            expect(page.locator("#desk-chat a[href='#cite-1-1']").first).to_be_visible(timeout=120_000)
            expect(page.locator("#desk-sources #cite-1-1")).to_contain_text("The Quillfeather Accord")
            expect(page.locator("#desk-sources #cite-1-1 mark")).to_contain_text("Tartu")
            page.screenshot(path=str(ARTIFACTS / "ui-after-upload.png"), full_page=True)

            # The earlier answer's markers still open the earlier answer's passages.
            page.locator("#desk-chat a[href='#cite-0-1']").first.click()
            expect(page.locator("#desk-sources #cite-0-1")).to_be_visible()
            expect(page.locator("#desk-sources #cite-1-1")).to_be_hidden()

            page.get_by_role("tab", name="Library").click()
            page.locator("#desk-library input").first.fill("quillfeather")
            expect(page.locator("#desk-library")).to_contain_text("quillfeather-accord", timeout=15_000)
            expect(page.locator("#desk-library")).not_to_contain_text("001-ottawa-convention-english-text")
            page.screenshot(path=str(ARTIFACTS / "ui-library.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "ui-failure.png"), full_page=True)
            raise
        finally:
            browser.close()
