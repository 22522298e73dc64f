"""Speed, memory and accuracy of analysis.campaigns.find_campaigns on 100,000 comments.

    python benchmarks/campaigns_speed.py [--texts 100000] [--repeats 3] [--data ../shared/data]

The comments are made from the real public comments in ../shared/data: organic ones are new
texts walked from a word-pair (bigram) model of those comments, so that they read like comments
and share common phrases but are not copies; campaign ones are letters built from 3-5 real
comments, sent between 50 and 3,000 times each with the changes people make (names, addresses,
greetings, sign-offs, added sentences, a few words changed, case). Sibling templates share one of
their sentences. Prints the median time over the repeats, the peak memory of the process, and
pairwise precision and recall against the known groups.
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.campaigns import find_campaigns  # noqa: E402
from analysis.text import normalise, tokenise  # noqa: E402

FIRST = ["John", "Sarah", "Mohammed", "Emma", "David", "Priya", "Gareth", "Siobhan", "Tom", "Anna",
         "Peter", "Aisha", "Callum", "Megan", "Raj", "Claire"]
LAST = ["Smith", "Jones", "Khan", "Patel", "Williams", "Brown", "O'Neill", "Taylor", "Evans",
        "Wilson", "Nowak", "Begum", "Hughes", "Murphy"]
STREETS = ["Mill Road", "High Street", "Station Lane", "Church Close", "Victoria Avenue"]


def real_comments(data: Path) -> list[str]:
    texts = pd.read_csv(data / "polis-bowling-green/comments.csv")["comment-body"].dropna().tolist()
    texts += pd.read_csv(data / "polis-london-youth-policing/comments.csv")["comment-body"].dropna().tolist()
    for part in ("question_part_1", "question_part_2"):
        path = data / "themefinder-gambling-xs/inputs" / part / "responses.jsonl"
        texts += [json.loads(line)["response"] for line in path.read_text().splitlines() if line]
    return [t for t in texts if isinstance(t, str) and t.strip()]


def bigram_texts(corpus: list[str], count: int, rng: random.Random) -> list[str]:
    following: dict[str, list[str]] = defaultdict(list)
    starts = []
    lengths = []
    for text in corpus:
        words = text.split()
        if len(words) < 3:
            continue
        starts.append(words[0])
        lengths.append(len(words))
        for a, b in zip(words, words[1:]):
            following[a].append(b)
    texts = []
    for _ in range(count):
        length = rng.choice(lengths)
        word = rng.choice(starts)
        words = [word]
        while len(words) < length:
            nexts = following.get(word)
            word = rng.choice(nexts) if nexts else rng.choice(starts)
            words.append(word)
        texts.append(" ".join(words))
    return texts


def personalise(template: str, extras: list[str], rng: random.Random) -> str:
    words = template.split()
    for _ in range(rng.choice([0, 0, 1, 2, 3])):
        k = rng.randrange(len(words))
        op = rng.random()
        if op < 0.4 and len(words) > 5:
            del words[k]
        elif op < 0.7:
            words[k] = rng.choice(["really", "very", "strongly", "also", "totally", "local"])
        else:
            words.insert(k, rng.choice(["really", "very", "strongly", "also", "totally", "local"]))
    text = " ".join(words)
    if rng.random() < 0.6:
        text = (f"{rng.choice(['Dear Commissioner,', 'Hello,', 'To whom it may concern:'])}\n{text}\n"
                f"{rng.choice(['Regards,', 'Thanks,', 'Yours faithfully,'])}\n"
                f"{rng.choice(FIRST)} {rng.choice(LAST)}, {rng.randint(1, 200)} {rng.choice(STREETS)}")
    if rng.random() < 0.4:
        extra = rng.choice(extras)
        text = f"{text} {extra}" if rng.random() < 0.5 else f"{extra} {text}"
    if rng.random() < 0.1:
        text = text.upper() if rng.random() < 0.5 else text.lower()
    return text


def build(n_texts: int, data: Path, seed: int = 0) -> tuple[list[str], list[int]]:
    """Texts and their true group (-1 for organic), shuffled."""
    rng = random.Random(seed)
    real = real_comments(data)
    rng.shuffle(real)
    pool = real[:400]
    n_templates = 24
    sizes = [rng.randint(50, 3000) for _ in range(n_templates)]
    scale = min(1.0, 0.3 * n_texts / sum(sizes))
    sizes = [max(2, int(s * scale)) for s in sizes]
    organic = bigram_texts(real[400:], n_texts - sum(sizes), rng)  # not the templates' words
    texts = list(organic)
    truth = [-1] * len(organic)
    previous: list[str] = []
    for k, size in enumerate(sizes):
        parts = rng.sample(pool, rng.randint(3, 5))
        if k % 2 == 1:
            parts[0] = previous[0]  # sibling templates share one sentence
        previous = parts
        template = " ".join(parts)
        for _ in range(size):
            texts.append(personalise(template, organic, rng))
            truth.append(k)
    order = list(range(len(texts)))
    rng.shuffle(order)
    return [texts[i] for i in order], [truth[i] for i in order]


def pairwise(truth: list[int], texts: list[str], labels: pd.Series) -> tuple[float, float]:
    """Pairwise precision and recall; organic texts identical after normalising are true pairs."""
    keys = [" ".join(tokenise(normalise(t, links=True))) for t in texts]
    true_group = pd.Series([f"c{t}" if t >= 0 else f"k{k}" for t, k in zip(truth, keys)])
    predicted = pd.Series([f"p{v}" if pd.notna(v) else f"s{i}" for i, v in enumerate(labels)])

    def pairs(groups: pd.Series) -> int:
        counts = groups.value_counts()
        return int((counts * (counts - 1) // 2).sum())

    together = pairs(true_group + "|" + predicted)
    return together / max(pairs(predicted), 1), together / max(pairs(true_group), 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", type=Path,
                        default=Path(__file__).resolve().parents[1] / ".." / "shared" / "data")
    args = parser.parse_args()
    texts, truth = build(args.texts, args.data)
    campaign_texts = sum(t >= 0 for t in truth)
    print(f"{len(texts):,} texts: {len(texts) - campaign_texts:,} organic, {campaign_texts:,} in "
          f"{len(set(truth) - {-1})} campaigns; mean length {statistics.mean(map(len, texts)):.0f} characters")
    timings = []
    labels = None
    for _ in range(args.repeats):
        start = time.perf_counter()
        labels = find_campaigns(texts)
        timings.append(time.perf_counter() - start)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    precision, recall = pairwise(truth, texts, labels)
    merged = (pd.DataFrame({"t": truth, "p": labels}).query("t >= 0").dropna()
              .groupby("p")["t"].nunique() > 1).sum()
    print(f"find_campaigns: median {statistics.median(timings):.1f} s over {args.repeats} runs "
          f"(runs: {', '.join(f'{t:.1f}' for t in timings)} s)")
    print(f"peak memory of the process (max RSS): {peak_mib:,.0f} MiB")
    print(f"campaigns found: {labels.nunique()}; texts in campaigns: {int(labels.notna().sum()):,}")
    print(f"pairwise precision {precision:.4f}, recall {recall:.4f}; "
          f"found campaigns holding two true templates: {int(merged)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
