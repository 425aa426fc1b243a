"""Playwright with Debian's chromium against pytest-django's live server."""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django would refuse DB access.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Set LEADBRIDGE_SCREENSHOTS=/tmp to keep screenshots of the pages the test visits.
SCREENSHOTS = os.environ.get("LEADBRIDGE_SCREENSHOTS", "")


@pytest.fixture
def browser():
    # Function-scoped on purpose: while Playwright's event loop runs in this thread, Django's
    # connection handler hands out other connection objects, so the DB set-up and teardown of
    # the next test (serialized rollback) must happen with Playwright stopped.
    if not Path(CHROMIUM).exists():
        message = f"no chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("LEADBRIDGE_REQUIRE_BROWSER"):
            pytest.fail(message)  # CI sets this: the browser test must run there
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    # Every console error (CSP violations show up there) fails the test that collects them.
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    def take(name: str) -> None:
        if SCREENSHOTS:
            page.screenshot(path=str(Path(SCREENSHOTS) / f"leadbridge-{name}.png"), full_page=True)

    return take
