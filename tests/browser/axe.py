"""axe-core in the browser tests: the copy shipped inside ``axe-playwright-python`` (a file in the
venv, never fetched at run time), run against the page as a person sees it now."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

_AXE = Axe()


def violations(page: Page) -> list[str]:
    """Every axe-core violation on the page, one readable line each (rule, impact, where)."""
    results = _AXE.run(page)
    found = []
    for rule in results.response.get("violations", []):
        targets = ", ".join(" ".join(node["target"]) for node in rule["nodes"][:5])
        found.append(f"{rule['id']} ({rule['impact']}): {rule['help']} — {targets}")
    return found


def assert_accessible(page: Page) -> None:
    found = violations(page)
    assert not found, "axe-core finds:\n" + "\n".join(found)


def assert_no_horizontal_scroll(page: Page) -> None:
    """Nothing wider than the viewport: a phone user never scrolls sideways."""
    wider = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wider <= 0, f"the page is {wider} px wider than the {page.viewport_size} viewport"
