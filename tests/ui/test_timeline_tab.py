"""The Timeline tab in a real browser: the table shows the cells, a state filter narrows it,
and a click on a cell shows its passages in the tab's Sources panel."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.api.servers import serve
from tests.paths import REPO_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = REPO_ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def url(corpus_settings):
    from ui import create_server_app

    with serve(create_server_app(corpus_settings), ready_path="/api/sources") as base:
        yield base


def test_open_the_tab_and_click_a_cell(url: str):
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is missing: apt-get install -y chromium")
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url + "/")
            page.get_by_role("tab", name="Timeline").click(timeout=60_000)
            table = page.locator("#desk-timeline")
            cell = table.get_by_role("gridcell", name=re.compile(r"^2025-04-16")).first  # Latvia's final vote
            expect(cell).to_be_visible(timeout=30_000)
            expect(table.get_by_role("gridcell", name="unknown").first).to_be_visible()
            cell.click()
            panel = page.locator("#desk-timeline-sources")
            expect(panel).to_contain_text("Latvia: parliament's final vote, 2025-04-16", timeout=30_000)
            expect(panel.locator("mark").first).to_contain_text("16")
            expect(panel).to_contain_text("Votes in favour: 66")  # and the other count beside it
            expect(panel).to_contain_text("vs 68")
            page.screenshot(path=str(ARTIFACTS / "timeline-tab.png"), full_page=True)
        finally:
            browser.close()
