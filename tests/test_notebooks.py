"""The notebooks in notebooks/ are stored with their outputs, execute from top to bottom, and define nothing
reusable.

They execute as ``notebooks/refresh.py`` runs them (a fresh "python3" kernel, this repository's
boundcheck first on PYTHONPATH, Agg figures, one BLAS thread, 120 s per cell); any cell error fails
the test. They are stored with their outputs so they read on GitHub (``python notebooks/refresh.py``
refreshes them), and their code cells contain no ``def``, ``class`` or ``lambda``: reusable code
belongs in the package.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest
from IPython.core.inputtransformer2 import TransformerManager

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("notebook_refresh", ROOT / "notebooks" / "refresh.py")
refresh = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(refresh)
NOTEBOOKS = refresh.notebooks()


def _code_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def test_notebooks_present():
    names = {p.stem for p in NOTEBOOKS}
    for expected in ("01_kernel_expansion", "02_coupling_and_landscape", "03_generalization_and_mop", "04_opt",
                     "05_sample_complexity"):
        assert expected in names, f"notebooks/{expected}.ipynb is missing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stored_with_outputs_and_defines_nothing(path):
    notebook = nbformat.read(str(path), as_version=4)
    nbformat.validate(notebook)
    assert notebook.cells and notebook.cells[0].cell_type == "markdown", "the first cell names the paper's results"
    cells = _code_cells(notebook)
    counts = [cell.get("execution_count") for cell in cells]
    assert counts == list(range(1, len(cells) + 1)), (
        f"{path.name} is not stored executed top to bottom (execution counts {counts}); "
        "run python notebooks/refresh.py")
    assert any(cell.get("outputs") for cell in cells), f"{path.name} is stored without outputs"
    errors = [out for cell in cells for out in cell.get("outputs", []) if out.get("output_type") == "error"]
    assert not errors, f"{path.name} is stored with an error output: {errors[0].get('ename')}"
    for index, cell in enumerate(cells):
        # shell lines (!boundcheck ...) become get_ipython() calls, as IPython runs them
        source = TransformerManager().transform_cell(cell.source)
        tree = ast.parse(source, filename=f"{path.name}[{index}]")
        for node in ast.walk(tree):
            assert not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)), (
                f"{path.name}: code cell {index} defines {type(node).__name__} at line {node.lineno}; "
                "notebooks call boundcheck, they define nothing")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path):
    try:
        notebook = refresh.execute(path)
    except nbclient.exceptions.CellExecutionError as error:
        pytest.fail(f"{path.name} failed:\n{str(error)[-4000:]}", pytrace=False)
    errors = [out for cell in _code_cells(notebook) for out in cell.get("outputs", [])
              if out.get("output_type") == "error"]
    assert not errors, f"{path.name}: {errors[0].get('ename')}: {errors[0].get('evalue')}"
