import numpy as np
import pytest


@pytest.fixture
def rng(request):
    """A Generator seeded per test (from the test's name), so tests are reproducible and independent."""
    seed = sum(ord(c) for c in request.node.name)
    return np.random.default_rng(seed)


@pytest.fixture(autouse=True, scope="session")
def _single_threaded_blas():
    """Tests use small arrays: one BLAS thread avoids oversubscribing a shared 2-core machine."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield
