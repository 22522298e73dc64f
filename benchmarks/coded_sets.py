"""Real comment sets coded by people, for benchmarks/coding_agreement.py.

The files are public but their licences do not let them live in this repository, so they are
read from a folder of your own (``--data-dir``, or the environment variable
``CONSULT_CODED_SETS``), laid out as below. Each entry names where the file comes from (the
repository, path and commit it was measured at) and its licence; ``python
benchmarks/coded_sets.py --data-dir DIR`` says which are there and what they hold.

- ``goemotions/test.tsv`` and ``goemotions/dev.tsv``: GoEmotions (Demszky et al., 2020),
  Reddit comments each coded by people with one or more of 27 emotions or "neutral";
  google-research/google-research, goemotions/data/, Apache 2.0 (the data, CC BY 4.0 per its
  README). Columns: text, label numbers joined by ",", comment id; no header.
- ``care-opinion/co_multi_label.csv``: patients' and carers' stories about NHS services posted on
  Care Opinion, each coded by NHS staff with up to six of 30-odd two-letter codes (the
  pxtextmining project's first framework); The-Strategy-Unit/pxtextmining,
  datasets/phase_1/co_multi_label.csv, CC BY-NC-SA 4.0 (datasets/README.md there).
  Columns: crit, cat_1 .. cat_6, feedback.

Every loader returns a ``CodedSet``: the texts, one list of codes per text, the names of every
code, and a note of what was left out (comments with no text, or no code).
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

#: The 27 emotions and "neutral" of GoEmotions, in the order of its label numbers
#: (goemotions/data/emotions.txt).
GOEMOTIONS_LABELS = [
    "admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion",
    "curiosity", "desire", "disappointment", "disapproval", "disgust", "embarrassment",
    "excitement", "fear", "gratitude", "grief", "joy", "love", "nervousness", "optimism",
    "pride", "realization", "relief", "remorse", "sadness", "surprise", "neutral",
]

SOURCES = {
    "goemotions-test": ("google-research/google-research", "goemotions/data/test.tsv",
                        "2adf640a14f11025ae5a9d0ec493b78530d276d3", "goemotions/test.tsv"),
    "goemotions-dev": ("google-research/google-research", "goemotions/data/dev.tsv",
                       "2adf640a14f11025ae5a9d0ec493b78530d276d3", "goemotions/dev.tsv"),
    "care-opinion": ("The-Strategy-Unit/pxtextmining", "datasets/phase_1/co_multi_label.csv",
                     "9b018dae6b719d597b6df60d106e6d2e68285961",
                     "care-opinion/co_multi_label.csv"),
}


@dataclass
class CodedSet:
    name: str
    texts: list[str]
    codes: list[list[str]]
    labels: list[str]
    left_out: str = ""
    source: str = ""
    sha256: str = ""
    extra: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.texts)

    def describe(self) -> str:
        per = sum(len(c) for c in self.codes) / max(len(self.codes), 1)
        used = len({c for row in self.codes for c in row})
        single = sum(len(c) == 1 for c in self.codes)
        words = sorted(len(t.split()) for t in self.texts)
        median = words[len(words) // 2] if words else 0
        return (f"{self.name}: {len(self):,} comments, {used} codes used, {per:.2f} codes per "
                f"comment, {single:,} with one code, median {median} words"
                + (f"; left out: {self.left_out}" if self.left_out else "")
                + (f"\n  from {self.source}, sha256 {self.sha256[:16]}" if self.source else ""))


def data_dir(given: str | Path | None = None) -> Path:
    return Path(given or os.environ.get("CONSULT_CODED_SETS") or Path.home() / "coded-sets")


def _file(directory: Path, key: str) -> tuple[Path, str, str]:
    repo, path, commit, local = SOURCES[key]
    file = directory / local
    if not file.is_file():
        raise FileNotFoundError(
            f"{file} is missing: put the file {path} of {repo} (commit {commit[:10]}) there.")
    digest = hashlib.sha256(file.read_bytes()).hexdigest()
    return file, f"{repo} {path} @ {commit[:10]}", digest


def goemotions(directory: Path, part: str = "test") -> CodedSet:
    file, source, digest = _file(directory, f"goemotions-{part}")
    texts, codes = [], []
    with file.open(encoding="utf-8", newline="") as handle:
        for line in handle:
            cells = line.rstrip("\n").split("\t")
            if len(cells) != 3:
                continue
            text, labels, _ = cells
            texts.append(text)
            codes.append([GOEMOTIONS_LABELS[int(n)] for n in labels.split(",") if n.strip()])
    return CodedSet(f"GoEmotions {part}", texts, codes, list(GOEMOTIONS_LABELS),
                    source=source, sha256=digest)


def care_opinion(directory: Path) -> CodedSet:
    file, source, digest = _file(directory, "care-opinion")
    texts, codes, empty, odd = [], [], 0, set()
    with file.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            text = (row.get("feedback") or "").replace("&nbsp;", " ").strip()
            found = []
            for i in range(1, 7):
                # the later rows give the same two-letter codes in lower case; a cell that is
                # not two letters ("a", "coml", "SPDA": a handful) is a slip and left out
                code = (row.get(f"cat_{i}") or "").strip().upper()
                if code in ("", "NA"):
                    continue
                if len(code) == 2 and code.isalpha():
                    found.append(code)
                else:
                    odd.add(code)
            found = list(dict.fromkeys(found))
            if not text or not found:
                empty += 1
                continue
            texts.append(" ".join(text.split()))
            codes.append(found)
    labels = sorted({c for row in codes for c in row})
    left = [f"{empty:,} without text or code"] if empty else []
    if odd:
        left.append(f"codes that are not two letters ({', '.join(sorted(odd))})")
    return CodedSet("Care Opinion (NHS), staff's codes", texts, codes, labels,
                    left_out="; ".join(left), source=source, sha256=digest)


LOADERS = {
    "goemotions": lambda d: goemotions(d, "test"),
    "care-opinion": care_opinion,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", help="folder of the sets (default $CONSULT_CODED_SETS)")
    args = parser.parse_args(argv)
    directory = data_dir(args.data_dir)
    found = 0
    for name, load in LOADERS.items():
        try:
            print(load(directory).describe())
            found += 1
        except FileNotFoundError as error:
            print(f"{name}: {error}")
    try:
        print(goemotions(directory, "dev").describe())
    except FileNotFoundError as error:
        print(f"goemotions dev: {error}")
    return 0 if found else 1


if __name__ == "__main__":
    sys.exit(main())
