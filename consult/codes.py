"""Every code list of the service, each defined once (docs/export-format.md lists them too).

The survey, its validation, paper entry, imports, the staff pages and the export's data
dictionary all read their codes and labels from here, and analysis reads them from the export.
Areas are not here: they are data of the organisation (``instance/organisation.yaml``) or of a
consultation's own definition.

- ``SCALES``: the scales a ``support`` question may use (``scale: agreement``; the default is
  ``support``). Each level has a ``code``, the ``label`` a resident reads and the ``value`` used
  for counting (2 .. -2; positive is for, negative against, 0 neither); a level with no value
  (``dont_know``) is no view and is left out of the shares' base.
- ``CHANNELS`` and ``RESPONSE_STATUSES``: (code, label) pairs; only ``valid`` responses count.
- ``EQUALITY_GROUPS``: the equality monitoring questions' answers, in the words of the ONS
  Census 2021 questions (age band, sex, gender identity, ethnic group, disability, religion).
- ``RESPONSE_LANGUAGES``: the languages a response is given in, as staff choose and see them.
- ``REFERENCE_ALPHABET``: the characters of response references and resume codes (no 0, 1, I
  or O, which readers confuse).
"""
from __future__ import annotations

from typing import Iterable


def N_(label: str) -> str:
    """Marks a label a resident reads for the interface's catalogs (docs/translations.md); the
    label itself stays English here, as the export and its data dictionary give it, and is
    translated when a page shows it (``resident_label``)."""
    return label


DEFAULT_SCALE = "support"

SCALES: dict[str, list[dict]] = {
    "support": [
        {"code": "strongly_support", "label": N_("Strongly support"), "value": 2},
        {"code": "support", "label": N_("Support"), "value": 1},
        {"code": "neither", "label": N_("Neither support nor oppose"), "value": 0},
        {"code": "oppose", "label": N_("Oppose"), "value": -1},
        {"code": "strongly_oppose", "label": N_("Strongly oppose"), "value": -2},
        {"code": "dont_know", "label": N_("Don't know"), "value": None},
    ],
    "agreement": [
        {"code": "strongly_agree", "label": N_("Strongly agree"), "value": 2},
        {"code": "agree", "label": N_("Agree"), "value": 1},
        {"code": "neither", "label": N_("Neither agree nor disagree"), "value": 0},
        {"code": "disagree", "label": N_("Disagree"), "value": -1},
        {"code": "strongly_disagree", "label": N_("Strongly disagree"), "value": -2},
        {"code": "dont_know", "label": N_("Don't know"), "value": None},
    ],
}
# What a scale measures, in the words of the data dictionary ("How far the respondent supports
# 'Putting Communities First'").
SCALE_VERBS = {"support": "supports", "agreement": "agrees with"}

CHANNELS: tuple[tuple[str, str], ...] = (
    ("online", "Online"),
    ("paper", "Paper form"),
    ("event", "At an event"),
    ("email", "Email"),
    ("letter", "Letter"),
)
RESPONSE_STATUSES: tuple[tuple[str, str], ...] = (
    ("valid", "Valid: counted"),
    ("duplicate", "Duplicate of another response: not counted"),
    ("campaign", "Part of an organised campaign: counted separately"),
    ("invalid", "Invalid: not counted"),
)
COUNTED_STATUS = "valid"

PREFER_NOT_TO_SAY = ("prefer_not_to_say", N_("Prefer not to say"))
# ONS Census 2021 categories (the high-level ones), as the shipped consultations ask them.
EQUALITY_GROUPS: dict[str, tuple[tuple[str, str], ...]] = {
    "age_band": (
        ("under_18", N_("Under 18")), ("18_24", N_("18 to 24")), ("25_34", N_("25 to 34")),
        ("35_44", N_("35 to 44")), ("45_54", N_("45 to 54")), ("55_64", N_("55 to 64")),
        ("65_74", N_("65 to 74")), ("75_plus", N_("75 or over")), PREFER_NOT_TO_SAY,
    ),
    "sex": (("female", N_("Female")), ("male", N_("Male")), PREFER_NOT_TO_SAY),
    "gender_identity": (("yes", N_("Yes")), ("no", N_("No")), PREFER_NOT_TO_SAY),
    "ethnicity": (
        ("asian", N_("Asian, Asian British, Asian Welsh")),
        ("black", N_("Black, Black British, Black Welsh, Caribbean or African")),
        ("mixed", N_("Mixed or multiple ethnic groups")),
        ("white", N_("White")),
        ("other", N_("Other ethnic group")),
        PREFER_NOT_TO_SAY,
    ),
    "disability": (("yes", N_("Yes")), ("no", N_("No")), PREFER_NOT_TO_SAY),
    "religion": (
        ("no_religion", N_("No religion")), ("christian", N_("Christian")),
        ("buddhist", N_("Buddhist")), ("hindu", N_("Hindu")), ("jewish", N_("Jewish")),
        ("muslim", N_("Muslim")), ("sikh", N_("Sikh")),
        ("other", N_("Any other religion")), PREFER_NOT_TO_SAY,
    ),
}

REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

# The languages a response can be given in, as staff choose them on paper entry and see them on
# the dashboard (English names, in the order staff read them): the interface languages shipped
# (consult/i18n.py LANGUAGES) and languages often met in responses by letter or at events. A
# response may also carry another BCP 47 code (an import, a letter in another language).
RESPONSE_LANGUAGES: tuple[tuple[str, str], ...] = (
    ("en", "English"), ("pl", "Polish"), ("lt", "Lithuanian"), ("ro", "Romanian"),
    ("pt", "Portuguese"), ("ru", "Russian"), ("lv", "Latvian"), ("bg", "Bulgarian"),
    ("sk", "Slovak"), ("hu", "Hungarian"), ("ur", "Urdu"), ("pa", "Punjabi"),
    ("bn", "Bengali"), ("ar", "Arabic"), ("ku", "Kurdish"), ("cy", "Welsh"),
)
DEFAULT_RESPONSE_LANGUAGE = "en"


def codes_of(pairs: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """The codes of (code, label) pairs, in order."""
    return tuple(code for code, _ in pairs)


# The labels a resident reads on the survey's pages (scale levels, equality groups): interface
# words, shown in the page's language; every other label is the definition's own text.
RESIDENT_LABELS = frozenset(
    [level["label"] for levels in SCALES.values() for level in levels]
    + [label for pairs in EQUALITY_GROUPS.values() for _, label in pairs])

CHANNEL_CODES = codes_of(CHANNELS)
STATUS_CODES = codes_of(RESPONSE_STATUSES)
RESPONSE_LANGUAGE_CODES = codes_of(RESPONSE_LANGUAGES)


def language_label(code: str | None) -> str:
    """A response language's English name (``pl`` -> ``Polish``), or the code itself when it
    is not one of ``RESPONSE_LANGUAGES``."""
    return dict(RESPONSE_LANGUAGES).get(code or "", code or "")


def scale(name: str | None) -> list[dict]:
    """The levels of scale ``name`` (the default scale for None); KeyError for another name."""
    return SCALES[name or DEFAULT_SCALE]


def levels_text(levels: list[dict]) -> str:
    """``strongly_support=2 | ... | dont_know=`` (the data dictionary's ``levels``)."""
    return " | ".join(f"{level['code']}={'' if level.get('value') is None else level['value']}"
                      for level in levels)


def parse_levels(text: str) -> list[tuple[str, int | None]]:
    """The (code, number) pairs of a ``levels`` text (the inverse of :func:`levels_text`)."""
    pairs = []
    for part in text.split(" | ") if text else []:
        code, _, number = part.partition("=")
        pairs.append((code, int(number) if number.strip() else None))
    return pairs
