"""``boundcheck sweep CONFIG.toml``: run a claim over a grid of options and seeds into a SQLite store."""

from __future__ import annotations

import os
import sys

from .. import _validate as validate
from ..run.sweep import load_config, run_sweep

NAME = "sweep"
HELP = "run a claim over a grid of its options and seeds (TOML config); results go to a SQLite store"
USES_INSTANCE = False


def add_arguments(parser):
    parser.add_argument("config", metavar="CONFIG.toml", help="sweep configuration (see data/example_sweep.toml)")
    parser.add_argument("--store", metavar="FILE.sqlite",
                        help="SQLite store of the results (default: CONFIG with the suffix .sqlite)")
    parser.add_argument("--resume", action="store_true", help="skip the cells already in the store")
    parser.add_argument("--workers", type=int, metavar="K",
                        help="local worker processes (default: the number of CPUs; 1 runs in this process)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run the cells on the Dask cluster at ADDRESS (tcp://host:port)")
    parser.add_argument("--claims", dest="claim_files", action="append", metavar="FILE.py", default=[],
                        help="load the claims of your own Python file first (repeatable; local workers inherit them)")


def _store_path(args):
    return args.store if args.store is not None else os.path.splitext(args.config)[0] + ".sqlite"


def input_files(args):
    """The files this command reads (no --out may replace them): the config, the store, claim files."""
    return [args.config, _store_path(args)] + list(args.claim_files)


def run(args, rng):
    if args.workers is not None:
        validate.integer("--workers", args.workers, minimum=1, maximum=1024)
    if args.workers is not None and args.scheduler is not None:
        raise validate.BoundcheckInputError("--workers and --scheduler exclude each other (Dask decides the workers)")
    if args.claim_files and args.scheduler is not None:
        raise validate.BoundcheckInputError("--claims works with local workers, which inherit the loaded claims; a Dask "
                                            "cluster's workers must import them from an installed package (an entry "
                                            "point of the group boundcheck.claims)")
    from ..run.registry import load_claims_file

    for path in args.claim_files:
        load_claims_file(path)
    # the sweep seed is [sweep] seed in the TOML; --seed is used only when the TOML names none
    config = load_config(args.config, default_seed=args.seed)
    store = _store_path(args)
    if os.path.exists(store) and os.path.exists(args.config) and os.path.samefile(store, args.config):
        raise validate.BoundcheckInputError(f"--store must not be the config file; got {store!r}")
    return run_sweep(config, store, workers=args.workers, scheduler=args.scheduler, resume=args.resume,
                     progress=sys.stderr.isatty(), config_path=args.config)
