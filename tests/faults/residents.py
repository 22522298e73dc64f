"""Residents for the fault tests: real journeys over HTTP, prepared in parallel."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from benchmarks.pages import Browser, Form, Page, read_forms

DEMO = "police-and-crime-plan-2021-demo"
START = f"/c/{DEMO}"


@dataclass
class Resident:
    browser: Browser
    check_page: Page
    check_form: Form
    reference: str | None = None

    def press_send(self) -> Page:
        """Presses "Send response" on check your answers (raises OSError, or an
        http.client.HTTPException for an answer cut short, if the connection drops)."""
        data = dict(self.check_form.hidden)
        return self.browser.fetch_patiently("POST", self.check_form.action, data)


def prepare(base_url: str, count: int, threads: int = 6) -> list[Resident]:
    """``count`` residents who have answered every page and are on check your answers."""

    def one(_: int) -> Resident:
        browser = Browser(base_url, START)
        browser.save_probability = 0.0
        page, form = browser.to_check_answers()
        return Resident(browser, page, form)

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, range(count)))


def try_again_form(page: Page) -> Form | None:
    """The "Try again" form of the not-saved-yet page, which carries the answers sent."""
    forms = [f for f in read_forms(page.text, page.url) if f.method == "post"]
    return forms[-1] if forms else None
