"""The language of each comment, detected offline, and the comments kept out of the analysis.

The detector is Lingua (``lingua-language-detector``): its language models are bundled in the
package, so nothing is downloaded. It is built only for the configured languages
(``DEFAULT_LANGUAGES``: English and the languages most often met in the area; a code the detector
does not know, such as Kurdish, is named in ``LanguageSplit.unsupported`` and left out).

Rules (printed in the report's methods):

* A comment is in the language the detector finds when it is sure: the text has at least
  ``MIN_WORDS`` words and the detector's confidence is at least ``MIN_CONFIDENCE``, or (any
  length) its confidence is at least ``SURE_CONFIDENCE`` (a short answer with letters only one
  language uses). Otherwise (``ok``, ``Yes``, ``PCSOs``) it counts as the analysis language.
* Comments in the analysis language (default English) are analysed as they are. A comment in
  another language with a staff translation (format 3's ``translation__COLUMN``) is analysed
  in its translation, marked as translated; one without is not mixed into the clusters, codes
  or quotes: it is listed for translation, grouped by language, with its reference.
* Counts by language are over the comments of counted (valid) responses, with small counts
  hidden by :func:`analysis.tally.hidden_parts` as every other breakdown.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from analysis.load import ConsultationData, LoadError

DEFAULT_ANALYSIS_LANGUAGE = "en"
# ISO 639-1 codes: English, Polish, Lithuanian, Romanian, Portuguese, Russian, Latvian, Bulgarian,
# Slovak, Hungarian, Urdu, Punjabi, Bengali, Arabic, Kurdish (not known to the detector).
DEFAULT_LANGUAGES = ("en", "pl", "lt", "ro", "pt", "ru", "lv", "bg", "sk", "hu", "ur", "pa",
                     "bn", "ar", "ku")
LANGUAGE_NAMES = {
    "en": "English", "pl": "Polish", "lt": "Lithuanian", "ro": "Romanian", "pt": "Portuguese",
    "ru": "Russian", "lv": "Latvian", "bg": "Bulgarian", "sk": "Slovak", "hu": "Hungarian",
    "ur": "Urdu", "pa": "Punjabi", "bn": "Bengali", "ar": "Arabic", "ku": "Kurdish",
    "cy": "Welsh",
}
MIN_WORDS = 3
MIN_CONFIDENCE = 0.6
SURE_CONFIDENCE = 0.95


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


def parse_languages(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """Language codes from ``en,pl,ro`` (or a list); the defaults for None or empty."""
    if text is None or text == "" or text == ():
        return DEFAULT_LANGUAGES
    items = text.split(",") if isinstance(text, str) else list(text)
    codes = tuple(dict.fromkeys(c.strip().lower() for c in items if c.strip()))
    return codes or DEFAULT_LANGUAGES


@functools.lru_cache(maxsize=4)
def _detector(codes: tuple[str, ...]):
    """The Lingua detector for ``codes`` (those it knows), and the codes it does not know."""
    try:
        from lingua import IsoCode639_1, Language, LanguageDetectorBuilder
    except ImportError:
        raise LoadError("Comments' languages are detected with lingua-language-detector, which is "
                        "not installed: pip install lingua-language-detector.") from None
    known, unsupported = [], []
    for code in codes:
        try:
            known.append(Language.from_iso_code_639_1(IsoCode639_1.from_str(code)))
        except (ValueError, AttributeError, KeyError):
            unsupported.append(code)
    if len(known) < 2:
        return None, tuple(unsupported)
    return LanguageDetectorBuilder.from_languages(*known).build(), tuple(unsupported)


def unsupported_languages(codes: Iterable[str]) -> tuple[str, ...]:
    """The codes of ``codes`` the detector does not know (they are left out of detection)."""
    return _detector(tuple(codes))[1]


def detect(texts: Sequence[str], analysis_language: str = DEFAULT_ANALYSIS_LANGUAGE,
           languages: Sequence[str] = DEFAULT_LANGUAGES) -> list[str]:
    """The language code of each text; the analysis language where detection is unsure (see
    the module's rules). ``languages`` are those the detector chooses among (the analysis
    language is always one of them)."""
    codes = tuple(dict.fromkeys([analysis_language, *languages]))
    detector, _ = _detector(codes)
    if detector is None or not len(texts):
        return [analysis_language] * len(texts)
    texts = [str(t) for t in texts]
    results = detector.compute_language_confidence_values_in_parallel(texts)
    out = []
    for text, values in zip(texts, results):
        if not values:
            out.append(analysis_language)
            continue
        top = values[0]
        words = len(text.split())
        sure = (top.value >= SURE_CONFIDENCE
                or (words >= MIN_WORDS and top.value >= MIN_CONFIDENCE))
        out.append(top.language.iso_code_639_1.name.lower() if sure else analysis_language)
    return out


@dataclass
class LanguageSplit:
    """The comments by language.

    ``data``: the same consultation with only the comments to analyse (the analysis language,
    and the translations of the others that staff recorded, their ``text`` the translation,
    ``original`` the comment as written and ``translated`` True); give it to the clusters,
    codes and quotes. ``comments``: every comment with its ``language`` (detected) and
    ``translated``. ``for_translation``: the comments a reader may see that are in another
    language and have no translation, with ``language``, by language then reference.
    """

    data: ConsultationData
    comments: pd.DataFrame
    for_translation: pd.DataFrame
    analysis_language: str
    languages: tuple[str, ...]
    unsupported: tuple[str, ...] = ()
    counts: pd.Series = field(default_factory=lambda: pd.Series(dtype=int))

    @property
    def n_translated(self) -> int:
        c = self.data.comments
        return int(c["translated"].sum()) if "translated" in c else 0


def split_comments(data: ConsultationData, analysis_language: str = DEFAULT_ANALYSIS_LANGUAGE,
                   languages: Sequence[str] = DEFAULT_LANGUAGES) -> LanguageSplit:
    """Detect each comment's language and keep the comments not in ``analysis_language`` (and
    not translated) apart (see :class:`LanguageSplit`)."""
    languages = parse_languages(languages)
    codes = tuple(dict.fromkeys([analysis_language, *languages]))
    if analysis_language in _detector(codes)[1]:
        raise LoadError(f"The analysis language '{analysis_language}' is not one the language "
                        "detector knows; give an ISO 639-1 code such as en, pl or ro.")
    comments = data.comments.copy()
    if "translation" not in comments:
        comments["translation"] = ""
    comments["translation"] = comments["translation"].fillna("").astype(str)
    comments["language"] = detect(comments["text"].astype(str).tolist(), analysis_language, codes) \
        if len(comments) else pd.Series(dtype=object)
    other = (comments["language"] != analysis_language).to_numpy(dtype=bool)
    has_translation = (comments["translation"].str.strip() != "").to_numpy(dtype=bool)
    comments["translated"] = other & has_translation
    analysed = comments[~other | has_translation].copy()
    analysed["original"] = analysed["text"]
    translated = analysed["translated"].to_numpy(dtype=bool)
    analysed.loc[translated, "text"] = analysed.loc[translated, "translation"]
    keep = (comments["counted"].to_numpy(dtype=bool) & ~comments["hidden"].to_numpy(dtype=bool)
            & other & ~has_translation)
    waiting = comments[keep].sort_values(["language", "reference", "question"], kind="stable")
    counted = comments[comments["counted"].to_numpy(dtype=bool)]
    counts = counted["language"].value_counts()
    counts = counts.reindex(sorted(counts.index, key=lambda c: (-counts[c], c)))
    return LanguageSplit(
        data=replace(data, comments=analysed.reset_index(drop=True), cache={}),
        comments=comments, for_translation=waiting.reset_index(drop=True),
        analysis_language=analysis_language, languages=codes,
        unsupported=_detector(codes)[1], counts=counts)


def language_rows(split: LanguageSplit) -> list[dict[str, str]]:
    """The report's table of comments by language: name, code and published count (small
    counts hidden by ``analysis.tally.hidden_parts``)."""
    from analysis import tally

    counts = split.counts
    hidden = tally.hidden_parts(counts.to_numpy()) if len(counts) else np.array([], dtype=bool)
    return [{"code": code, "language": language_name(code),
             "n": tally.published_count(int(n), bool(hide))}
            for (code, n), hide in zip(counts.items(), hidden)]
