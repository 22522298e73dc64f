"""Notebook 02 (theme coding) runs from top to bottom on ../shared/data."""
from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "02_theme_coding.ipynb"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.mark.slow
@pytest.mark.skipif(not (SHARED_DATA / "themefinder-gambling-xs").is_dir(),
                    reason="../shared/data is not beside the repository")
def test_theme_coding_notebook_runs(tmp_path, monkeypatch):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    # The kernel runs in tmp_path (the codebook the notebook writes goes there), imports
    # analysis from this checkout and reads ../shared/data through CONSULT_SHARED_DATA.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("CONSULT_SHARED_DATA", str(SHARED_DATA))
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = "".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                   for c in notebook.cells for o in c.get("outputs", []))
    assert "clusters" in text
    assert "samples-F1" in text and "Krippendorff's alpha" in text
    assert "Cross-validated over 5 folds" in text
    assert (tmp_path / "gambling_codebook.yaml").exists()
