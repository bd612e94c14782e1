"""Claim packs of other papers, written with the public claim API (:mod:`boundcheck.api`); each is an
entry point of the group ``boundcheck.claims``."""
