"""Notebook 01 runs from top to bottom on the demo data, in a temporary folder."""
from __future__ import annotations

import os
import shutil

import nbformat
import pytest
from analysis_helpers import ROOT
from nbclient import NotebookClient


@pytest.mark.slow
def test_support_per_theme_notebook_runs(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "notebooks" / "data", tmp_path / "data")
    notebook = nbformat.read(ROOT / "notebooks" / "01_support_per_theme.ipynb", as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = "".join(str(o.get("text", "")) for c in notebook.cells for o in c.get("outputs", []))
    assert "effective sample size" in outputs
    assert (tmp_path / "report" / "report.html").exists()
