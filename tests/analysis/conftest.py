"""Fixtures for the analysis tests: the demo export, and small comment sets made here
(helpers that build data live in analysis_helpers.py)."""
from __future__ import annotations

import random

import pytest
from analysis_helpers import DEMO

from analysis.load import ConsultationData, load

TOPICS = {
    "roads": ["pothole", "speeding", "traffic", "junction", "roadworks", "speed cameras",
              "cyclists", "parking"],
    "drugs": ["drug dealing", "cannabis", "county lines", "needles", "dealers", "drug users",
              "cocaine", "addiction"],
    "patrols": ["police patrols", "officers on foot", "visible policing", "bobbies on the beat",
                "community officers", "police station", "response times", "neighbourhood team"],
    "youth": ["youth club", "young people", "teenagers", "school", "activities for kids",
              "skate park", "youth workers", "after school"],
}
# Frames made of stop words only, so that the topic words decide the groups.
FRAMES = [
    "{A} and {b}, also {c}.",
    "It is {a}, {b} and {c}.",
    "What about {a} or {b} or {c}?",
    "{A}. {B}. {C}!",
    "All about {a} and {b} and {c} here.",
]


def make_comments(n_per_topic: int = 30, seed: int = 0) -> tuple[list[str], list[str]]:
    """Short comments on four topics with the topic of each: (texts, topics)."""
    rng = random.Random(seed)
    texts, topics = [], []
    for topic, words in TOPICS.items():
        for _ in range(n_per_topic):
            a, b, c = rng.sample(words, 3)
            frame = rng.choice(FRAMES)
            texts.append(frame.format(a=a, b=b, c=c, A=a.capitalize(), B=b.capitalize(),
                                      C=c.capitalize()))
            topics.append(topic)
    order = list(range(len(texts)))
    rng.shuffle(order)
    return [texts[i] for i in order], [topics[i] for i in order]


@pytest.fixture(scope="session")
def topic_comments() -> tuple[list[str], list[str]]:
    return make_comments()


@pytest.fixture(scope="session")
def coded_comments() -> tuple[list[str], list[list[str]]]:
    """Multi-label coded comments: a comment mentioning two topics carries both codes."""
    rng = random.Random(1)
    texts, codes = [], []
    names = list(TOPICS)
    for i in range(240):
        first = names[i % 4]
        chosen = [first] if rng.random() < 0.6 else sorted({first, rng.choice(names)})
        phrases = [rng.choice(TOPICS[c]) for c in chosen]
        while len(phrases) < 3:
            phrases.append(rng.choice(TOPICS[first]))
        frame = rng.choice(FRAMES)
        texts.append(frame.format(a=phrases[0], b=phrases[1], c=phrases[2],
                                  A=phrases[0].capitalize(), B=phrases[1].capitalize(),
                                  C=phrases[2].capitalize()))
        codes.append(chosen)
    return texts, codes


@pytest.fixture(scope="session")
def comment_maker():
    """``make_comments(n_per_topic, seed)`` for tests that need their own sizes."""
    return make_comments


@pytest.fixture(scope="session")
def demo() -> ConsultationData:
    return load(DEMO / "demo.json")
