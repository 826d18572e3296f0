"""The chat UI, served with the API by one uvicorn process on a loopback port: gradio_client can
chat through it, and a real browser (Debian's chromium, driven by Playwright) asks a question,
watches the answer stream in, opens a citation, rates and exports the conversation, and adds a
document. Screenshots go to test-artifacts/ (look at them: a test can't see layout)."""

from __future__ import annotations

import json
import re
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


def test_a_question_before_the_model_is_ready_says_it_is_loading(ui_settings):
    from gradio_client import Client

    from ui import LOADING, create_server_app

    cold = ui_settings.model_copy(update={"warm_start": False})  # as if asked while ui.py still warms up
    with serve(create_server_app(cold), ready_path="/api/sources") as base:
        job = Client(base + "/", verbose=False).submit(SAEIMA, api_name="/chat")
        final = job.result()
        streamed = [messages[-1]["content"] for messages in job.outputs()[:-1] if messages]
    assert any(LOADING in str(content) for content in streamed), streamed
    assert "66" in str(final[-1]["content"]) and LOADING not in str(final[-1]["content"])


def test_the_api_is_served_beside_the_ui(ui_url: str):
    import httpx

    health = httpx.get(ui_url + "/api/health")
    assert health.status_code == 200 and health.json()["state"] == "ok" and health.json()["documents"] > 50
    assert "gradio" in httpx.get(ui_url + "/").text.lower()
    assert httpx.get(ui_url + "/api/nothing").headers["content-type"].startswith("application/problem+json")


def launch(p):
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is missing: `make browser` installs it (apt-get install -y chromium)")
    return p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])


def open_desk(browser, url: str, **context):
    page = browser.new_page(**context)
    page.goto(url + "/")  # never wait for networkidle: Gradio's heartbeat never ends
    box = page.locator("#desk-question textarea")
    from playwright.sync_api import expect

    expect(box).to_be_visible(timeout=60_000)
    return page, box


@pytest.mark.browser
def test_browser_chat_citation_feedback_export_and_upload(ui_url: str, ui_settings, tmp_path: Path):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page, question_box = open_desk(browser, ui_url, viewport={"width": 1400, "height": 900}, accept_downloads=True)

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

            # One card per source: no source is shown twice for one answer.
            cards = page.locator("#desk-sources .desk-turn:not(.desk-inactive) .desk-cite")
            expect(cards.first).to_be_visible(timeout=30_000)
            shown = [cards.nth(i).get_attribute("data-source") for i in range(cards.count())]
            assert len(shown) == len(set(shown)), shown

            # Hover: the quoted passage in a preview, without a click.
            passage = page.locator("#desk-sources #cite-0-2")
            marker.hover()
            preview = page.locator("#desk-preview")
            expect(preview).to_be_visible()
            assert passage.locator("mark").inner_text().strip()[:40] in preview.inner_text()
            page.screenshot(path=str(ARTIFACTS / "ui-marker-preview.png"))

            # Click: the passage is shown and highlighted; only the Sources panel scrolls.
            last = page.locator("#desk-chat a.desk-marker").last
            last_passage = page.locator("#desk-sources " + last.get_attribute("href"))
            page.evaluate("() => { document.getElementById('desk-sources').scrollTop = 0; window.scrollTo(0, 0); }")
            page_y = page.evaluate("window.scrollY")
            last.click()
            expect(last_passage).to_have_class(re.compile(r"\bdesk-active\b"))
            page.wait_for_timeout(800)  # the smooth scroll
            assert page.evaluate("window.scrollY") == page_y, "the page itself scrolled"
            if page.evaluate("(() => { const p = document.getElementById('desk-sources'); return p.scrollHeight > p.clientHeight + 40; })()"):
                assert page.evaluate("document.getElementById('desk-sources').scrollTop") > 0, "the panel did not scroll"
            expect(last_passage).to_be_in_viewport()
            expect(question_box).to_be_in_viewport()
            marker.click()
            expect(passage).to_have_class(re.compile(r"\bdesk-active\b"))
            expect(passage.locator("mark")).to_be_visible()
            assert len(passage.locator("mark").inner_text()) > 20
            card = passage.locator("xpath=ancestor::article[1]")
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

            # An over-long question stays in the box, the reason under it, no error in the chat.
            too_long = "Why " + "really " * 400 + "?"
            question_box.fill(too_long)
            expect(page.locator("#desk-counter")).to_contain_text(f"{len(too_long):,} / 2,000")
            question_box.press("Enter")
            expect(page.locator("#desk-notice")).to_contain_text("the limit is 2,000", timeout=15_000)
            expect(question_box).to_have_value(too_long)
            assert page.locator("#desk-chat .error, #desk-chat [data-testid='error']").count() == 0
            assert page.locator("#desk-chat [data-testid='user']").count() == 1  # not added to the conversation
            page.screenshot(path=str(ARTIFACTS / "ui-question-too-long.png"))
            question_box.fill("")

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
            expect(page.locator("#desk-sources #cite-1-1")).to_contain_text("Tartu")
            expect(page.locator("#desk-sources #cite-1-1").locator("xpath=ancestor::article[1]")).to_contain_text("The Quillfeather Accord")
            page.screenshot(path=str(ARTIFACTS / "ui-after-upload.png"), full_page=True)

            # Each turn's sources: its tab, or a click on its answer, or one of its markers.
            page.locator("#desk-sources .desk-turn-tab[data-turn='0']").click()
            expect(page.locator("#desk-sources #cite-0-1")).to_be_visible()
            expect(page.locator("#desk-sources #cite-1-1")).to_be_hidden()
            page.locator("#desk-chat [data-testid='bot']").last.click(position={"x": 30, "y": 12})
            expect(page.locator("#desk-sources #cite-1-1")).to_be_visible()
            expect(page.locator("#desk-sources #cite-0-1")).to_be_hidden()
            page.locator("#desk-chat a[href='#cite-0-1']").first.click()
            expect(page.locator("#desk-sources #cite-0-1")).to_be_visible()
            expect(page.locator("#desk-sources #cite-1-1")).to_be_hidden()

            # The Library: counts, words whole, a source opened, an upload removed and restored.
            page.get_by_role("tab", name="Library").click()
            counts = page.locator("#desk-library-counts")
            expect(counts).to_contain_text("54 sources")
            expect(counts).to_contain_text("1 uploaded")
            header = page.locator("#desk-library th", has_text="language").first
            assert "\n" not in header.inner_text().strip(), "a header broken mid-word"
            page.locator("#desk-library input").first.fill("quillfeather")
            expect(page.locator("#desk-library")).to_contain_text("quillfeather-accord", timeout=15_000)
            expect(page.locator("#desk-library")).not_to_contain_text("001-ottawa-convention-english-text")
            page.locator("#desk-library").get_by_text("The Quillfeather Accord", exact=True).locator("visible=true").first.click()
            expect(page.locator("#desk-viewer")).to_contain_text("signed in Tartu by fourteen delegations", timeout=15_000)
            page.screenshot(path=str(ARTIFACTS / "ui-library.png"), full_page=True)
            page.locator("#desk-remove").click()
            expect(page.locator("#desk-library-status")).to_contain_text("moved to the trash", timeout=30_000)
            expect(counts).to_contain_text("1 in the trash")
            assert "quillfeather-accord" not in {s.id for s in __import__("api.service", fromlist=["Desk"]).Desk(ui_settings).sources()}
            page.get_by_text("Trash", exact=True).click()
            page.locator("#desk-restore").click()
            expect(page.locator("#desk-library-status")).to_contain_text("back in the library", timeout=60_000)
            expect(counts).to_contain_text("0 in the trash")
            audit = [json.loads(line)["action"] for line in (ui_settings.index_dir / "audit.jsonl").read_text().splitlines()]
            assert audit[-2:] == ["delete", "restore"]

            # A corpus source opens too, but can't be removed.
            page.locator("#desk-library input").first.fill("ottawa-convention-english")
            page.locator("#desk-library").get_by_text("001-ottawa-convention-english-text", exact=True).locator("visible=true").first.click()
            expect(page.locator("#desk-remove")).to_be_disabled(timeout=15_000)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "ui-failure.png"), full_page=True)
            raise
        finally:
            browser.close()


@pytest.mark.browser
def test_browser_on_a_phone_reaches_the_sources_and_back(ui_url: str):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page, question_box = open_desk(browser, ui_url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
            question_box.fill(SAEIMA)
            page.locator("#desk-ask").click()
            marker = page.locator("#desk-chat a[href='#cite-0-1']").first
            expect(marker).to_be_visible(timeout=120_000)
            expect(page.locator("#desk-sources #cite-0-1")).to_be_attached(timeout=30_000)  # the panel follows the answer
            sources = page.locator("#desk-sources-col")
            expect(sources).not_to_be_in_viewport()  # a drawer, closed: the answer has the screen
            marker.click()
            expect(sources).to_be_in_viewport()
            expect(page.locator("#desk-sources #cite-0-1 mark")).to_be_in_viewport()
            page.wait_for_timeout(400)  # the drawer's slide
            page.screenshot(path=str(ARTIFACTS / "ui-phone-sources.png"))
            page.locator("#desk-sources-back").click()
            expect(sources).not_to_be_in_viewport()
            expect(marker).to_be_in_viewport()
            page.locator("#desk-sources-open").click()  # the way in without a marker
            expect(sources).to_be_in_viewport()
            page.locator("#desk-sources-back").click()
            page.wait_for_timeout(400)
            # The first bubble is not covered by a label.
            first = page.locator("#desk-chat [data-testid='user']").first.bounding_box()
            labels = page.locator("#desk-chat label, #desk-chat [data-testid='block-label']")
            for i in range(labels.count()):
                box = labels.nth(i).bounding_box()
                if box and labels.nth(i).is_visible():
                    assert box["y"] + box["height"] <= first["y"] or box["y"] >= first["y"] + first["height"], "a label over the first bubble"
            page.screenshot(path=str(ARTIFACTS / "ui-phone-answer.png"))
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "ui-phone-failure.png"))
            raise
        finally:
            browser.close()
