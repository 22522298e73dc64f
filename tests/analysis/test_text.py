"""analysis.text: normalising, tokenising, stop words, stemming, and redaction of personal data."""
from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from analysis.text import (
    FIRST_NAMES,
    NEGATIONS,
    STOP_WORDS,
    Analyser,
    analyse,
    find_pii,
    normalise,
    redact_pii,
    stem,
    stem_tokens,
    tokenise,
)

PROPERTY = settings(max_examples=150, deadline=None)

# ------------------------------------------------------------------------------- normalising


def test_normalise_unifies_quotes_dashes_case_and_spaces():
    assert normalise("  Don\u2019t \u2014 \u201cSTOP\u201d\u00a0the\n\n\tcuts\u2013now ") == (
        "don't - \"stop\" the cuts-now"
    )


def test_normalise_applies_nfkc_and_drops_invisible_characters():
    assert normalise("\uff30olice \ufb01ne cafe\u0301 soft\u00adhyphen zero\u200bwidth") == (
        "police fine caf\u00e9 softhyphen zerowidth"
    )


def test_normalise_case_folds_beyond_lower():
    assert normalise("STRASSE Stra\u00dfe") == "strasse strasse"


def test_normalise_collapses_links_and_emails_only_when_asked():
    text = "See https://example.org/a?b=1. Or mail Jo.Bloggs@example.co.uk!"
    assert normalise(text) == "see https://example.org/a?b=1. or mail jo.bloggs@example.co.uk!"
    assert normalise(text, links=True) == "see [link]. or mail [email]!"


def test_normalise_treats_missing_values_as_empty_and_rejects_other_types():
    assert normalise(None) == ""
    assert normalise(float("nan")) == ""
    with pytest.raises(TypeError):
        normalise(42)


@PROPERTY
@given(st.text())
def test_normalise_is_idempotent(text):
    once = normalise(text)
    assert normalise(once) == once


# -------------------------------------------------------------------------------- tokenising


def test_tokenise_keeps_inner_apostrophes_hyphens_and_placeholders():
    assert tokenise("I don't think PC O'Brien's anti-social [vehicle registration] works.") == [
        "I", "don't", "think", "PC", "O'Brien's", "anti-social", "[vehicle registration]", "works",
    ]


def test_tokenise_drops_punctuation_and_keeps_numbers():
    assert tokenise("Call 101 -- or 999!!! (not 111?)") == ["Call", "101", "or", "999", "not", "111"]


def test_tokenise_of_missing_text_is_empty():
    assert tokenise(None) == []
    assert tokenise("") == []


# ------------------------------------------------------------------- stop words and stemming


def test_stop_words_are_the_snowball_list_with_negations_marked():
    assert len(STOP_WORDS) == 174
    assert {"the", "and", "i'm", "don't"} <= STOP_WORDS
    assert "police" not in STOP_WORDS and "crime" not in STOP_WORDS
    assert {"no", "not", "nor", "don't", "cannot"} <= NEGATIONS <= STOP_WORDS
    assert "the" not in NEGATIONS


def test_stem_uses_snowball_english():
    assert stem("policing") == "polic"
    assert stem("streets") == "street"
    assert stem("[name]") == "[name]"
    assert stem_tokens(["officers", "patrolling"]) == ["offic", "patrol"]


def test_analyse_gives_stemmed_content_words():
    assert analyse("Policing the streets isn't enough! See www.police.uk") == [
        "polic", "street", "enough", "see", "[link]",
    ]


def test_analyser_adds_ngrams_and_can_keep_stop_words():
    assert Analyser(ngram_range=(1, 2))("more police patrols") == [
        "polic", "patrol", "polic patrol",
    ]
    assert Analyser(stop_words=None, stemming=False)("Not the police") == ["not", "the", "police"]


def test_analyse_pickles_and_works_inside_scikit_learn():
    restored = pickle.loads(pickle.dumps(analyse))
    assert restored("Police patrols") == ["polic", "patrol"]
    analyser = pickle.loads(pickle.dumps(Analyser(ngram_range=(1, 2))))
    assert analyser == Analyser(ngram_range=(1, 2))
    vectoriser = TfidfVectorizer(analyzer=analyse).fit(
        ["More police patrols please", "Fewer police, more youth clubs"]
    )
    assert {"polic", "patrol", "youth", "club"} <= set(vectoriser.get_feature_names_out())
    pickle.loads(pickle.dumps(vectoriser)).transform(["police"])


# ------------------------------------------------------------------------------ redaction


def kinds(text, **options):
    return [(span.kind, span.text) for span in find_pii(text, **options)]


@pytest.mark.parametrize(
    "text, found",
    [
        ("write to jo.bloggs+pcc@example.co.uk today", "jo.bloggs+pcc@example.co.uk"),
        ("JOHN_SMITH99@Mail.COM", "JOHN_SMITH99@Mail.COM"),
        ("mail jo [at] example [dot] com please", "jo [at] example [dot] com"),
    ],
)
def test_emails_are_found(text, found):
    assert kinds(text) == [("email", found)]


@pytest.mark.parametrize("text", ["meet @ 5pm", "twitter @cambspolice", "a@b", "x@y.z"])
def test_things_that_are_not_emails_are_left(text):
    assert not [k for k, _ in kinds(text) if k == "email"]


@pytest.mark.parametrize(
    "text, found",
    [
        ("see https://www.cambs.police.uk/report?x=1.", "https://www.cambs.police.uk/report?x=1"),
        ("petition at www.change.org/p/save-our-station, sign it", "www.change.org/p/save-our-station"),
        ("read bbc.co.uk/news/uk about it", "bbc.co.uk/news/uk"),
        ("(http://example.org/a_(b))", "http://example.org/a_(b)"),
    ],
)
def test_links_are_found(text, found):
    assert kinds(text) == [("link", found)]


@pytest.mark.parametrize("text", ["i.e. this, e.g. that, etc.", "version 3.5 of the plan", "U.K. policing"])
def test_things_that_are_not_links_are_left(text):
    assert kinds(text) == []


@pytest.mark.parametrize(
    "number",
    [
        "07700 900123",
        "07700900123",
        "07700-900-123",
        "+44 7700 900123",
        "+447700900123",
        "+44 (0)7700 900123",
        "0044 7700 900123",
        "01632 960123",
        "(01632) 960 123",
        "020 7946 0958",
        "(020) 7946 0958",
        "+44 20 7946 0958",
        "0118 496 0123",
        "0800 123 456",
        "0345 600 7777",
    ],
)
def test_uk_phone_numbers_are_found(number):
    assert kinds(f"Call me on {number}, thanks.") == [("phone", number)]


@pytest.mark.parametrize(
    "text",
    [
        "Call 999 or 101, or 111 for the NHS",
        "In 2019 there were 1234567 crimes",
        "between 2019 and 2021 about 1200 crimes",
        "crime number 37/12345/21",
        "dated 01/02/2021 at 10:30",
        "cost 0.50 pence, 12,345,678 people",
        "123 456 7890",
        "ref 0 7700",
        "07700 900 12",
        "account 0712345678901234",
        "ISBN9780198526636",
    ],
)
def test_numbers_that_are_not_uk_phones_are_left(text):
    assert [k for k, _ in kinds(text)] == []


def test_a_phone_followed_by_another_number_is_cut_at_the_phone():
    assert kinds("ring 01632 960123 2019 was bad") == [("phone", "01632 960123")]


@pytest.mark.parametrize(
    "postcode", ["CB1 2AB", "cb1 2ab", "PE13 1AA", "SW1A 1AA", "M1 1AE", "B33 8TH", "CR2 6XH",
                 "DN55 1PT", "EC1A 1BB", "W1A 0AX", "CB12AB", "GIR 0AA"],
)
def test_full_postcodes_are_found(postcode):
    assert kinds(f"I live at {postcode}.") == [("postcode", postcode)]


@pytest.mark.parametrize(
    "text, found",
    [
        ("my postcode is CB1, near the station", "CB1"),
        ("Postcode: PE13", "PE13"),
        ("post code pe13", "pe13"),
    ],
)
def test_outward_codes_are_found_where_given_as_the_writers_postcode(text, found):
    assert kinds(text) == [("postcode", found)]


@pytest.mark.parametrize(
    "text",
    [
        "the CB1 area needs more patrols",  # a district, not an address: kept (stated rule)
        "I live in PE13 and work in CB4",
        "the A14 2nd junction",  # mixed case: a road and an ordinal
        "THE M11 3RD EXIT",  # an ordinal in capitals
        "meet at 5pm or 10am",
        "Cb1 2ab",  # mixed case is not taken for a postcode
        "QQ1 1AA",  # Q cannot start a postcode
    ],
)
def test_text_that_is_not_a_full_postcode_is_left(text):
    assert [k for k, _ in kinds(text, names=False)] == []


@pytest.mark.parametrize(
    "text, found",
    [
        ("a car AB12 CDE sped off", "AB12 CDE"),
        ("a car AB12CDE sped off", "AB12CDE"),
        ("the van A123 BCD again", "A123 BCD"),
        ("an old ABC 123D parked", "ABC 123D"),
        ("reg no ab12 cde", "ab12 cde"),
        ("registration: ABC 123", "ABC 123"),
        ("number plate 1234 AB was seen", "1234 AB"),
        ("its reg is x123abc", "x123abc"),
    ],
)
def test_vehicle_registrations_are_found(text, found):
    assert kinds(text) == [("vehicle registration", found)]


@pytest.mark.parametrize(
    "text",
    [
        "WIDEN THE A14 AND M11 NOW",
        "LIVING IN PE13 AND PE14",
        "the A14 and the M11",
        "NHS 111 and COVID19 rules",
        "PC 1234 was helpful",  # a collar number, not a plate
        "registration is important",
        "ab12 cde",  # lower case needs a word such as "reg" before it
    ],
)
def test_text_that_is_not_a_vehicle_registration_is_left(text):
    assert [k for k, _ in kinds(text, names=False)] == []


@pytest.mark.parametrize(
    "text, found",
    [
        ("PC Smith was kind", ["Smith"]),
        ("Mrs J. Jones and Dr Patel helped", ["J. Jones", "Patel"]),
        ("Detective Sergeant O'Brien-Smith called", ["O'Brien-Smith"]),
        ("Cllr McDonald did nothing", ["McDonald"]),
        ("my name is john smith and I care", ["john smith"]),
        ("Name: Sarah Jones", ["Sarah Jones"]),
        ("I am Sarah and I live here", ["Sarah"]),
        ("I'm Mohammed Khan, a resident", ["Mohammed Khan"]),
        ("John Smith said it was fine", ["John Smith"]),
        ("Please act.\n\nKind regards,\nJane Doe", ["Jane Doe"]),
        ("Please act.\nYours sincerely\n\nJ. R. Hartley", ["J. R. Hartley"]),
        ("Thanks, Bob", ["Bob"]),
    ],
)
def test_names_are_found_in_context(text, found):
    assert [t for k, t in kinds(text) if k == "name"] == found


@pytest.mark.parametrize(
    "text",
    [
        "I am British and I am Disabled",
        "Dr Who is on tonight",
        "Victoria Station and Alexandra Road are dark",
        "Sidewalks are needed along Gary Farms Blvd",
        "Paul Walker Drive floods",
        "Will Police ever answer?",
        "Thanks, I think this is good",
        "Cheers mate",
        "Many thanks\nall of us",
        "Thank you Police for listening",
        "Dear Sir or Madam",
        "my name is not important",
        "Grace, hope and joy",
        "The police station in March",
        "my PC crashed",
    ],
)
def test_words_that_are_not_names_are_left(text):
    assert [k for k, _ in kinds(text) if k == "name"] == []


def test_names_can_be_left_in():
    assert kinds("PC Smith, 07700 900123", names=False) == [("phone", "07700 900123")]


def test_first_names_list_is_loaded_without_everyday_words():
    assert {"Sarah", "Mohammed", "Siobhan", "Rhys"} <= FIRST_NAMES
    assert not {"Will", "May", "Grace", "Mark"} & FIRST_NAMES


def test_redact_pii_replaces_each_kind_with_its_placeholder_and_keeps_titles():
    text = (
        "I'm Sarah Jones (sarah@example.com, 07700 900123), CB1 2AB. PC Smith saw AB12 CDE "
        "at www.example.org.\nRegards,\nSarah"
    )
    assert redact_pii(text) == (
        "I'm [name] ([email], [phone]), [postcode]. PC [name] saw [vehicle registration] "
        "at [link].\nRegards,\n[name]"
    )


def test_redact_pii_leaves_missing_values_missing():
    assert redact_pii(None) is None


def test_placeholders_are_not_found_again():
    text = "[name] [email] [phone] [postcode] [vehicle registration] [link]"
    assert find_pii(text) == []
    assert redact_pii(text) == text


pii_pieces = st.sampled_from(
    ["07700 900123", "+44 (0)20 7946 0958", "CB1 2AB", "cb12ab", "AB12 CDE", "jo@example.com",
     "www.example.org/x", "PC Smith", "John Smith", "Regards,\nJane", "postcode PE13", "reg ",
     "[name]", "@", ".", "0", "44", "+", " ", "\n", "(0)", "Mr ", "I am ", "-", "com", "A1"]
)


@PROPERTY
@given(st.lists(st.one_of(pii_pieces, st.text(max_size=8)), max_size=12).map("".join))
def test_redaction_is_idempotent_and_never_raises(text):
    once = redact_pii(text)
    assert redact_pii(once) == once
    spans = find_pii(text)
    assert all(0 <= s.start < s.end <= len(text) for s in spans)
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))


@PROPERTY
@given(st.text())
def test_redaction_never_raises_on_any_text(text):
    assert isinstance(redact_pii(text), str)
    assert isinstance(redact_pii(text, names=False), str)


@PROPERTY
@given(st.text(alphabet=st.characters(max_codepoint=0xFF)))
def test_bulk_tokeniser_gives_what_tokenise_gives_on_normalised_text(text):
    from analysis.text import _FAST_TOKENS

    text = normalise(text)
    assert _FAST_TOKENS.findall(text) == tokenise(text)
