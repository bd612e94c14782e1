"""Checks of the paper's claims, one module per part of the paper; each registers its checks
with :func:`boundcheck.run.registry.register` when imported (``registry.claims()`` imports them all).
"""
