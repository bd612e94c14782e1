"""Execute the notebooks of this folder and save them with their outputs, so they read on GitHub.

    python notebooks/refresh.py              # every notebook
    python notebooks/refresh.py 04_opt       # some of them

Each notebook runs top to bottom in a fresh "python3" kernel (nbclient) from this folder, with the
repository's boundcheck first on PYTHONPATH, the Agg backend for figures and one BLAS thread (the
machine is shared); the executed notebook replaces the stored one atomically, without timing
metadata, so reruns differ only where the numbers do. ``tests/test_notebooks.py`` executes them
the same way (:func:`execute`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CELL_TIMEOUT = 120
KERNEL = "python3"


def notebooks(names=()):
    """The notebooks of this folder (all, or those whose stem is in ``names``)."""
    found = sorted(HERE.glob("*.ipynb"))
    if names:
        missing = set(names) - {p.stem for p in found}
        if missing:
            raise SystemExit(f"refresh: no notebook called {', '.join(sorted(missing))} in {HERE}")
        found = [p for p in found if p.stem in names]
    return found


def kernel_env():
    """The kernel's environment: this repository first on PYTHONPATH, Agg figures, one BLAS thread."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env["MPLBACKEND"] = "Agg"
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = "1"
    return env


def execute(path):
    """The notebook at ``path``, executed (raises ``nbclient.exceptions.CellExecutionError`` on a failing cell)."""
    import nbclient
    import nbformat

    notebook = nbformat.read(str(path), as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name=KERNEL, record_timing=False,
                                     resources={"metadata": {"path": str(HERE)}})
    client.execute(env=kernel_env())
    return notebook


def refresh(path):
    """Execute the notebook at ``path`` and store it with its outputs (atomically)."""
    import nbformat

    sys.path.insert(0, str(ROOT))
    from boundcheck.report.files import atomic_path

    notebook = execute(path)
    notebook.metadata.pop("widgets", None)
    with atomic_path(path, suffix=".ipynb") as tmp:
        nbformat.write(notebook, tmp)


def main(argv=None):
    names = sys.argv[1:] if argv is None else list(argv)
    for path in notebooks(names):  # one kernel per notebook
        print(f"refresh: {path.name}", file=sys.stderr)
        refresh(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
