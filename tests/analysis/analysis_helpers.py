"""Helpers for the analysis tests: the committed demo export, and real Polis votes written out
as an export file (each Polis statement a "theme"; agree = support, disagree = oppose,
pass = don't know, not seen = not answered)."""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd


ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "notebooks" / "data"
SHARED = ROOT.parent / "shared" / "data"
if not SHARED.exists():
    SHARED = Path("/work/shared/data")
POLIS_LONDON = SHARED / "polis-london-youth-policing"
POLIS_BOWLING_GREEN = SHARED / "polis-bowling-green"
sys.path.insert(0, str(ROOT / "benchmarks"))


def polis_votes() -> pd.DataFrame:
    return pd.read_csv(POLIS_LONDON / "participants-votes.csv")


def write_polis_export(path: Path) -> Path:
    """The London youth policing votes as a format-1 CSV export (with its data dictionary)."""
    votes = polis_votes()
    statements = [c for c in votes.columns if c.isdigit()]
    code = {1: "support", -1: "oppose", 0: "dont_know"}
    rows = {
        "format_version": "1", "consultation": "polis-london-youth-policing",
        "reference": [f"POL-{int(p):04d}" for p in votes["participant"]],
        "submitted_at": "2022-07-27T12:00:00Z", "received_on": "2022-07-27", "channel": "online",
        "status": "valid", "status_reason": "", "hidden_comments": "",
        "respondent_type": "resident", "district": "cambridge",
    }
    frame = pd.DataFrame(rows)
    for s in statements:
        frame[f"support__s{s}"] = votes[s].map(code).fillna("").to_numpy()
        frame[f"comment__s{s}"] = ""
    frame.to_csv(path, index=False)
    dictionary = pd.DataFrame({
        "column": [f"support__s{s}" for s in statements], "question": "support", "type": "support",
        "theme": [f"s{s}" for s in statements], "theme_title": [f"Statement {s}" for s in statements],
        "label": "", "codes": "", "description": ""})
    dictionary.to_csv(path.with_name(path.stem + ".dictionary.csv"), index=False)
    return path
