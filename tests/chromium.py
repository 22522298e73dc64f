"""Headless Chromium for tests that drive it outside tests/browser's session-wide Playwright:
Debian's /usr/bin/chromium (never a downloaded browser), each scenario with a Playwright of its
own in a thread of its own, since Playwright's sync API allows one per thread."""
from __future__ import annotations

import threading
from typing import Any, Callable

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def in_own_thread(scenario: Callable[[Any], Any], timeout: float = 240) -> Any:
    """``scenario(browser)`` run with its own Playwright in a thread of its own; returns what it
    returns, or raises what it raised."""
    from playwright.sync_api import sync_playwright

    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            with sync_playwright() as playwright:
                chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    outcome["value"] = scenario(chromium)
                finally:
                    chromium.close()
        except BaseException as error:  # handed to the test's thread below
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=timeout)
    assert not thread.is_alive(), f"the browser scenario did not finish in {timeout:.0f} seconds"
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
