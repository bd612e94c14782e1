"""The ``boundcheck`` command: parse arguments, make one Generator from ``--seed``, call the
library, write the output.

Subcommands live in ``boundcheck/commands/``: each module there defines ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args, rng)``; this file finds them, adds the options every
command shares (``--seed``, ``--format``, ``--out``, and ``--instance`` for numeric commands),
and turns every bad input into one line on stderr with exit status 2.

``boundcheck`` with no arguments runs ``boundcheck verify --all``. Exit status: 0 on success, 1 when
a run of claims has a record VIOLATED within its hypotheses, 2 for bad input, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

import numpy as np

from . import commands as _commands_pkg
from .run.provenance import provenance
from .report.files import write_text
from .report.tables import FORMATS, format_output

__all__ = ["main", "build_parser"]


class UsageError(Exception):
    """A command-line mistake: reported in one line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{self.prog}: {message}")


def _seed(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seed must be a non-negative integer; got {text!r}") from None
    if value < 0 or value >= 2**63:
        raise argparse.ArgumentTypeError(f"--seed must be a non-negative integer below 2**63; got {value}")
    return value


def _command_modules():
    modules = []
    for info in sorted(pkgutil.iter_modules(_commands_pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        modules.append(importlib.import_module(f"{_commands_pkg.__name__}.{info.name}"))
    return modules


def build_parser():
    """The argument parser with every subcommand found in ``boundcheck.commands``."""
    common = _Parser(add_help=False)
    common.add_argument("--seed", type=_seed, default=0, help="seed of the one Generator every draw comes from")
    common.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    common.add_argument("--out", metavar="FILE", help="write the output to FILE instead of standard output")
    common.add_argument("--wide", action="store_true", help="table format: keep every column (default: what fits "
                        "120 columns, with footnotes)")
    parser = _Parser(prog="boundcheck", description="Check the theory of wide two-layer networks beyond the NTK "
                     "(Bai & Lee, ICLR 2020). With no arguments: run every registered check at fast sizes.")
    from . import __version__

    parser.add_argument("--version", action="version", version=f"boundcheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in _command_modules():
        cmd = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP, parents=[common])
        if getattr(module, "USES_INSTANCE", True):
            cmd.add_argument("--instance", metavar="FILE.npz",
                             help="run on your own arrays (x, w_init, w_out, and y, w_move, w_star, signs, "
                                  "rademacher where relevant) instead of sampled ones")
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run, _writes_out=getattr(module, "WRITES_OUT", False))
    return parser


def _write(text, out):
    """Write ``text`` to ``out`` atomically (a temporary file renamed), or to stdout."""
    if out is None:
        sys.stdout.write(text)
        return
    write_text(out, text, what="--out")


def main(argv=None):
    """Entry point of the ``boundcheck`` command; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["verify", "--all"] + argv  # a bare `boundcheck [--format F ...]` is the full battery
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.out is not None:  # fail before the work, not after it
            folder = os.path.dirname(os.path.abspath(args.out))
            if not os.path.isdir(folder):
                raise FileNotFoundError(f"--out: the folder {folder!r} does not exist")
        rng = np.random.default_rng(args.seed)
        output = args._run(args, rng)
        params = {k: v for k, v in vars(args).items() if not k.startswith("_") and k not in ("out", "format", "wide")}
        text = format_output(output, args.format, provenance=provenance(args.seed, params), wide=args.wide)
        # a command that writes its own --out file (plot: the figure) sets WRITES_OUT = True
        _write(text, None if args._writes_out else args.out)
        # a run of claims gates a pipeline: 1 when a record is VIOLATED within its hypotheses
        status = output.exit_status() if hasattr(output, "exit_status") else 0
    except UsageError as err:
        print(str(err).replace("\n", " "), file=sys.stderr)
        return 2
    except (ValueError, TypeError, OSError, KeyError, ArithmeticError) as err:
        message = str(err).replace("\n", " ") or type(err).__name__
        print(f"boundcheck: error: {message}", file=sys.stderr)
        return 2
    except MemoryError:
        print("boundcheck: error: the requested sizes do not fit in memory; choose smaller --n, --width, --dim "
              "or --draws", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("boundcheck: interrupted", file=sys.stderr)
        return 130
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
