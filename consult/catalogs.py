"""The interface's translation catalogs: where they are and how their words are extracted.

``python -m consult.catalogs extract OUT.pot`` reads every gettext call in ``consult/`` and
``templates/`` (as ``babel.cfg`` says) into a template catalog; ``make translations-extract``
and ``make translations-update`` run it, and the catalog tests extract afresh the same way, so
a word added to a page and left out of a language's catalog is caught.
"""
from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.frontend import CommandLineInterface

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
MAPPING = ROOT / "babel.cfg"
# Calls that mark words besides gettext, ngettext and _: lazy_gettext (module-level texts) and
# plural_messages (the character count's messages for GOV.UK Frontend's JavaScript).
KEYWORDS = ("lazy_gettext", "plural_messages:1,2")


def catalog_path(language: str) -> Path:
    return TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"


def extract(output: Path | str) -> Path:
    """Writes the template catalog of every word marked for translation to ``output``."""
    argv = ["pybabel", "-q", "extract", "-F", str(MAPPING), "--no-location", "--sort-output",
            "--project=Consult", "--copyright-holder=Consult contributors", "-o", str(output)]
    for keyword in KEYWORDS:
        argv += ["-k", keyword]
    CommandLineInterface().run(argv + [str(ROOT / "consult"), str(ROOT / "templates")])
    return Path(output)


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "extract":
        print("usage: python -m consult.catalogs extract OUT.pot", file=sys.stderr)
        return 2
    extract(argv[1])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
