"""Headless Chromium for tests that look at a page as a reader would: the catalogue, later the Prefect UI.

Playwright drives the distribution's Chromium (/usr/bin/chromium, which CI installs); it never downloads a
browser of its own. A missing Chromium fails the test with a message saying so rather than skipping it, so
CI cannot pass without having looked at the page. Screenshots go to the artifact folder
(CARESTATS_TEST_ARTIFACTS, by default test-artifacts/ at the repository's root) for a person to look at.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
ARTIFACTS_ENV = "CARESTATS_TEST_ARTIFACTS"
REPOSITORY = Path(__file__).resolve().parents[2]


def artifact_folder() -> Path:
    """Where tests leave what a person may want to look at afterwards (screenshots); made if missing."""
    folder = Path(os.environ.get(ARTIFACTS_ENV) or REPOSITORY / "test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextlib.contextmanager
def launched_chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, through Playwright: closed again when the block ends."""
    if not CHROMIUM.is_file():
        pytest.fail(
            f"{CHROMIUM} is missing: browser tests need the distribution's Chromium "
            "(apt-get install chromium); Playwright's own browsers are never downloaded",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS), headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for a test module; each test opens its own page (and context) in it.

    Closed when the module ends: Playwright's synchronous API keeps an event loop on the main thread while it
    runs, and Prefect, seeing one, hands later tests coroutines where they expect results.
    """
    with launched_chromium() as launched:
        yield launched


def screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot saved as an artifact under `name`; returns where it went."""
    path = artifact_folder() / name
    page.screenshot(path=str(path), full_page=True)
    return path
