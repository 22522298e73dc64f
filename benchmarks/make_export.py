"""Synthetic responses to the police-and-crime-plan-2021 consultation, exported by the app.

The responses are made up, seeded, and shaped like a real consultation: support differs by
district, respondent type and age; some responses are campaign copies, duplicates or invalid;
comments are short sentences about each theme, some carrying personal data (so that redaction has
something to do) and some hidden by a moderator. They are stored in a new database of the app
(the consultation loaded from instance/consultations/) and exported with the app's own exporter
(``flask --app consult export``), so the files are in the format the app writes, with its data
dictionary, labels and (from format version 2) areas:

    python -m benchmarks.make_export --notebooks
        writes the notebooks' demonstration data, notebooks/data/demo.csv (with the files the
        exporter writes beside it), demo.json and demo.xlsx (also: make notebook-data)
    python -m benchmarks.make_export --responses 600 --seed 2021 --out out/demo

``make_wide(n, seed)`` returns the rows as a DataFrame (one row per response, the answers by
export column; empty strings where unanswered); the speed benchmark uses it to make 1,000,000
responses without writing them.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
ROOT = Path(__file__).resolve().parents[1]
from consult import codes  # noqa: E402  (the app's code lists)

SLUG = "police-and-crime-plan-2021"
OPENS_AT = "2021-06-30T08:00:00Z"
# relative sizes of the districts for drawing the synthetic answers (not figures the analysis
# uses: the export carries those)
DISTRICT_SIZE = {
    "cambridge": 145700,
    "east_cambridgeshire": 87700,
    "fenland": 102500,
    "huntingdonshire": 180800,
    "south_cambridgeshire": 162000,
    "peterborough": 215700,
}
# the consultation's themes, in the definition's order (titles and words come from the app)
THEME_KEYS = ["communities_first", "crime_prevention", "victims_and_witnesses", "ethical_policing",
              "robust_enforcement"]
CHANNELS = {"online": 0.84, "paper": 0.08, "event": 0.05, "email": 0.02, "letter": 0.01}
RESPONDENT_TYPES = {
    "resident": ("A resident", 0.78), "victim_or_witness": ("A victim or witness of crime", 0.08),
    "business": ("A business", 0.06), "organisation": ("A voluntary or public organisation", 0.03),
    "elected_representative": ("An elected representative", 0.02),
    "police": ("A police officer, staff member or volunteer", 0.03),
}
# responses per resident differ by district (Cambridge answers most, Fenland least)
DISTRICT_PROPENSITY = {"cambridge": 1.6, "east_cambridgeshire": 1.1, "fenland": 0.6,
                       "huntingdonshire": 0.9, "south_cambridgeshire": 1.2, "peterborough": 0.7}
POSTCODES = {"cambridge": ["CB1", "CB2", "CB3", "CB4", "CB5"], "east_cambridgeshire": ["CB6", "CB7"],
             "fenland": ["PE13", "PE14", "PE15"], "huntingdonshire": ["PE26", "PE27", "PE28", "PE29"],
             "south_cambridgeshire": ["CB21", "CB22", "CB23", "CB24", "CB25"],
             "peterborough": ["PE1", "PE2", "PE3", "PE4", "PE7"], "outside_area": ["NR1", "IP1", "SG8"]}
AGE_BANDS = {"under_18": 0.02, "18_24": 0.06, "25_34": 0.13, "35_44": 0.16, "45_54": 0.19,
             "55_64": 0.19, "65_74": 0.15, "75_plus": 0.06, "prefer_not_to_say": 0.04}
SEXES = {"female": 0.52, "male": 0.44, "prefer_not_to_say": 0.04}
# the answers' codes are the consultation's own (instance/consultations/police-and-crime-plan-2021.yaml)
GENDER_IDENTITY = {"yes": 0.93, "no": 0.01, "prefer_not_to_say": 0.06}
ETHNICITY = {"white": 0.87, "asian": 0.04, "black": 0.02, "mixed": 0.02, "other": 0.01,
             "prefer_not_to_say": 0.04}
DISABILITY = {"yes": 0.16, "no": 0.78, "prefer_not_to_say": 0.06}
RELIGION = {"christian": 0.42, "no_religion": 0.41, "muslim": 0.03, "hindu": 0.01, "other": 0.03,
            "prefer_not_to_say": 0.10}
STATUSES = {"valid": 0.925, "duplicate": 0.02, "campaign": 0.045, "invalid": 0.01}
VICTIM_CRIMES = ["burglary", "theft", "violence", "fraud_or_cyber", "antisocial_behaviour",
                 "hate_crime", "domestic_abuse", "other"]

# (base latent support by theme) -- enforcement and victims are popular, ethics less so
THEME_BASE = {"communities_first": 0.9, "crime_prevention": 1.0, "victims_and_witnesses": 1.2,
              "ethical_policing": 0.55, "robust_enforcement": 0.8}
DISTRICT_EFFECT = {"cambridge": -0.15, "east_cambridgeshire": 0.05, "fenland": 0.25,
                   "huntingdonshire": 0.1, "south_cambridgeshire": 0.0, "peterborough": 0.1,
                   "outside_area": -0.2, "prefer_not_to_say": -0.1}
TYPE_EFFECT = {"resident": 0.0, "victim_or_witness": -0.35, "business": 0.1, "organisation": 0.15,
               "elected_representative": 0.2, "police": 0.45}
# how much each theme's support depends on age (older people favour enforcement)
AGE_SLOPE = {"communities_first": 0.02, "crime_prevention": 0.0, "victims_and_witnesses": 0.0,
             "ethical_policing": -0.06, "robust_enforcement": 0.09}
RANK_PREFERENCE = {"communities_first": 0.3, "crime_prevention": 0.6, "victims_and_witnesses": 0.5,
                   "ethical_policing": -0.4, "robust_enforcement": 0.2}

SENTENCES = {
    ("communities_first", "for"): [
        "We need to see more police officers on the streets in our village.",
        "Local policing teams who know the area make people feel safer.",
        "Speeding through the village is our biggest worry and nobody listens.",
        "Anti-social behaviour in the town centre should be dealt with quickly.",
        "It is good that rural crime is finally being taken seriously.",
        "PCSOs at the school gate and in the park make a real difference.",
    ],
    ("communities_first", "against"): [
        "This is all words, we never see a police officer round here.",
        "The 101 number takes so long to answer that people give up reporting.",
        "Listening is not enough if nothing changes afterwards.",
        "Rural areas are always forgotten when resources are shared out.",
    ],
    ("crime_prevention", "for"): [
        "Prevention is better than cure, especially youth clubs and diversion schemes.",
        "Tackling drugs and county lines early would stop so much other crime.",
        "Working with schools to keep young people out of trouble is the right priority.",
        "Better street lighting and CCTV would prevent a lot of crime.",
        "Rehabilitation works if it is properly funded.",
    ],
    ("crime_prevention", "against"): [
        "Prevention sounds nice but the police should focus on catching criminals.",
        "Partnership working usually means nobody takes responsibility.",
        "Money spent on schemes would be better spent on officers.",
    ],
    ("victims_and_witnesses", "for"): [
        "Victims must be kept informed about what is happening with their case.",
        "When I was burgled nobody told me anything for months.",
        "Support for victims of domestic abuse is vital and should be expanded.",
        "Witnesses need to feel safe to come forward.",
        "The victim support service was excellent and should be funded properly.",
    ],
    ("victims_and_witnesses", "against"): [
        "Victims are already let down by the courts and this will not change that.",
        "I reported a crime and never heard back, so I doubt this will happen.",
        "Court delays mean witnesses give up, fix that first.",
    ],
    ("ethical_policing", "for"): [
        "Trust in the police depends on officers behaving with integrity.",
        "The force should reflect the communities it serves.",
        "Stop and search must be fair and properly recorded.",
        "Officers who abuse their position must be dealt with openly.",
    ],
    ("ethical_policing", "against"): [
        "This is a distraction from fighting crime.",
        "Police time should not be spent on diversity training.",
        "Ethics should be a given, it does not need to be a priority in the plan.",
        "Too much paperwork already stops officers doing their job.",
    ],
    ("robust_enforcement", "for"): [
        "Criminals should face real consequences for their actions.",
        "Drink and drug driving should be clamped down on hard.",
        "Fly-tipping and speeding need far more enforcement.",
        "Shoplifting has gone unpunished for too long.",
        "Repeat offenders should be taken off the streets.",
    ],
    ("robust_enforcement", "against"): [
        "Enforcement alone will not solve the causes of crime.",
        "Heavy-handed policing damages trust in communities.",
        "Prison does not work for young people, it makes things worse.",
    ],
}
MISSING_FROM_PLAN = [
    "Road safety and speeding should be a theme of its own.",
    "Cyber crime and online fraud against older people.",
    "Mental health support so that police are not the service of last resort.",
    "Rural crime, including hare coursing and farm machinery theft.",
    "Nothing, the plan covers what matters.",
    "Violence against women and girls needs its own section.",
]
FIRST_NAMES = ["Sarah", "John", "Priya", "Tom", "Aisha", "David", "Helen", "Marek"]
SURNAMES = ["Smith", "Patel", "Jones", "Nowak", "Brown", "Khan", "Taylor", "Wilson"]
CAMPAIGN_TEXT = ("I oppose this plan. Enforcement must not come before our civil liberties. "
                 "Scrap the robust enforcement theme now.")
REFERENCE_ALPHABET = np.array(list(codes.REFERENCE_ALPHABET))


def _choice(rng: np.random.Generator, options: dict, n: int, p=None) -> np.ndarray:
    keys = list(options)
    weights = np.array([v[1] if isinstance(v, tuple) else v for v in options.values()], float)
    if p is not None:
        weights = np.asarray(p, float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=n, p=weights / weights.sum())]


def _references(rng: np.random.Generator, n: int) -> np.ndarray:
    refs: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        letters = REFERENCE_ALPHABET[rng.integers(0, len(REFERENCE_ALPHABET), size=(n - len(out), 8))]
        for row in letters:
            ref = "PCP-" + "".join(row[:4]) + "-" + "".join(row[4:])
            if ref not in refs:
                refs.add(ref)
                out.append(ref)
    return np.array(out, dtype=object)


def _comment_pool(rng: np.random.Generator, theme: str, stance: str, size: int) -> np.ndarray:
    """Comments of one to three sentences; a few carry personal data or start with a dash."""
    sentences = SENTENCES[(theme, stance)]
    pool = []
    for i in range(size):
        k = int(rng.integers(1, 4))
        picked = [sentences[j] for j in rng.choice(len(sentences), size=min(k, len(sentences)), replace=False)]
        text = " ".join(picked)
        roll = rng.random()
        if roll < 0.05:
            name = f"{FIRST_NAMES[i % 8]} {SURNAMES[(i * 3) % 8]}"
            text += f" My name is {name}, email {name.split()[0].lower()}.{name.split()[1].lower()}@example.com if you want to talk."
        elif roll < 0.08:
            text += f" Call me on 07700 900{int(rng.integers(100, 999))}, I live in CB{int(rng.integers(1, 5))} {int(rng.integers(1, 9))}AB."
        elif roll < 0.10:
            text = "- " + text
        elif roll < 0.12:
            text = text + "\nThank you for asking."
        pool.append(text)
    return np.array(pool, dtype=object)


def make_wide(n: int, seed: int = 2021) -> pd.DataFrame:
    """``n`` synthetic responses as an export-format-1 table (one row each, export column order).

    Multiple-choice answers are ``;``-joined strings, ranks are floats with NaN when unranked and
    empty answers are empty strings, exactly as a CSV export reads back with ``dtype=str``.
    """
    rng = np.random.default_rng(seed)
    cols: dict[str, np.ndarray] = {}
    cols["format_version"] = np.full(n, "1", dtype=object)
    cols["consultation"] = np.full(n, SLUG, dtype=object)
    cols["reference"] = _references(rng, n)
    # arrivals: a launch peak, a mid-consultation push, a last-week rush
    start = pd.Timestamp(OPENS_AT).value // 10**9
    length = 30 * 86400
    mix = rng.choice(3, size=n, p=[0.45, 0.3, 0.25])
    frac = np.where(mix == 0, rng.exponential(0.12, n),
                    np.where(mix == 1, rng.normal(0.45, 0.06, n), 1 - rng.exponential(0.08, n)))
    frac = np.clip(frac, 0, 0.9999)
    seconds = start + (frac * length).astype(np.int64)
    submitted = pd.to_datetime(seconds, unit="s", utc=True)
    cols["submitted_at"] = submitted.strftime("%Y-%m-%dT%H:%M:%SZ").to_numpy(dtype=object)
    channel = _choice(rng, CHANNELS, n)
    cols["received_on"] = submitted.strftime("%Y-%m-%d").to_numpy(dtype=object)
    late = (channel != "online")
    received = (submitted + pd.to_timedelta(rng.integers(0, 4, n) * late, unit="D")).strftime("%Y-%m-%d")
    cols["received_on"] = np.where(late, received.to_numpy(dtype=object), cols["received_on"])
    cols["channel"] = channel
    status = _choice(rng, STATUSES, n)
    cols["status"] = status
    reasons = {"valid": "", "duplicate": "Same person answered twice (same email on paper and online)",
               "campaign": "Copy of a campaign template", "invalid": "Blank or nonsense response"}
    cols["status_reason"] = np.array([reasons[s] for s in status], dtype=object) if n < 50_000 else \
        pd.Series(status).map(reasons).to_numpy(dtype=object)
    cols["hidden_comments"] = np.full(n, "", dtype=object)

    rtype = _choice(rng, RESPONDENT_TYPES, n)
    cols["respondent_type"] = rtype
    empty = np.full(n, "", dtype=object)
    is_victim = rtype == "victim_or_witness"
    crimes = np.array(VICTIM_CRIMES, dtype=object)[rng.integers(0, len(VICTIM_CRIMES), n)]
    cols["victim_crime_types"] = np.where(is_victim, crimes, empty)
    cols["victim_reported"] = np.where(is_victim, np.where(rng.random(n) < 0.7, "yes", "no"), empty)
    cols["victim_support_offered"] = np.where(is_victim, np.where(rng.random(n) < 0.4, "yes", "no"), empty)
    sat = np.array(["very_satisfied", "satisfied", "dissatisfied", "very_dissatisfied"], dtype=object)
    cols["victim_satisfaction"] = np.where(is_victim, sat[rng.choice(4, n, p=[.15, .3, .3, .25])], empty)
    is_business = rtype == "business"
    sizes = np.array(["micro", "small", "medium", "large"], dtype=object)
    cols["business_size"] = np.where(is_business, sizes[rng.choice(4, n, p=[.5, .3, .15, .05])], empty)
    sectors = np.array(["retail", "hospitality", "agriculture", "manufacturing", "services"], dtype=object)
    cols["business_sector"] = np.where(is_business, sectors[rng.integers(0, 5, n)], empty)
    bcrimes = np.array(["shoplifting;criminal_damage", "fraud_or_cyber", "burglary;fraud_or_cyber", "none",
                        "shoplifting"], dtype=object)
    cols["business_crimes"] = np.where(is_business, bcrimes[rng.integers(0, 5, n)], empty)
    reported = np.array(["all", "some", "none"], dtype=object)
    cols["business_reported"] = np.where(is_business, reported[rng.choice(3, n, p=[.3, .4, .3])], empty)

    dist_keys = list(DISTRICT_SIZE)
    weights = np.array([DISTRICT_SIZE[d] * DISTRICT_PROPENSITY[d] for d in dist_keys], float)
    weights = weights / weights.sum() * 0.95
    district = np.array(dist_keys + ["outside_area", "prefer_not_to_say"], dtype=object)[
        rng.choice(8, n, p=np.append(weights, [0.02, 0.03]))]
    cols["district"] = district
    postcode = empty.copy()
    for key, codes in POSTCODES.items():
        mask = district == key
        postcode[mask] = np.array(codes, dtype=object)[rng.integers(0, len(codes), mask.sum())]
    postcode[rng.random(n) < 0.15] = ""
    cols["postcode_district"] = postcode

    age = _choice(rng, AGE_BANDS, n)
    age_index = pd.Series(age).map({k: i for i, k in enumerate(AGE_BANDS)}).to_numpy()
    age_centred = np.where(age == "prefer_not_to_say", 0.0, age_index - 4.0)
    sex = _choice(rng, SEXES, n)
    person = (pd.Series(district).map(DISTRICT_EFFECT).to_numpy()
              + pd.Series(rtype).map(TYPE_EFFECT).to_numpy()
              + np.where(sex == "female", 0.05, 0.0) + rng.normal(0, 0.5, n))
    thresholds = np.array([-1.3, -0.5, 0.3, 1.3])  # strongly oppose | oppose | neither | support | strongly
    level_of = np.array(["strongly_oppose", "oppose", "neither", "support", "strongly_support"], dtype=object)
    campaign = status == "campaign"
    has_comment_any = rng.random(n) < 0.55
    for key in THEME_KEYS:
        latent = THEME_BASE[key] + person + AGE_SLOPE[key] * age_centred + rng.logistic(0, 0.6, n)
        level = level_of[np.searchsorted(thresholds, latent)]
        roll = rng.random(n)
        level = np.where(roll < 0.04, "dont_know", level)
        level = np.where((roll >= 0.04) & (roll < 0.04 + 0.02 + 0.01 * THEME_KEYS.index(key)), "", level)
        if key == "robust_enforcement":
            level = np.where(campaign, "strongly_oppose", level)
        else:
            level = np.where(campaign, "", level)
        cols[f"support__{key}"] = level.astype(object)
        comment = empty.copy()
        writes = has_comment_any & (rng.random(n) < 0.45) & (level != "")
        stance_for = np.isin(level, ["strongly_support", "support"]) | ((level == "neither") & (rng.random(n) < 0.5))
        pool_size = 400 if n > 5000 else 60
        pools = {s: _comment_pool(rng, key, s, pool_size) for s in ("for", "against")}
        for stance, mask in (("for", writes & stance_for), ("against", writes & ~stance_for)):
            comment[mask] = pools[stance][rng.integers(0, pool_size, mask.sum())]
        if key == "robust_enforcement":
            comment[campaign] = CAMPAIGN_TEXT
        cols[f"comment__{key}"] = comment

    # rankings: Plackett-Luce by the Gumbel trick, 70% of respondents rank
    utilities = np.array([RANK_PREFERENCE[k] for k in THEME_KEYS]) + rng.gumbel(size=(n, 5))
    utilities[:, 4] += 0.08 * age_centred
    utilities[:, 3] -= 0.06 * age_centred
    order = np.argsort(-utilities, axis=1)
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, 6)[None, :].repeat(n, 0), axis=1)
    ranked = (rng.random(n) < 0.7) & ~campaign
    for i, key in enumerate(THEME_KEYS):
        cols[f"rank__{key}"] = np.where(ranked, ranks[:, i].astype(float), np.nan)
    missing = np.array(MISSING_FROM_PLAN, dtype=object)[rng.integers(0, len(MISSING_FROM_PLAN), n)]
    cols["missing_from_plan"] = np.where(rng.random(n) < 0.2, missing, empty)
    cols["age_band"] = age
    cols["sex"] = sex
    cols["gender_identity"] = _choice(rng, GENDER_IDENTITY, n)
    cols["ethnicity"] = _choice(rng, ETHNICITY, n)
    cols["disability"] = _choice(rng, DISABILITY, n)
    cols["religion"] = _choice(rng, RELIGION, n)
    for col in ("age_band", "sex", "gender_identity", "ethnicity", "disability", "religion"):
        cols[col] = np.where(rng.random(n) < 0.03, "", cols[col])

    # a moderator hid a few comments (abusive or naming someone)
    hide = (cols["comment__ethical_policing"] != "") & (rng.random(n) < 0.04)
    cols["comment__ethical_policing"] = np.where(
        hide, "The officer at the station is a useless idiot and should be sacked.",
        cols["comment__ethical_policing"])
    cols["hidden_comments"] = np.where(hide, "comment__ethical_policing", "")
    frame = pd.DataFrame(cols)
    return frame.sort_values("submitted_at", kind="stable").reset_index(drop=True)


DEFINITION = ROOT / "instance" / "consultations" / f"{SLUG}.yaml"
NOTEBOOK_DATA = ROOT / "notebooks" / "data" / "demo"
NOTEBOOK_RESPONSES = 1200
NOTEBOOK_SEED = 2021
MULTIPLE_CHOICE = ("victim_crime_types", "business_crimes")
FIXED = ("format_version", "consultation", "reference", "submitted_at", "received_on", "channel", "status",
         "status_reason", "hidden_comments")


def _answers(row: dict) -> dict:
    """A response's answers as the app stores them (``response.answers``): multiple choice as
    lists, ranks as whole numbers, unanswered questions left out."""
    answers = {}
    for col, value in row.items():
        if col in FIXED or value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
            continue
        if col in MULTIPLE_CHOICE:
            value = [v for v in str(value).split(";") if v]
        elif col.startswith("rank__"):
            value = int(value)
        answers[col] = value
    return answers


def store_responses(consultation, wide: pd.DataFrame) -> int:
    """Add the rows of ``wide`` to the app's database as responses to ``consultation``, with
    their own references, times, channels, statuses and hidden comments."""
    from consult.extensions import db
    from consult.models import Response

    for row in wide.to_dict(orient="records"):
        answers = _answers(row)
        db.session.add(Response(
            reference=row["reference"], consultation_id=consultation.id,
            submitted_at=dt.datetime.strptime(row["submitted_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc),
            received_on=dt.date.fromisoformat(row["received_on"]), channel=row["channel"], status=row["status"],
            status_reason=row["status_reason"],
            hidden_comments=[c for c in str(row["hidden_comments"]).split(";") if c],
            answers=answers, respondent_type=answers.get("respondent_type"), district=answers.get("district")))
    db.session.commit()
    return len(wide)


def export_with_app(wide: pd.DataFrame, out: Path, formats: list[str]) -> list[Path]:
    """Load the 2021 consultation into a new database of the app, store ``wide`` there as its
    responses, and export them with the app's own exporter (``flask --app consult export``), so
    the files are exactly what staff would download. Returns the files written."""
    import tempfile

    from consult import create_app
    from consult.extensions import db
    from consult.models import Consultation

    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/demo.db",
                                     "REPORTS_DIR": f"{tmp}/reports", "IMPORTS_DIR": f"{tmp}/imports"})
        with app.app_context():
            db.create_all()
            runner = app.test_cli_runner()
            done = runner.invoke(args=["consultations", "load", str(DEFINITION)])
            if done.exit_code != 0:
                raise SystemExit(f"Could not load {DEFINITION}: {done.output}")
            consultation = Consultation.query.filter_by(slug=SLUG).one()
            store_responses(consultation, wide)
            for fmt in formats:
                path = out.with_suffix(f".{fmt}")
                before = set(path.parent.glob(f"{path.stem}.*"))
                started = time.time()
                done = runner.invoke(args=["export", SLUG, "--format", fmt, "--out", str(path)])
                if done.exit_code != 0:
                    raise SystemExit(f"The export to {path} failed: {done.output}")
                if fmt == "xlsx":
                    _reproducible_zip(path)
                written.append(path)
                if fmt == "csv":  # and what the exporter writes beside it (data dictionary, areas)
                    written += sorted(p for p in path.parent.glob(f"{path.stem}.*.csv") if p not in before
                                      or p.stat().st_mtime >= started)
            db.session.remove()
            db.engine.dispose()
    return sorted(set(written))


def _reproducible_zip(path: Path) -> None:
    """A workbook's zip entries and document properties carry the time it was written; fix
    them, so that the same responses give the same file (the cells are untouched)."""
    import re
    import zipfile

    entries = []
    with zipfile.ZipFile(path) as zin:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2021-08-01T00:00:00Z", data)
            entries.append((info.filename, data))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in entries:
            zinfo = zipfile.ZipInfo(name, date_time=(2021, 8, 1, 0, 0, 0))
            zinfo.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(zinfo, data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=600, help="how many responses (default 600)")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--out", type=Path, help="path without extension, e.g. out/demo")
    parser.add_argument("--formats", default="csv,json,xlsx")
    parser.add_argument("--notebooks", action="store_true",
                        help=f"write the notebooks' demonstration data: {NOTEBOOK_RESPONSES} responses, seed "
                             f"{NOTEBOOK_SEED}, to {NOTEBOOK_DATA.relative_to(ROOT)}.*")
    args = parser.parse_args(argv)
    if args.notebooks:
        args.responses, args.seed, args.out = NOTEBOOK_RESPONSES, NOTEBOOK_SEED, args.out or NOTEBOOK_DATA
    if args.out is None:
        parser.error("give --out PATH (without extension), or --notebooks")
    formats = [f for f in args.formats.split(",") if f]
    unknown = sorted(set(formats) - {"csv", "json", "xlsx"})
    if unknown:
        parser.error(f"unknown format {', '.join(unknown)}: choose from csv, json, xlsx")
    wide = make_wide(args.responses, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    written = export_with_app(wide, args.out, formats)
    print(f"wrote {len(wide)} responses with the app's exporter to {', '.join(str(p) for p in written)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
