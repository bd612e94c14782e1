"""Subcommands of the ``boundcheck`` command, one module each (found by ``boundcheck.cli``)."""
