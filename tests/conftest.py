import numpy as np
import pytest


@pytest.fixture
def rng(request):
    """A Generator seeded per test (from the test's name), so tests are reproducible and independent."""
    seed = sum(ord(c) for c in request.node.name)
    return np.random.default_rng(seed)
