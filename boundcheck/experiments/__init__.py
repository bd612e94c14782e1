"""Experiments beside the claims: learning curves, the blog's and the slides' figures."""
