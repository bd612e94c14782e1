"""The notebooks in notebooks/ execute from top to bottom and define nothing reusable.

Each notebook runs in a fresh "python3" kernel (nbclient), from the notebooks folder, with a
120 s limit per cell; any cell error fails its test. The kernel imports the working tree's
boundcheck (the repository root is put first on PYTHONPATH), draws figures with the Agg backend
and uses one BLAS thread (the machine is shared). The notebooks are stored without outputs and
their code cells contain no ``def``, ``class`` or ``lambda``: reusable code belongs in the package.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CELL_TIMEOUT = 120
KERNEL = "python3"


def _kernel_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env["MPLBACKEND"] = "Agg"
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = "1"
    return env


def _read(path):
    return nbformat.read(str(path), as_version=4)


def _code_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def test_notebooks_present():
    names = {p.stem for p in NOTEBOOKS}
    for expected in ("01_kernel_expansion", "02_coupling_and_landscape", "03_generalization_and_mop", "04_opt",
                     "05_sample_complexity"):
        assert expected in names, f"notebooks/{expected}.ipynb is missing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_defines_nothing_reusable(path):
    notebook = _read(path)
    nbformat.validate(notebook)
    assert notebook.cells and notebook.cells[0].cell_type == "markdown", "the first cell names the paper's results"
    for index, cell in enumerate(_code_cells(notebook)):
        assert not cell.get("outputs") and cell.get("execution_count") is None, (
            f"{path.name}: code cell {index} is stored with outputs; save the notebook without outputs")
        tree = ast.parse(cell.source, filename=f"{path.name}[{index}]")
        for node in ast.walk(tree):
            assert not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)), (
                f"{path.name}: code cell {index} defines {type(node).__name__} at line {node.lineno}; "
                "notebooks call boundcheck, they define nothing")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path):
    notebook = _read(path)
    client = nbclient.NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name=KERNEL,
                                     resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    try:
        client.execute(env=_kernel_env())
    except nbclient.exceptions.CellExecutionError as error:
        pytest.fail(f"{path.name} failed:\n{str(error)[-4000:]}", pytrace=False)
    errors = [out for cell in _code_cells(notebook) for out in cell.get("outputs", [])
              if out.get("output_type") == "error"]
    assert not errors, f"{path.name}: {errors[0].get('ename')}: {errors[0].get('evalue')}"
