"""Reading Consult's pages and answering them like a resident, for Locust and the fault tests.

No browser and no HTML parser: GOV.UK Frontend markup is regular, and a regular-expression reader
costs a fraction of a parser, which matters on a 2-core machine where every millisecond the load
generator spends is taken from the app. ``Journey`` walks the survey page by page through any
transport (Locust's client, or ``Browser`` below, built on the standard library only).
"""
from __future__ import annotations

import html
import http.cookiejar
import random
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

MAX_STEPS = 60


FORM_RE = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
FIELD_RE = re.compile(r"<(input|button|select|textarea)\b([^>]*)>", re.I)
OPTION_RE = re.compile(r"<option\b([^>]*)>", re.I)
SELECT_RE = re.compile(r"<select\b([^>]*)>(.*?)</select>", re.S | re.I)
BUTTON_RE = re.compile(r"<button\b([^>]*)>(.*?)</button>", re.S | re.I)
ATTR_RE = re.compile(r"([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+)))?")
LINK_RE = re.compile(r"<a\b([^>]*)>(.*?)</a>", re.S | re.I)
TAG_RE = re.compile(r"<[^>]+>")
CONFIRMATION_RE = re.compile(r"govuk-panel--confirmation", re.I)
REFERENCE_RE = re.compile(r"\b([A-Z]{2,5}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4})\b")
ERROR_SUMMARY_RE = re.compile(r"govuk-error-summary", re.I)
RESUME_CODE_RE = re.compile(r"<(?:strong|code|span)\b[^>]*(?:resume|code)[^>]*>\s*([A-Za-z0-9-]{8,40})\s*<", re.I)


def attrs(text: str) -> dict[str, str]:
    found = {}
    for name, dq, sq, bare in ATTR_RE.findall(text):
        found[name.lower()] = html.unescape(dq or sq or bare)
    return found


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(TAG_RE.sub(" ", fragment)).split())


@dataclass
class Form:
    action: str
    method: str
    hidden: dict[str, str] = field(default_factory=dict)
    radios: dict[str, list[str]] = field(default_factory=dict)
    checkboxes: dict[str, list[str]] = field(default_factory=dict)
    texts: dict[str, dict[str, str]] = field(default_factory=dict)
    textareas: dict[str, dict[str, str]] = field(default_factory=dict)
    selects: dict[str, list[str]] = field(default_factory=dict)
    buttons: list[tuple[dict[str, str], str]] = field(default_factory=list)


def read_forms(page: str, url: str) -> list[Form]:
    forms = []
    for form_attrs, body in FORM_RE.findall(page):
        fa = attrs(form_attrs)
        form = Form(action=urljoin(url, fa.get("action") or url), method=fa.get("method", "get").lower())
        for select_attrs, options in SELECT_RE.findall(body):
            name = attrs(select_attrs).get("name")
            if name:
                form.selects[name] = [attrs(o).get("value", "") for o in OPTION_RE.findall(options)]
        for button_attrs, label in BUTTON_RE.findall(body):
            ba = attrs(button_attrs)
            if ba.get("type", "submit") == "submit":
                form.buttons.append((ba, text_of(label)))
        for kind, field_attrs in FIELD_RE.findall(body):
            a = attrs(field_attrs)
            name = a.get("name")
            kind = kind.lower()
            if kind == "textarea" and name:
                form.textareas[name] = a
            elif kind == "input" and name:
                input_type = a.get("type", "text").lower()
                if input_type == "hidden":
                    form.hidden[name] = a.get("value", "")
                elif input_type == "radio":
                    form.radios.setdefault(name, []).append(a.get("value", "on"))
                elif input_type == "checkbox":
                    form.checkboxes.setdefault(name, []).append(a.get("value", "y"))
                elif input_type == "submit":
                    form.buttons.append((a, a.get("value", "")))
                else:
                    form.texts[name] = a
        forms.append(form)
    return forms


# ---------------------------------------------------------------- realistic answers
COMMENTS = [
    "More officers on foot in the town centre in the evenings would make people feel safer.",
    "Please keep the rural crime team: farm thefts are rising and nobody comes out.",
    "Victims need to be told what is happening with their case without having to chase it.",
    "Speeding through our village is the biggest problem and it is never enforced.",
    "Good plan overall, but say how you will measure whether it works.",
    "Shoplifting in the city centre has got much worse and shops have given up reporting it.",
    "Anti-social behaviour in the park every weekend, we need youth services as well as police.",
    "I support this but worry about the cost and where the money comes from.",
    "Online fraud against older people should be a priority, it ruins lives.",
    "Stop and search must be fair and recorded, trust matters more than numbers.",
]
POSTCODES = ["CB1", "CB4", "CB22", "PE1", "PE13", "PE29", "CB6", "PE19", "CB23", "PE7"]
# Weighted so that most journeys are residents, as in the 2021 consultation.
PREFERRED = {
    "resident": 70,
    "victim_or_witness": 15,
    "business": 8,
    "strongly_support": 30,
    "support": 35,
    "neither": 12,
}


def choose(values: list[str]) -> str:
    weights = [PREFERRED.get(v, 5) for v in values]
    return random.choices(values, weights=weights)[0]


def answer(form: Form) -> dict[str, str | list[str]]:
    data: dict[str, str | list[str]] = dict(form.hidden)
    for name, values in form.radios.items():
        data[name] = choose(values)
    for name, values in form.checkboxes.items():
        ordinary = [v for v in values if v not in ("none", "prefer_not_to_say")]
        data[name] = random.sample(ordinary, k=min(len(ordinary), random.randint(1, 2))) if ordinary else values[:1]
    rank_selects = [n for n in form.selects if "rank" in n.lower()]
    if rank_selects:
        ranks = [v for v in form.selects[rank_selects[0]] if v][: len(rank_selects)]
        random.shuffle(ranks)
        for name, rank in zip(rank_selects, ranks):
            data[name] = rank
    for name, options in form.selects.items():
        if name not in data:
            real = [v for v in options if v]
            if real:
                data[name] = choose(real)
    for name, a in form.texts.items():
        lowered = name.lower()
        if "postcode" in lowered:
            data[name] = random.choice(POSTCODES)
        elif a.get("type") == "number" or a.get("inputmode") == "numeric" or "rank" in lowered:
            data[name] = str(random.randint(1, 5))
        elif "code" in lowered:
            data[name] = a.get("value", "")
        else:
            data[name] = a.get("value") or "A local resident"
    for name in form.textareas:
        data[name] = random.choice(COMMENTS) if random.random() < 0.6 else ""
    return data


def pick_button(form: Form, want_save: bool) -> tuple[str, str] | None:
    """The (name, value) of the button to press, or None for a button without a name."""
    chosen = None
    for a, label in form.buttons:
        is_save = "save" in label.lower() and "come back" in label.lower()
        if is_save == want_save:
            chosen = (a, label)
            break
    if chosen is None:
        return None
    a, _label = chosen
    return (a["name"], a.get("value", "")) if a.get("name") else None


def has_save_button(form: Form) -> bool:
    return any("save" in label.lower() and "come back" in label.lower() for _a, label in form.buttons)


def path_name(url: str) -> str:
    """Requests are grouped by path with codes and tokens replaced, so the stats stay readable."""
    path = urlsplit(url).path
    return re.sub(r"/[A-Za-z0-9_-]{16,}", "/{code}", path) or "/"


def is_save_label(label: str) -> bool:
    label = label.lower()
    return "save" in label and "come back" in label


def is_busy(page: Page) -> bool:
    """The busy page of admission control (consult/admission.py)."""
    return page.status == 503 and "the service is busy" in page.text


class Broken(Exception):
    """A page the journey could not go on from."""


@dataclass
class Page:
    status: int
    text: str
    url: str


class Journey:
    """One resident's walk through the survey. Subclasses give ``request`` and ``clear_cookies``.

    ``request`` returns a ``Page`` after following redirects; it raises ``Broken`` for answers the
    journey cannot go on from (the caller decides what counts as a failure). With
    ``allow_corrections`` a page that asks for an answer to be changed (a definition's checks) is
    returned, so the journey answers it again.
    """

    save_probability = 0.125

    def __init__(self, start_path: str = "/"):
        self.start_path = start_path
        self.saves = 0
        self.resumes = 0
        self.sent: dict[str, str | list[str]] = {}

    def request(self, method: str, url: str, data=None, name: str | None = None,
                allow_corrections: bool = False) -> Page:
        raise NotImplementedError

    def clear_cookies(self) -> None:
        raise NotImplementedError

    def start(self) -> Page:
        page = self.request("GET", self.start_path)
        if read_forms(page.text, page.url):
            return page
        # A start page leads on with a "Start now" button, which is a link.
        for link_attrs, label in LINK_RE.findall(page.text):
            a = attrs(link_attrs)
            if "govuk-button--start" in a.get("class", "") or "start now" in text_of(label).lower():
                return self.request("GET", urljoin(page.url, a["href"]))
        raise Broken(f"no way on from the start page {page.url}")

    def resume(self, saved: Page) -> Page:
        """A fresh browser comes back with the resume link or, failing that, the typed code."""
        self.clear_cookies()
        self.resumes += 1
        for link_attrs, _label in LINK_RE.findall(saved.text):
            href = attrs(link_attrs).get("href", "")
            if "resume" in href.lower() and len(href.rstrip("/").rsplit("/", 1)[-1]) >= 8:
                return self.request("GET", urljoin(saved.url, href), name="resume (link)")
        code = RESUME_CODE_RE.search(saved.text)
        if not code:
            raise Broken(f"no resume link or code on {saved.url}")
        for form in read_forms(saved.text, saved.url):
            if any("code" in n for n in form.texts):
                blank = self.request("GET", form.action, name="resume (form)")
                page_form = read_forms(blank.text, blank.url)[-1]
                data = answer(page_form)
                for n in page_form.texts:
                    if "code" in n:
                        data[n] = code.group(1)
                return self.request("POST", page_form.action, data, name="resume (code)")
        raise Broken(f"no resume form on {saved.url}")

    def to_check_answers(self, may_save: bool = True) -> tuple[Page, Form]:
        """Answers every question page; returns the check-your-answers page and its form."""
        page = self.start()
        save_at = random.randint(1, 10) if may_save and random.random() < self.save_probability else -1
        for step in range(MAX_STEPS):
            forms = [f for f in read_forms(page.text, page.url) if f.method == "post"]
            if not forms:
                raise Broken(f"no form on {page.url}")
            form = forms[-1]
            if not (form.radios or form.checkboxes or form.texts or form.textareas or form.selects):
                return page, form
            data = answer(form)
            if step == save_at and has_save_button(form):
                button = pick_button(form, want_save=True)
                if button:
                    data[button[0]] = button[1]
                saved = self.request("POST", form.action, data, name="save and come back later",
                                     allow_corrections=True)
                if ERROR_SUMMARY_RE.search(saved.text):
                    page = saved  # the answers contradict each other: answer the page again
                    continue
                self.saves += 1
                page = self.resume(saved)
                continue
            button = pick_button(form, want_save=False)
            if button:
                data[button[0]] = button[1]
            self.sent.update({k: v for k, v in data.items() if k != "csrf_token"})
            # Random answers can contradict each other (a definition's checks): like a resident,
            # answer the page again when it says what to change.
            page = self.request("POST", form.action, data, allow_corrections=True)
        raise Broken(f"more than {MAX_STEPS} pages without reaching check your answers")

    def submit(self, page: Page, form: Form) -> Page:
        data = dict(form.hidden)
        button = pick_button(form, want_save=False)
        if button:
            data[button[0]] = button[1]
        return self.request("POST", form.action, data, name="submit (final)")

    @staticmethod
    def reference(page: Page) -> str | None:
        if not CONFIRMATION_RE.search(page.text):
            return None
        found = REFERENCE_RE.search(page.text)
        return found.group(1) if found else ""


class Browser(Journey):
    """A cookie-keeping client on the standard library, for tests that run without Locust."""

    def __init__(self, base_url: str, start_path: str = "/", timeout: float = 10.0):
        super().__init__(start_path)
        self.base_url = base_url
        self.timeout = timeout
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def clear_cookies(self) -> None:
        self.jar.clear()

    def fetch(self, method: str, url: str, data=None) -> Page:
        """Any answer, 4xx and 5xx included; connection errors raise ``OSError``."""
        url = urljoin(self.base_url, url)
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        req = urllib.request.Request(url, data=body, method=method)
        try:
            with self.opener.open(req, timeout=self.timeout) as r:
                return Page(r.status, r.read().decode("utf-8", "replace"), r.geturl())
        except urllib.error.HTTPError as error:
            return Page(error.code, error.read().decode("utf-8", "replace"), error.geturl())

    def fetch_patiently(self, method: str, url: str, data=None, tries: int = 50) -> Page:
        """As ``fetch``, but a "service is busy" answer is tried again after a pause, as a
        resident would (admission control refuses before doing anything, so this is safe)."""
        for _ in range(tries):
            page = self.fetch(method, url, data)
            if not is_busy(page):
                return page
            time.sleep(0.1 + random.random() * 0.3)
        return page

    def request(self, method: str, url: str, data=None, name: str | None = None,
                allow_corrections: bool = False) -> Page:
        page = self.fetch_patiently(method, url, data)
        if page.status == 200 and allow_corrections and ERROR_SUMMARY_RE.search(page.text):
            return page
        if page.status != 200 or ERROR_SUMMARY_RE.search(page.text):
            raise Broken(f"{method} {url} answered {page.status}")
        return page
