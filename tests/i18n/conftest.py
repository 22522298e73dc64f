"""Fixtures for the interface's languages: the shipped catalogs compiled as `make install`
compiles them, so the pages are rendered from the catalogs in the repository."""
from __future__ import annotations

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from consult.catalogs import TRANSLATIONS
from consult.i18n import LANGUAGES

SHIPPED = [code for code in LANGUAGES if code != "en"]


def compile_catalogs() -> None:
    """Compiles each shipped catalog whose .mo is missing or older than its .po."""
    for code in SHIPPED:
        po = TRANSLATIONS / code / "LC_MESSAGES" / "messages.po"
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=code)
        with mo.open("wb") as out:
            write_mo(out, catalog)


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs():
    compile_catalogs()
