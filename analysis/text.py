"""Text handling for free-text comments: normalising, tokenising, stop words, stemming and
redaction of personal data.

Everything here works offline: the tokeniser and the stemmer are NLTK classes that need no
downloaded data, and the stop words and first names ship in ``analysis/data/``.

Public API
----------
``normalise(text, *, links=False) -> str``
    Unicode NFKC, case-folded, quotes / dashes / spaces unified; with ``links=True`` web
    addresses become ``[link]`` and email addresses ``[email]``.
``tokenise(text) -> list[str]``
    Word tokens (inner apostrophes and hyphens kept, punctuation dropped, placeholders such as
    ``[email]`` kept whole).
``STOP_WORDS``, ``NEGATIONS``
    frozensets of lower-case words (the Snowball English list; the negations in it).
``stem(token)``, ``stem_tokens(tokens)``
    Snowball (Porter 2) English stemmer.
``analyse(text) -> list[str]`` and ``Analyser(...)``
    normalise, tokenise, drop stop words, stem: usable as scikit-learn's ``analyzer``.
``find_pii(text, *, names=True) -> list[PiiSpan]`` and ``redact_pii(text, *, names=True)``
    emails, UK phone numbers, UK postcodes, street addresses, UK vehicle registrations, web
    addresses and names.
``word_set(text)``, ``word_overlap(a, b)``, ``too_similar(a, b)``, ``diverse(texts, n)``
    how many words two comments share, and a pick of comments no two of which share more than
    half their words (for quotes shown together).
"""
from __future__ import annotations

import functools
import math
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from typing import Iterable

from nltk.stem.snowball import SnowballStemmer
from nltk.tokenize import RegexpTokenizer

__all__ = [
    "PII_KINDS",
    "PLACEHOLDERS",
    "NEGATIONS",
    "STOP_WORDS",
    "FIRST_NAMES",
    "Analyser",
    "PiiSpan",
    "analyse",
    "find_pii",
    "normalise",
    "redact_pii",
    "stem",
    "stem_tokens",
    "tokenise",
    "MAX_QUOTE_OVERLAP",
    "diverse",
    "too_similar",
    "word_overlap",
    "word_set",
]


def _read_word_list(name: str) -> tuple[str, ...]:
    """Lines of a shipped list in analysis/data/, without comments and blank lines."""
    text = resources.files("analysis").joinpath("data", name).read_text(encoding="utf-8")
    words = (line.strip() for line in text.splitlines())
    return tuple(word for word in words if word and not word.startswith("#"))


#: The Snowball English stop word list (BSD licence; see analysis/data/stopwords_en.txt).
STOP_WORDS: frozenset[str] = frozenset(_read_word_list("stopwords_en.txt"))

#: The words of STOP_WORDS that turn a statement round; keep them for stance or sentiment.
NEGATIONS: frozenset[str] = frozenset(
    word for word in STOP_WORDS if word in {"no", "nor", "not", "cannot"} or word.endswith("n't")
)

#: Common first names in the UK (see analysis/data/first_names_uk.txt for its source).
FIRST_NAMES: frozenset[str] = frozenset(_read_word_list("first_names_uk.txt"))

#: The shipped name lists: (file, language, "first" or "surname"). Redaction knows every name
#: in them, in its inflected forms and without its diacritics (see _name_forms).
NAME_LISTS: tuple[tuple[str, str, str], ...] = (
    ("first_names_uk.txt", "en", "first"), ("first_names_pl.txt", "pl", "first"),
    ("first_names_lt.txt", "lt", "first"), ("first_names_ro.txt", "ro", "first"),
    ("surnames_uk.txt", "en", "surname"), ("surnames_pl.txt", "pl", "surname"),
    ("surnames_lt.txt", "lt", "surname"), ("surnames_ro.txt", "ro", "surname"),
)

# ---------------------------------------------------------------------------------------------
# Normalising
# ---------------------------------------------------------------------------------------------

_CHARACTER_MAP = str.maketrans(
    {
        # single quotes and apostrophes
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u00b4": "'", "\u0060": "'", "\u02bc": "'",
        # double quotes
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u00ab": '"', "\u00bb": '"',
        # hyphens and dashes
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
        "\u2015": "-", "\u2212": "-", "\ufe58": "-", "\ufe63": "-", "\uff0d": "-",
        # invisible characters
        "\u00ad": None, "\u200b": None, "\u200c": None, "\u200d": None, "\u2060": None,
        "\ufeff": None,
    }
)
_WHITESPACE = re.compile(r"\s+")
_LOOSE_ACCENT = re.compile(r"(^|\s)[\u0300-\u036f]+")


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def normalise(text: str, *, links: bool = False) -> str:
    """Return ``text`` in a canonical form for comparing and counting words.

    Applies Unicode NFKC (full-width letters, ligatures and non-breaking spaces become plain),
    case-folds, turns curly quotes into ``'`` / ``"`` and every dash into ``-``, removes
    invisible characters and collapses runs of white space (line breaks included) to one space.
    With ``links=True``, web addresses become ``[link]`` and email addresses ``[email]``, so
    that two comments that differ only in a link compare equal. ``None`` and NaN give ``""``.
    """
    if _is_missing(text):
        return ""
    if not isinstance(text, str):
        raise TypeError(f"normalise() takes a str, not {type(text).__name__}")
    # Map quotes before NFKC too: NFKC turns the acute accent used as an apostrophe into a
    # space and a combining mark.
    text = unicodedata.normalize("NFKC", text.translate(_CHARACTER_MAP)).translate(_CHARACTER_MAP)
    text = _LOOSE_ACCENT.sub(r"\1", text)  # "¨" becomes " \u0308": keep the space, drop the mark
    if links:
        if "@" in text or _AT_WORD.search(text):
            text = _EMAIL.sub("[email]", text)
        if _LINK_HINT.search(text):  # a cheap look first: most comments have no link
            text = _URL.sub(lambda m: "[link]" + m.group()[len(_trim_url(m.group())):], text)
            text = _BARE_DOMAIN.sub("[link]", text)
    text = unicodedata.normalize("NFC", text.casefold())  # casefold can decompose ("ǰ")
    return _WHITESPACE.sub(" ", text).strip()


# ---------------------------------------------------------------------------------------------
# Tokenising, stop words, stemming
# ---------------------------------------------------------------------------------------------

#: The kinds of personal data that redaction replaces, each with its placeholder.
PII_KINDS: tuple[str, ...] = ("email", "link", "phone", "postcode", "address", "vehicle registration", "name")
PLACEHOLDERS: dict[str, str] = {kind: f"[{kind}]" for kind in PII_KINDS}
_PLACEHOLDER_PATTERN = r"\[(?:email|link|phone|postcode|address|vehicle registration|name)\]"
_PLACEHOLDER = re.compile(_PLACEHOLDER_PATTERN)

_TOKEN_PATTERN = _PLACEHOLDER_PATTERN + r"|\w+(?:['\u2019]\w+)*(?:-\w+(?:['\u2019]\w+)*)*"
_TOKENISER = RegexpTokenizer(_TOKEN_PATTERN)
# The same pattern compiled by the standard library, for bulk work (campaigns over 100,000
# texts). On normalised Latin text it gives what tokenise() gives (tested); on rare characters
# such as a stray combining mark, Python's re and the regex module NLTK uses can disagree on
# what a word character is, which changes nothing for comparing texts with each other.
_FAST_TOKENS = re.compile(_TOKEN_PATTERN)


def tokenise(text: str) -> list[str]:
    """Split ``text`` into word tokens, in order.

    A token is a run of letters or digits, with inner apostrophes and hyphens kept
    (``don't``, ``O'Brien``, ``anti-social``) and redaction placeholders kept whole
    (``[vehicle registration]``); punctuation and white space are dropped. Case is kept: call
    :func:`normalise` first to compare words. Uses NLTK's ``RegexpTokenizer`` (no data needed).
    """
    if _is_missing(text):
        return []
    return _TOKENISER.tokenize(text)


_STEMMER = SnowballStemmer("english")


@functools.lru_cache(maxsize=200_000)
def stem(token: str) -> str:
    """The Snowball (Porter 2) English stem of one lower-case token: ``policing`` -> ``polic``.

    Placeholders such as ``[name]`` are returned unchanged.
    """
    if token.startswith("["):
        return token
    return _STEMMER.stem(token)


def stem_tokens(tokens: Iterable[str]) -> list[str]:
    """:func:`stem` applied to each token."""
    return [stem(token) for token in tokens]


class Analyser:
    """Turns a comment into the list of terms a vectoriser counts.

    ``Analyser()(text)`` normalises (links collapsed), tokenises, drops stop words and tokens
    shorter than ``min_length`` characters, stems, and adds word n-grams up to
    ``ngram_range[1]`` (joined by a space). Picklable, so it can be given to scikit-learn as
    ``TfidfVectorizer(analyzer=Analyser(ngram_range=(1, 2)))`` and used with ``n_jobs``.
    """

    def __init__(
        self,
        *,
        stop_words: Iterable[str] | None = STOP_WORDS,
        stemming: bool = True,
        ngram_range: tuple[int, int] = (1, 1),
        min_length: int = 2,
    ) -> None:
        self.stop_words = frozenset(stop_words or ())
        self.stemming = stemming
        self.ngram_range = ngram_range
        self.min_length = min_length

    def __call__(self, text: str) -> list[str]:
        tokens = [
            token
            for token in tokenise(normalise(text, links=True))
            if len(token) >= self.min_length and token not in self.stop_words
        ]
        if self.stemming:
            tokens = stem_tokens(tokens)
        low, high = self.ngram_range
        if (low, high) == (1, 1):
            return tokens
        terms: list[str] = []
        for n in range(max(low, 1), high + 1):
            terms.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        return terms

    def __repr__(self) -> str:
        return (
            f"Analyser(stemming={self.stemming}, ngram_range={self.ngram_range}, "
            f"min_length={self.min_length}, stop_words={len(self.stop_words)} words)"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Analyser) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash((self.stop_words, self.stemming, self.ngram_range, self.min_length))


_DEFAULT_ANALYSER = Analyser()


def analyse(text: str) -> list[str]:
    """Stemmed content words of ``text``: ``Analyser()(text)``.

    ``analyse("Policing the streets isn't enough!")`` -> ``['polic', 'street', 'enough']``.
    A module-level function, so it pickles: ``TfidfVectorizer(analyzer=analyse)``.
    """
    return _DEFAULT_ANALYSER(text)


# ---------------------------------------------------------------------------------------------
# How alike two comments are (for quotes shown together)
# ---------------------------------------------------------------------------------------------

#: Two quotes shown together may share at most this share of their words (see word_overlap).
MAX_QUOTE_OVERLAP = 0.5


def word_set(text: str) -> frozenset[str]:
    """The distinct words of ``text``: :func:`normalise` (links and emails collapsed), then
    :func:`tokenise`. Every word counts, stop words included, so the measure is the strict one a
    reader applies ("these two say the same thing")."""
    return frozenset(tokenise(normalise(text, links=True)))


def word_overlap(a: str | frozenset[str], b: str | frozenset[str]) -> float:
    """The share of the shorter comment's distinct words that the other also uses, 0..1.

    ``|A ∩ B| / min(|A|, |B|)`` over the word sets of :func:`word_set` (the overlap
    coefficient). It is never below the Jaccard index ``|A ∩ B| / |A ∪ B|``, so a pair that
    passes this test passes Jaccard too; and a short comment copied inside a long one scores 1.
    Two comments without words score 1 (nothing tells them apart); one without words, 0.
    """
    words_a = a if isinstance(a, frozenset) else word_set(a)
    words_b = b if isinstance(b, frozenset) else word_set(b)
    if not words_a and not words_b:
        return 1.0
    if not words_a or not words_b:
        return 0.0
    return len(words_a & words_b) / min(len(words_a), len(words_b))


def too_similar(a: str | frozenset[str], b: str | frozenset[str], limit: float = MAX_QUOTE_OVERLAP) -> bool:
    """True when two comments share more than ``limit`` (default half) of their words."""
    return word_overlap(a, b) > limit


def diverse(texts: Iterable[str], n: int | None = None, *, limit: float = MAX_QUOTE_OVERLAP,
            shown: Iterable[str | frozenset[str]] = ()) -> list[int]:
    """Positions of the texts to show, taken in the given order (best first), skipping any text
    that shares more than ``limit`` of its words with one already taken or in ``shown``; at
    most ``n``. No two texts picked are :func:`too_similar`, so near-identical comments never
    appear together, back to back or not."""
    taken: list[frozenset[str]] = [w if isinstance(w, frozenset) else word_set(w) for w in shown]
    out: list[int] = []
    for i, text in enumerate(texts):
        if n is not None and len(out) >= n:
            break
        words = word_set(text)
        if any(too_similar(words, other, limit) for other in taken):
            continue
        taken.append(words)
        out.append(i)
    return out


# ---------------------------------------------------------------------------------------------
# Personal data
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class PiiSpan:
    """One piece of personal data found in a text: ``text[start:end]`` is of ``kind``."""

    start: int
    end: int
    kind: str
    text: str


# Emails, including the "name at domain dot com" spellings people use to dodge spam.
_EMAIL = re.compile(
    r"(?<![\w.%+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w-])"
    r"|(?<![\w.%+-])[\w.%+-]+\s?[\[({]at[\])}]\s?[\w-]+(?:\s?(?:\.|[\[({]dot[\])}])\s?[\w-]+)+",
    re.IGNORECASE,
)
_AT_WORD = re.compile(r"(?i)[\[({]at[\])}]")
_LINK_HINT = re.compile(r"(?i)https?:|www\.|\.(?:com|org|net|uk|info|io|gov|edu|biz|eu|me|ly)\b")
_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"'\[\]{}]+")
_BARE_DOMAIN = re.compile(
    r"(?i)(?<![\w@.-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+"
    r"(?:com|org|net|uk|info|io|gov|edu|biz|eu|me|ly)(?![\w-])(?:/[^\s<>\"'\[\]{}]*)?"
)


def _trim_url(url: str) -> str:
    """A URL without the punctuation that ends the sentence around it."""
    while url and url[-1] in ".,;:!?'\")]}":
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


# UK phone numbers: +44 / 0044 / 0, then 9 or 10 more digits in groups.
_PHONE_CANDIDATE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)[ \t]?44[ \t]?(?:\([ \t]?0[ \t]?\)[ \t]?)?\(?|\(?0)"
    r"\d(?:[ \t-]?\)?[ \t-]?\d)*"
)


def _is_uk_phone(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    stripped = candidate.lstrip("( \t")
    if stripped.startswith("+"):
        national = digits[2:]
    elif stripped.startswith("00"):
        national = digits[4:]
    else:
        national = digits[1:]
    if national.startswith("0") and "(" in candidate and not stripped.startswith("0"):
        national = national[1:]  # +44 (0)20 ...
    if not national or national[0] not in "1235789":
        return False
    if national[0] in "2357":
        return len(national) == 10
    return len(national) in (9, 10)


def _phone_spans(text: str) -> Iterable[tuple[int, int]]:
    for match in _PHONE_CANDIDATE.finditer(text):
        candidate = match.group()
        # Cut only between digit groups, longest first, so "01223 123456 2019" finds the phone.
        cuts = [i + 1 for i, ch in enumerate(candidate) if ch.isdigit()
                and (i + 1 == len(candidate) or not candidate[i + 1].isdigit())]
        for cut in reversed(cuts):
            end = match.start() + cut
            if end < len(text) and (text[end].isalnum() or text[end] == "_"):
                continue
            if _is_uk_phone(candidate[:cut]):
                yield match.start(), end
                break


# UK postcodes (the Royal Mail format rules: one-letter areas are B E G L M N S W), in either
# case but one case throughout.
_OUTWARD = (
    r"(?:[BEGLMNSW][0-9]{1,2}|[A-PR-UWYZ][A-HK-Y][0-9]{1,2}|[BEGLMNSW][0-9][A-HJKPSTUW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
)
_INWARD = r"[0-9][ABD-HJLNP-UW-Z]{2}"
_FULL_POSTCODE = re.compile(rf"(?i)(?<![\w-])(?:{_OUTWARD}[ \t]?{_INWARD}|GIR[ \t]?0AA)(?![\w-])")
_POSTCODE_CONTEXT = re.compile(
    rf"(?i)\b(?:post[ \t]?code|postal[ \t]code)(?:[ \t]+(?:is|was|of))?[ \t]*[:\-]?[ \t]*"
    rf"({_OUTWARD})(?![\w-])"
)
_ORDINAL = re.compile(r"(?i)(?:1st|2nd|3rd|[04-9]th)")

# UK vehicle registrations: current (AB12 CDE), prefix (A123 BCD), suffix (ABC 123D), and
# after words such as "reg" or "number plate" also dateless ones (ABC 123, 1234 AB).
_COMMON_SHORT_WORDS = frozenset(
    "and the for but not are was all any can may now new old yes see get one two six ten bus "
    "car van off our out too via per etc bad big far fix set use due let put run say try ask "
    "way day own his her its who why how she you has had did got yet".split()
)
_CURRENT_REG = re.compile(r"(?<![\w-])([A-Z]{2}[0-9]{2})[ \t]?([A-Z]{3})(?![\w-])")
_PREFIX_REG = re.compile(r"(?<![\w-])([A-HJ-NPR-Y][0-9]{1,3})[ \t]?([A-Z]{3})(?![\w-])")
_SUFFIX_REG = re.compile(r"(?<![\w-])([A-Z]{3})[ \t]?([0-9]{1,3}[A-HJ-NPR-Y])(?![\w-])")
_REG_CONTEXT = re.compile(
    r"(?i)\b(?:(?:vehicle[ \t]+)?reg(?:istration)?(?:[ \t]+(?:no|number|mark|plate))?\.?"
    r"|(?:number|licen[cs]e|registration)[ \t]+plate|vrm)"
    r"(?:[ \t]+(?:is|was|of))?[ \t]*[:#\-]?[ \t]*"
    r"([A-Za-z0-9]{1,7}(?:[ \t][A-Za-z0-9]{1,4})?)(?![\w-])"
)
_ANY_REG = re.compile(
    r"(?i)[A-Z]{2}[0-9]{2}[ \t]?[A-Z]{3}|[A-Z][0-9]{1,3}[ \t]?[A-Z]{3}"
    r"|[A-Z]{3}[ \t]?[0-9]{1,3}[A-Z]"
    r"|[A-Z]{1,3}[ \t]?[0-9]{1,4}|[0-9]{1,4}[ \t]?[A-Z]{1,3}"
)

# Names.
# Latin capitals and small letters, the accented ones of Polish, Lithuanian, Romanian and the
# rest of Latin Extended-A/B included ("Łukasz", "Žydrūnas", "Ștefan").
_UP = "".join(sorted({c for c in map(chr, range(0x41, 0x250)) if c.isalpha() and c.isupper()}))
_LOW = "".join(sorted({c for c in map(chr, range(0x61, 0x250)) if c.isalpha() and c.islower()}))
_U, _L = f"[{re.escape(_UP)}]", f"[{re.escape(_LOW)}]"
_NOT_NAME_WORDS = frozenset(
    """police constabulary station office council road street lane avenue close drive way park
    school college university hospital centre center team department service services court
    house church community county city town village district area government commissioner crime
    plan mayor officer officers hall market bridge square gardens green hill crescent terrace
    place grove row walk estate ward bay beach river forest island valley football club united
    rovers academy trust society association group partnership board authority network
    farm farms blvd boulevard rd st ave way drive memorial institute foundation fund
    monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december christmas easter england britain
    scotland wales ireland london uk british
    english welsh scottish irish european the madam sir dear thanks thank regards yours
    everyone all team mews rise parade gate gates view close lodge manor surgery library
    shop shops store stores pub inn hotel nhs pcso pcsos mp cllr""".split()
)
# Words before a name that make it part of a place or a title of office, not a person here:
# "St George", "Queen Victoria", "King Charles".
_PLACE_BEFORE = frozenset("st st. saint queen king prince princess lake mount port fort king's queen's "
                          "bishop's prince's st's".replace("'", "'").split())
_NAME_WORD = rf"(?:{_U}{_L}*(?:{_U}{_L}+)?(?:['\u2019-]{_U}{_L}+)*)"
_INITIAL = rf"(?:{_U}\.?[ \t]?)"
_NAME_RUN = rf"((?:{_INITIAL}{{0,2}}){_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,2}})"
_TITLES = (
    "Mr|MR|Mrs|MRS|Ms|Miss|Mx|Dr|DR|Prof|Professor|PC|PCSO|Sgt|SGT|Sergeant|Insp|Inspector|"
    "DC|DS|DI|DCI|DSI|Det|Detective|Constable|Cllr|Councillor|Rev|Revd|Reverend|Sir|Dame|"
    # Polish, Lithuanian and Romanian forms of address
    "Pan|Pani|Panie|Pana|Panią|Ponas|Ponia|Pone|Domnul|Doamna|Domnule|Dl|Dna|Dra"
)
_TITLE_NAME = re.compile(rf"(?<![\w-])(?:(?:{_TITLES})\.?[ \t]+)+{_NAME_RUN}(?![\w-])")
_NAME_IS = re.compile(
    r"(?i)\b(?:my[ \t]+name[ \t]+is|my[ \t]+name's|i[ \t]+am[ \t]+called|i'm[ \t]+called"
    r"|name[ \t]*:|nazywam[ \t]+si[eę]|mam[ \t]+na[ \t]+imi[eę]|mano[ \t]+vardas"
    r"|mă[ \t]+numesc|ma[ \t]+numesc|numele[ \t]+meu[ \t]+este)[ \t]*"
    rf"((?:{_U}|{_L})(?:{_U}|{_L}|['\u2019-])*(?:[ \t]+(?:{_U}|{_L})(?:{_U}|{_L}|['\u2019-])*){{0,2}})"
)
_I_AM = re.compile(rf"\b(?:I[ \t]+am|I['\u2019]m|Im|Jestem|Esu|Sunt)[ \t]+{_NAME_RUN}(?![\w-])")
_SIGN_OFF = re.compile(
    r"(?m)\b(?i:(?:(?:kind|best|warm|warmest|many)[ \t]+)?"
    r"(?:regards|thanks|thank[ \t]+you|wishes|yours[ \t]+sincerely|yours[ \t]+faithfully"
    r"|yours[ \t]+truly|sincerely|cheers|pozdrawiam|pozdrowienia|z[ \t]+poważaniem|dziękuję|dzięki"
    r"|pagarbiai|ačiū|su[ \t]+pagarba|cu[ \t]+stimă|cu[ \t]+stima|cu[ \t]+respect|mulțumesc|mulţumesc"
    r"|multumesc))"  # the sign-off in any case, the name capitalised
    r"[ \t]*[,.!\-]*[ \t]*(?:\r?\n[ \t]*)*"
    rf"{_NAME_RUN}[ \t]*[.,!]?[ \t]*(?=\r?\n|$)"
)
_NEXT_WORD = re.compile(rf"[ \t]+((?:{_U}|{_L})+)")
_PREVIOUS_WORD = re.compile(rf"((?:{_U}|{_L})+(?:['\u2019]s|\.)?)[ \t]+$")
_CAPITALISED = re.compile(rf"(?<![\w'\u2019-]){_U}(?:{_L}+|{_U}+)(?:['\u2019-](?:{_U}|{_L})+)*(?![\w-])")
_POSSESSIVE = re.compile(r"['\u2019]s$", re.IGNORECASE)
# The end of a text that is only a name: "... Lincoln Road please. Łukasz." / "- Will"
_SIGNATURE = re.compile(rf"(?:^|[.!?,;:\n]|\s[-\u2013\u2014])[ \t]*({_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,2}})[ \t]*[.!]?[ \t]*$")

_FOLD = str.maketrans({"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ø": "o", "Ø": "O", "ß": "ss",
                       "ş": "ș", "Ş": "Ș", "ţ": "ț", "Ţ": "Ț"})


def _fold(word: str) -> str:
    """``word`` without diacritics: "Łukasz" -> "Lukasz", "Ștefan" -> "Stefan"."""
    decomposed = unicodedata.normalize("NFKD", word.translate(_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _key(word: str) -> str:
    """How a word is looked up in the name lists: case-folded, cedilla ş / ţ as comma ș / ț."""
    return unicodedata.normalize("NFC", word.translate(_FOLD)).casefold()


def _polish_forms(name: str, kind: str) -> set[str]:
    """The common cases of a Polish name (genitive, dative, accusative, instrumental, locative
    and vocative; for a surname also the woman's form): "Łukasz" -> "Łukasza", "Łukaszowi",
    "Łukaszem", "Łukaszu"; "Anna" -> "Anny", "Annie", "Annę", "Anną", "Anno"; "Kowalski" ->
    "Kowalska", "Kowalskiego", "Kowalskiej", ...; "Nowak" -> "Nowaka", "Nowakowa", ...
    Rules of thumb, so a few forms are made that nobody uses; none is an English word."""
    forms = {name}
    if kind == "surname" and re.search(r"(?:sk|ck|dzk)i$", name):
        stem = name[:-1]
        return forms | {stem + e for e in ("a", "iego", "iemu", "im", "iej", "ą", "ich")}
    if name.endswith("a"):
        stem = name[:-1]
        forms |= {stem + e for e in ("y", "ę", "ą", "o")}
        if stem.endswith("i"):
            forms |= {stem, stem + "u"}  # Kasia: Kasi, Kasiu
        else:
            forms |= {stem + "i", stem + "ie"}
        for hard, soft in (("k", "ce"), ("g", "dze"), ("d", "dzie"), ("r", "rze"), ("t", "cie"), ("ł", "le")):
            if stem.endswith(hard):
                forms.add(stem[: -len(hard)] + soft)
        return forms
    if name.endswith(("y", "i")) and kind == "first":
        return forms | {name + e for e in ("ego", "emu", "m")}
    stem = name
    if name.endswith("ek"):
        stem = name[:-2] + "k"
    elif name.endswith("eł"):
        stem = name[:-2] + "ł"
    instrumental = "iem" if stem.endswith(("k", "g")) else "em"
    forms |= {stem + "a", stem + "owi", stem + instrumental}
    if stem.endswith(("k", "g", "ch", "sz", "cz", "rz", "ż", "j", "l", "c")):
        forms.add(stem + "u")
    for hard, soft in (("r", "rze"), ("st", "ście"), ("t", "cie"), ("d", "dzie"), ("ł", "le")):
        if stem.endswith(hard):
            forms.add(stem[: -len(hard)] + soft)
            break
    else:
        if stem[-1:] in set("nmpbwfsz"):
            forms.add(stem + "ie")
    if kind == "surname":
        forms |= {stem + "owa", stem + "ówna"}
    return forms


def _lithuanian_forms(name: str, kind: str) -> set[str]:
    """Vocative, genitive, dative and accusative of a Lithuanian name ("Jonas" -> "Jonai",
    "Jono", "Jonui", "Joną"; "Rūta" -> "Rūtos", ...; "Eglė" -> "Egle", "Eglės"), and for a surname
    the married and unmarried women's forms ("Kazlauskas" -> "Kazlauskienė", "Kazlauskaitė")."""
    forms = {name}
    woman: list[str] = []
    if name.endswith("ius"):
        stem = name[:-3]
        forms |= {stem + e for e in ("iau", "iaus", "iui", "ių")}
        woman = [stem + "ienė", stem + "iūtė"]
    elif name.endswith("as"):
        stem = name[:-2]
        forms |= {stem + e for e in ("ai", "o", "ui", "ą", "u")}
        woman = [stem + "ienė", stem + "aitė"]
    elif name.endswith(("is", "ys")):
        stem = name[:-2]
        forms |= {stem + e for e in ("i", "y", "io", "iui", "į")}
        woman = [stem + "ienė", stem + "ytė"]
    elif name.endswith("us"):
        stem = name[:-2]
        forms |= {stem + e for e in ("au", "aus", "ui", "ų")}
        woman = [stem + "ienė", stem + "utė"]
    elif name.endswith("a"):
        stem = name[:-1]
        forms |= {stem + e for e in ("os", "ai", "ą")}
    elif name.endswith("ė"):
        stem = name[:-1]
        forms |= {stem + e for e in ("e", "ės", "ei", "ę")}
    if kind == "surname":
        for form in woman:
            forms |= {form, form[:-1] + "ės", form[:-1] + "ei", form[:-1] + "ę"}
    return forms


def _romanian_forms(name: str, kind: str) -> set[str]:
    """The vocative and genitive of a Romanian first name ("Ion" -> "Ioane", "Maria" ->
    "Mario", "Mariei"); surnames do not change."""
    forms = {name}
    if kind == "first":
        if name.endswith("a"):
            forms |= {name[:-1] + "o", name[:-1] + "ei"}
        elif name[-1:] not in "aeiouăâî":
            forms.add(name + "e")
    return forms


_FORMS = {"pl": _polish_forms, "lt": _lithuanian_forms, "ro": _romanian_forms}


@functools.lru_cache(maxsize=1)
def _name_index() -> dict[str, str]:
    """Look-up key (:func:`_key`) -> "first", "surname", "word" (a name that is also a word,
    see name_words_en.txt) or "place" (a name often capitalised for another reason, see
    not_names_en.txt), for every form of every name and its form without diacritics. Built
    once: one dictionary of some 10,000 keys, so checking a capitalised word is one look-up
    whatever the number of names."""
    index: dict[str, str] = {}
    for file, language, kind in NAME_LISTS:
        make = _FORMS.get(language)
        for name in _read_word_list(file):
            for form in make(name, kind) if make else {name}:
                for key in (_key(form), _key(_fold(form))):
                    if index.get(key) != "first":  # a first name too ("Graham") is a first name
                        index[key] = kind
    for file, kind in (("name_words_en.txt", "word"), ("not_names_en.txt", "place")):
        for word in _read_word_list(file):
            index[_key(word)] = kind
    return index


# Surnames known by their ending, listed or not: Polish -ski / -cka / -wicz, Lithuanian
# -auskas / -ienė / -aitė / -evičius, Romanian -escu / -eanu.
_SURNAME_ENDING = re.compile(
    r"(?:[^\W\d_]{2,}(?:ski|ska|cki|cka|dzki|dzka|skiego|skiej|ckiego|ckiej|wicz|wiczowa)"
    r"|[^\W\d_]{2,}(?:auskas|auskienė|auskaitė|evičius|evičienė|evičiūtė|ienė|aitė|ytė|aitis|ūnas)"
    r"|[^\W\d_]{2,}(?:escu|eanu))$"
)


def _name_kind(word: str) -> str:
    """"first", "surname", "word" (a name that is also a word: Will, Rose), "place" (a name
    often capitalised for another reason: May, Lincoln, White) or "" (not a listed name).
    A capitalised word with a surname's ending (Chrzanowski, Vlădescu) is a "surname"."""
    bare = _POSSESSIVE.sub("", word)
    kind = _name_index().get(_key(bare), "")
    if not kind and len(bare) > 5 and _SURNAME_ENDING.search(bare.casefold()):
        return "surname"
    return kind


# A capitalised word right after a word for a relative, a neighbour or a friend is a name, listed
# or not ("my son Arvydas", "our neighbour Smaranda"); so is one addressed in thanks
# ("Ačiū, Aušra!", "Dziękuję, Przemku,") and one before "and I" ("Mark and I walk ...").
_RELATIONS = (
    "son|daughter|husband|wife|partner|boyfriend|girlfriend|brother|sister|mum|mother|dad|father|"
    "grandson|granddaughter|nephew|niece|cousin|uncle|aunt|neighbour|neighbor|friend|colleague|"
    "carer|child|kids?|boy|girl|syn|córka|mąż|żona|brat|siostra|sąsiad|sąsiadka|sūnus|dukra|vyras|"
    "žmona|fiul|fiica|soțul|soția|vecinul|vecina"
)
_RELATION_NAME = re.compile(rf"(?i:\b(?:my|our|his|her|their|mój|moja|mano|meu|mea)[ \t]+(?:{_RELATIONS})),?[ \t]+"
                            rf"({_NAME_WORD})(?![\w-])")
_THANKS_NAME = re.compile(
    r"(?i:\b(?:thanks|thank[ \t]+you|cheers|dziękuję|dzięki|ačiū|mulțumesc|mulţumesc|multumesc|"
    r"pozdrawiam|pagarbiai|cu[ \t]+stimă)),?[ \t]+"
    rf"({_NAME_WORD})(?=[ \t]*(?:[,.!?;]|$))")
_AND_I = re.compile(rf"(?<![\w-])({_NAME_WORD})[ \t]+and[ \t]+(?:I|me)\b")


_AFTER_THE = re.compile(r"(?i:\bthe)[ \t]+$")  # "the Rose and Crown": a pub, not a person
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\n\"\u201c\u2018(\[]|\s[-\u2013\u2014])[\s'\"\u201c\u2018(]*$")


def _is_name_word(word: str) -> bool:
    if re.fullmatch(rf"{_U}\.", word):
        return True  # an initial
    bare = word.rstrip(".,!").lower()
    return not (bare in STOP_WORDS or bare in _NOT_NAME_WORDS or bare in _COMMON_SHORT_WORDS)


def _name_words_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The leading words of text[start:end] that can be a name (stops at the first that cannot)."""
    last_end = None
    for word in re.finditer(r"[^\s]+", text[start:end]):
        if not _is_name_word(word.group()) and _name_kind(word.group().rstrip(".,!")) not in ("surname", "place"):
            break
        last_end = start + len(word.group().rstrip(".,!")) + word.start()
    if last_end is None:
        return None
    return start, last_end


def _in_place_name(text: str, start: int, end: int) -> bool:
    """True when the words at text[start:end] name a place or a building, not a person:
    "George Street", "Victoria Road", "St Anna's", "Queen Elizabeth Hospital"."""
    following = _NEXT_WORD.match(text, end)
    if following and following.group(1).lower() in _NOT_NAME_WORDS:
        return True
    previous = _PREVIOUS_WORD.search(text, 0, start)
    return bool(previous and previous.group(1).lower().replace("\u2019", "'") in _PLACE_BEFORE)


def _listed_name_spans(text: str) -> Iterable[tuple[int, int]]:
    """Names of the shipped lists, in any of their forms, capitalised (or in capitals):

    * a first name or surname that is not also a word ("Łukasz", "Kowalska", "Jankauskienė"),
      with the capitalised words that follow it, up to two ("Anna Brzęczyszczykiewicz");
    * a name that is also a word ("Will", "Rose") in the middle of a sentence, not at its start;
    * a name often capitalised for another reason ("White", "May") only right before a listed
      first name or surname, or after one ("Sarah White").
    Not when the words name a place ("George Street", "St Anna's").
    """
    words = list(_CAPITALISED.finditer(text))
    kinds = [_name_kind(w.group()) for w in words]

    def joined(a: int, b: int) -> bool:
        return b < len(words) and text[words[a].end():words[b].start()] in (" ", "\t")

    i = 0
    while i < len(words):
        kind = kinds[i]
        before_name = joined(i, i + 1) and kinds[i + 1] in ("first", "surname") \
            and not _POSSESSIVE.search(words[i].group())  # "King's Lynn"
        starts = (kind in ("first", "surname")
                  or kind == "word" and (before_name or not _SENTENCE_START.search(text, 0, words[i].start())
                                         and not _AFTER_THE.search(text, 0, words[i].start()))
                  or kind == "place" and before_name)
        if not starts or (words[i].group().isupper() and kind in ("word", "place")):
            i += 1
            continue
        j = i
        # the capitalised words after it, up to two: a surname even when it is also a word
        # ("Stephen Green"), and any other word that can be a name ("Harry Fairbrother")
        while j + 1 < len(words) and j - i < 2 and joined(j, j + 1) and (
                kinds[j + 1] in ("first", "surname", "word", "place") or _is_name_word(words[j + 1].group())):
            j += 1
        start, end = words[i].start(), words[j].end()
        if _is_name_word(words[i].group()) and not _in_place_name(text, start, end):
            yield start, end
        i = j + 1


def _name_spans(text: str) -> Iterable[tuple[int, int]]:
    for pattern in (_TITLE_NAME, _I_AM, _SIGN_OFF):
        for match in pattern.finditer(text):
            if pattern is _I_AM:
                first = match.group(1).split()[0]
                if _name_kind(first) not in ("first", "surname", "word"):
                    continue
            span = _name_words_span(text, match.start(1), match.end(1))
            if span:
                yield span
    for match in _NAME_IS.finditer(text):
        span = _name_words_span(text, match.start(1), match.end(1))
        if span:
            yield span
    yield from _listed_name_spans(text)
    for pattern in (_RELATION_NAME, _THANKS_NAME, _AND_I):
        for match in pattern.finditer(text):
            word = match.group(1)
            if _is_name_word(word) and (pattern is not _AND_I or _name_kind(word)) \
                    and _name_kind(word) != "place" and not _in_place_name(text, match.start(1), match.end(1)):
                yield match.start(1), match.end(1)
    signature = _SIGNATURE.search(text)
    if signature and _name_kind(signature.group(1).split()[0]) \
            and len(text) > len(signature.group(1)) + 1:
        span = _name_words_span(text, signature.start(1), signature.end(1))
        if span:
            yield span


# Street addresses: a house number and a street ("12 Lincoln Road", "Flat 3, 45a High St").
_STREET_TYPES = (
    "Road|Rd|Street|St|Lane|Ln|Avenue|Ave|Close|Cl|Drive|Dr|Way|Crescent|Cres|Grove|Gr|Place|Pl|"
    "Gardens|Gdns|Court|Ct|Terrace|Tce|Walk|Row|Square|Sq|Hill|Park|Mews|View|Rise|Green|Parade|"
    "Broadway|Boulevard|Chase|Croft|Meadow|Meadows|Fields|Yard|Wharf|Quay|Circus|Bank|End|Gate|"
    "Vale|Drove|Path|Hollow|Lea|Leys|Paddock|Orchard|Passage|Approach|Embankment"
)
_ADDRESS = re.compile(
    rf"(?<![\w-])(?:(?i:flat|apartment|apt|unit)\.?[ \t]*\d{{1,4}}[A-Za-z]?,?[ \t]+)?"
    rf"\d{{1,4}}[A-Za-z]?,?[ \t]+(?:(?:St\.?|Saint)[ \t]+)?"
    rf"(?:{_NAME_WORD}(?:['\u2019]s)?[ \t]+){{1,3}}(?i:{_STREET_TYPES})\.?(?![\w-])"
)


def _address_spans(text: str) -> Iterable[tuple[int, int]]:
    for match in _ADDRESS.finditer(text):
        end = match.end()
        if text[end - 1] == "." and (end == len(text) or text[end:end + 1].isspace()) \
                and not re.search(r"(?i)(?:rd|st|ave|cl|dr|cres|gr|pl|gdns|ct|tce|sq|ln)\.$", match.group()):
            end -= 1
        yield match.start(), end


def _vehicle_spans(text: str) -> Iterable[tuple[int, int]]:
    for pattern in (_CURRENT_REG, _PREFIX_REG, _SUFFIX_REG):
        for match in pattern.finditer(text):
            letters = match.group(2) if pattern is not _SUFFIX_REG else match.group(1)
            if letters.lower() in _COMMON_SHORT_WORDS or letters.lower() in STOP_WORDS:
                continue
            yield match.start(), match.end()
    for match in _REG_CONTEXT.finditer(text):
        value = match.group(1)
        for candidate in (value, value.split()[0]):
            if re.search(r"\d", candidate) and re.search(r"[A-Za-z]", candidate) \
                    and _ANY_REG.fullmatch(candidate):
                yield match.start(1), match.start(1) + len(candidate)
                break


def _postcode_spans(text: str) -> Iterable[tuple[int, int]]:
    for match in _FULL_POSTCODE.finditer(text):
        value = match.group()
        if not (value.isupper() or value.islower()):
            continue  # "A14 2nd": mixed case is ordinary text, not a postcode
        compact = value.replace(" ", "").replace("\t", "")
        if re.fullmatch(r"(?i)M[0-9]+", compact[:-3]) and _ORDINAL.fullmatch(compact[-3:]):
            continue  # "M11 2ND": a motorway and an ordinal
        yield match.start(), match.end()
    for match in _POSTCODE_CONTEXT.finditer(text):
        yield match.start(1), match.end(1)


def _candidate_spans(text: str, names: bool) -> Iterable[tuple[int, int, str]]:
    for match in _EMAIL.finditer(text):
        yield match.start(), match.end(), "email"
    for match in _URL.finditer(text):
        yield match.start(), match.start() + len(_trim_url(match.group())), "link"
    for match in _BARE_DOMAIN.finditer(text):
        yield match.start(), match.start() + len(_trim_url(match.group())), "link"
    for start, end in _phone_spans(text):
        yield start, end, "phone"
    for start, end in _postcode_spans(text):
        yield start, end, "postcode"
    for start, end in _address_spans(text):
        yield start, end, "address"
    for start, end in _vehicle_spans(text):
        yield start, end, "vehicle registration"
    if names:
        for start, end in _name_spans(text):
            yield start, end, "name"


def find_pii(text: str, *, names: bool = True) -> list[PiiSpan]:
    """Personal data in ``text``: non-overlapping spans in order of position.

    Kinds (see :data:`PII_KINDS`): ``email``; ``link`` (http(s)://, www., bare domains such as
    ``example.co.uk/page``); ``phone`` (UK numbers: 0 or +44 / 0044, with spaces, dashes or
    brackets, 10 or 11 digits as dialled in the UK; 999, 101 and years are not phones);
    ``postcode`` (full UK postcodes in one case, e.g. ``CB1 2AB`` or ``cb12ab``; an outward code
    alone, e.g. ``CB1``, only where the writer gives it as their postcode: "postcode CB1"; in
    "the CB1 area" it names a district of thousands of addresses and is kept); ``vehicle
    registration`` (current ``AB12 CDE``, prefix ``A123 BCD`` and suffix ``ABC 123D`` formats
    in capitals, and any format, dateless ones included, after "reg", "registration" or "number
    plate"); ``name`` (with ``names=True``: capitalised words after a title such as Mr, Mrs,
    Dr, PC, Sgt, Cllr; after "my name is", or "I am" / "I'm" followed by a known first name;
    on the line after a sign-off such as "Regards," or "Yours sincerely,"; and "Firstname
    Surname" pairs whose first word is in :data:`FIRST_NAMES`). Where two findings overlap,
    the earlier kind in that list wins, then the longer. Existing placeholders are left alone.
    """
    if _is_missing(text):
        return []
    if not isinstance(text, str):
        raise TypeError(f"find_pii() takes a str, not {type(text).__name__}")
    taken = [(m.start(), m.end()) for m in _PLACEHOLDER.finditer(text)]
    rank = {kind: i for i, kind in enumerate(PII_KINDS)}
    candidates = sorted(
        {c for c in _candidate_spans(text, names) if c[1] > c[0]},
        key=lambda c: (rank[c[2]], c[0] - c[1], c[0]),
    )
    found: list[PiiSpan] = []
    for start, end, kind in candidates:
        if any(start < t_end and t_start < end for t_start, t_end in taken):
            continue
        taken.append((start, end))
        found.append(PiiSpan(start, end, kind, text[start:end]))
    return sorted(found)


def _redact_once(text: str, names: bool) -> str:
    pieces: list[str] = []
    position = 0
    for span in find_pii(text, names=names):
        pieces.append(text[position : span.start])
        pieces.append(PLACEHOLDERS[span.kind])
        position = span.end
    pieces.append(text[position:])
    return "".join(pieces)


def redact_pii(text: str, *, names: bool = True) -> str:
    """``text`` with each piece of personal data replaced by a placeholder.

    Placeholders: ``[email]``, ``[phone]``, ``[postcode]``, ``[vehicle registration]``,
    ``[link]``, ``[name]`` (see :func:`find_pii` for what each covers). Titles are kept
    ("PC [name]"). Redacting twice gives the same text as redacting once. ``None`` and NaN
    are returned unchanged, so ``series.map(redact_pii)`` keeps missing values missing.
    """
    if _is_missing(text):
        return text
    for _ in range(8):  # replacing can join text into a new finding: repeat until stable
        redacted = _redact_once(text, names)
        if redacted == text:
            break
        text = redacted
    return text
