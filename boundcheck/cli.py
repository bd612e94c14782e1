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

# Only light standard-library modules at import time: numpy, scipy and the commands are imported
# inside main(), where a Ctrl-C during the imports is caught like any other.
import argparse
import importlib
import os
import pkgutil
import signal
import sys
import warnings

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


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so that pools, stores and staged files are cleaned up."""


def _command_modules():
    from . import commands as commands_pkg

    modules = []
    for info in sorted(pkgutil.iter_modules(commands_pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        modules.append(importlib.import_module(f"{commands_pkg.__name__}.{info.name}"))
    return modules


def build_parser():
    """The argument parser with every subcommand found in ``boundcheck.commands``."""
    from .report.tables import FORMATS

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
        cmd.set_defaults(_run=module.run, _writes_out=getattr(module, "WRITES_OUT", False),
                         _inputs=getattr(module, "input_files", None))
    return parser


#: Options naming a file a command writes besides --out (dest -> option).
_SIDE_OUTPUTS = {"plot": "--plot", "save_w": "--save-w"}
#: Options naming a file a command reads (dest); no output may replace one of them.
_INPUTS = ("store", "config", "instance")


def _stage_outputs(args, outputs):
    """Check every destination (--out, --plot, --save-w), then point the command at staged temporaries."""
    from ._files import check_destination, same_file

    targets = [(option, getattr(args, dest)) for dest, option in _SIDE_OUTPUTS.items()
               if getattr(args, dest, None) is not None]
    if args.out is not None:
        targets.insert(0, ("--out", args.out))
    inputs = list(args._inputs(args)) if args._inputs is not None else [
        getattr(args, dest) for dest in _INPUTS if isinstance(getattr(args, dest, None), str)]
    for i, (option, path) in enumerate(targets):
        check_destination(option, path)
        if option == "--plot":
            from .report.plots import FIGURE_FORMATS

            if os.path.splitext(path)[1].lower().lstrip(".") not in FIGURE_FORMATS:
                raise _validate_error(f"--plot must end in one of {', '.join('.' + f for f in FIGURE_FORMATS)} "
                                      f"(the figure's format); got {path!r}")
        for source in inputs:
            if source and same_file(path, source):
                raise _validate_error(f"{option} must not be an input of the command; {path!r} is {source!r}")
        for other, earlier in targets[:i]:
            if same_file(path, earlier):
                raise _validate_error(f"{option} and {other} must be different files; both are {path!r}")
    for dest, option in _SIDE_OUTPUTS.items():
        if getattr(args, dest, None) is not None:
            setattr(args, dest, outputs.stage(option, getattr(args, dest)))
    if args._writes_out and args.out is not None:
        args.out = outputs.stage("--out", args.out)


def _validate_error(message):
    from ._validate import BoundcheckInputError

    return BoundcheckInputError(message)


def _final_paths(obj, names):
    """``obj`` with every staged temporary file name replaced by its destination."""
    if isinstance(obj, str):
        return names.get(obj, obj)
    if isinstance(obj, dict):
        return {k: _final_paths(v, names) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_final_paths(v, names) for v in obj)
    return obj


def _one_line(message):
    return " ".join(str(message).split())


def _run(argv, outputs):
    import numpy as np

    from .report.tables import format_output
    from .run.provenance import provenance

    parser = build_parser()
    args = parser.parse_args(argv)
    from .commands._limits import check

    check(args)  # scales in the sound range, sizes up to what this machine can do
    params = {k: v for k, v in vars(args).items() if not k.startswith("_") and k not in ("out", "format", "wide")}
    _stage_outputs(args, outputs)
    rng = np.random.default_rng(args.seed)
    from ._validate import float_errors

    with float_errors():  # an overflow or NaN is an error, never a number a verdict is computed from
        output = _final_paths(args._run(args, rng), outputs.temporaries())
    text = format_output(output, args.format, provenance=provenance(args.seed, params), wide=args.wide)
    # a command that writes its own --out file (plot: the figure) sets WRITES_OUT = True
    if args.out is not None and not args._writes_out:
        with open(outputs.stage("--out", args.out), "w") as handle:
            handle.write(text)
        outputs.commit()
    else:
        outputs.commit()
        sys.stdout.write(text)
    # a run of claims gates a pipeline: 1 when a record is VIOLATED within its hypotheses
    return output.exit_status() if hasattr(output, "exit_status") else 0


def main(argv=None):
    """Entry point of the ``boundcheck`` command; returns the exit status.

    Every failure is one line on stderr: exit status 2 for bad input and for files or stores that
    cannot be used, 130 for Ctrl-C, 143 for SIGTERM. Warnings raised while a command runs are
    printed after it, one line each, and only when it succeeds.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["verify", "--all"] + argv  # a bare `boundcheck [--format F ...]` is the full battery
    outputs = previous = memory = None
    caught = []
    status = 0
    try:
        previous = _on_sigterm()
        memory = _limit_memory()
        from ._files import Outputs

        outputs = Outputs()
        with warnings.catch_warnings(record=True) as caught:
            status = _run(argv, outputs)
    except UsageError as err:
        print(_one_line(err), file=sys.stderr)
        status = 2
    except MemoryError:
        print("boundcheck: error: the requested sizes do not fit in memory; choose smaller --n, --width, --dim "
              "or --draws", file=sys.stderr)
        status = 2
    except KeyboardInterrupt:
        print("boundcheck: interrupted", file=sys.stderr)
        status = 130
    except _Terminated:
        print("boundcheck: terminated", file=sys.stderr)
        status = 143
    except FloatingPointError as err:
        print(f"boundcheck: error: floating-point {_one_line(err)}: the values given are outside the range where "
              "float64 arithmetic is sound (try scales nearer 1 or smaller sizes)", file=sys.stderr)
        status = 2
    except Exception as err:  # noqa: BLE001 - sorted below: expected kinds are one line, others re-raised
        if not _expected(err):
            raise
        print(f"boundcheck: error: {_one_line(err) or type(err).__name__}", file=sys.stderr)
        status = 2
    finally:
        if outputs is not None:
            outputs.discard()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if memory is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, memory)
    if status in (0, 1):  # the command ran: its warnings stand beside its output
        for item in caught:
            print(f"boundcheck: warning: {_one_line(item.message)}", file=sys.stderr)
    return status


def _expected(err):
    """Errors that are the user's input, files or stores (one line, exit 2), not a bug in boundcheck."""
    import sqlite3

    return isinstance(err, (ValueError, TypeError, OSError, KeyError, ArithmeticError, sqlite3.Error))


def _limit_memory():
    """Cap this process's address space at what it uses now plus the memory available, so that a request
    too large for the machine raises MemoryError (one line) instead of waking the kernel's OOM killer.
    Returns the previous limits (restored by main), or None where /proc/meminfo is not there."""
    try:
        import resource

        with open("/proc/meminfo") as handle:
            available = next(int(line.split()[1]) * 1024 for line in handle if line.startswith("MemAvailable:"))
        with open("/proc/self/status") as handle:
            used = next(int(line.split()[1]) * 1024 for line in handle if line.startswith("VmSize:"))
        previous = resource.getrlimit(resource.RLIMIT_AS)
        cap = used + available
        if previous[0] != resource.RLIM_INFINITY and previous[0] <= cap:
            return None
        if previous[1] != resource.RLIM_INFINITY:
            cap = min(cap, previous[1])
        resource.setrlimit(resource.RLIMIT_AS, (cap, previous[1]))
        return previous
    except (ImportError, OSError, StopIteration, ValueError):
        return None


def _on_sigterm():
    """Turn SIGTERM into :class:`_Terminated` in the main thread; returns the previous handler (or None)."""
    def handler(signum, frame):
        raise _Terminated()

    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (a library caller): leave signals alone
        return None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
