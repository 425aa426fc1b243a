"""Each role walks every page it can reach from its home page, on a laptop (1366 px) and a phone
(390 px), over the demo data: no server error, no console error (a CSP violation is one), no
page wider than the screen. Screenshots of each page land in var/screenshots/ (CI keeps them as
artifacts; they are not committed)."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from leads.demo import demo_seed

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
# Links that leave the pages under test, act (log out) or download.
SKIP = re.compile(r"^/(admin|api|accounts/logout|static|media)/|\.(csv|ics|json)$|/export")
# From the pages of the top bar, one detail page of each kind they link to.
DETAIL = re.compile(r"^/[a-z/-]+/\d+/$")


def _hrefs(page, selector: str) -> list[str]:
    found = page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('href'))")
    return [urlsplit(href).path for href in found]


class Walk:
    """One role at one width: visits a page, keeps its screenshot, notes what went wrong."""

    def __init__(self, browser, base: str, username: str, width: int):
        self.base, self.username, self.width = base, username, width
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.errors: list[str] = []
        self.page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.goto(f"{base}/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", settings.DEMO_PASSWORD)
        self.page.click("button[type=submit]:has-text('Log in')")
        self.page.wait_for_load_state("load")

    def visit(self, path: str) -> tuple | None:
        """The problem on this page, or None."""
        self.errors.clear()
        response = self.page.goto(f"{self.base}{path}", wait_until="load")
        status = response.status if response else 0
        scroll = self.page.evaluate("document.documentElement.scrollWidth")
        name = re.sub(r"[^a-z0-9]+", "-", path.strip("/")) or "home"
        self.page.screenshot(path=str(SHOTS / f"{self.username}-{name}-{self.width}.png"))
        if status != 200 or self.errors or scroll > self.width:
            return (self.width, path, status, scroll, self.errors[:2])
        return None


@pytest.mark.parametrize("username", ["rep1", "manager", "marketer", "admin"])
def test_a_role_walks_every_page_it_reaches_without_an_error(live_server, browser, username):
    demo_seed()
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    wide = Walk(browser, live_server.url, username, 1366)
    pages = [urlsplit(wide.page.url).path]  # the role's home page
    pages += [p for p in _hrefs(wide.page, "header.topbar a[href^='/']") if not SKIP.search(p)]
    details, kinds = [], set()
    for path in dict.fromkeys(pages):
        problems.append(wide.visit(path))
        for link in _hrefs(wide.page, "main a[href^='/']"):
            kind = re.sub(r"\d+", "N", link)
            if DETAIL.match(link) and not SKIP.search(link) and kind not in kinds:
                kinds.add(kind)
                details.append(link)
    problems += [wide.visit(path) for path in details]
    pages = list(dict.fromkeys(pages)) + details
    wide.context.close()
    narrow = Walk(browser, live_server.url, username, 390)
    problems += [narrow.visit(path) for path in pages]
    narrow.context.close()

    found = [p for p in problems if p]
    assert found == [], found
    assert len(pages) >= 6, pages  # its pages and their detail pages, not only its home page
