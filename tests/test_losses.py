import numpy as np
import pytest

from boundcheck.losses import LOSSES, get_loss


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("order", [1, 2, 3])
def test_loss_derivatives_match_finite_differences(name, order, rng):
    loss = get_loss(name)
    y = rng.choice([-1.0, 1.0], size=100)
    z = rng.uniform(-4, 4, size=100)
    h = 1e-5
    fd = (loss.derivative(y, z + h, order - 1) - loss.derivative(y, z - h, order - 1)) / (2 * h)
    np.testing.assert_allclose(loss.derivative(y, z, order), fd, rtol=1e-6, atol=1e-8)


def test_logistic_value_closed_form():
    loss = get_loss("logistic")
    assert loss.value(1.0, 0.0) == pytest.approx(np.log(2))
    assert loss.value(-1.0, 3.0) == pytest.approx(np.log1p(np.exp(3.0)))


@pytest.mark.parametrize("name,ok", [("logistic", True), ("soft-hinge", True), ("squared", False)])
def test_paper_hypotheses(name, ok):
    loss = get_loss(name)
    report = loss.hypotheses()
    assert report["holds"] is ok
    assert loss.meets_paper_hypotheses is ok
    if name == "soft-hinge":
        assert report["value_at_zero"] == pytest.approx(1.0)


def test_bad_loss_name():
    with pytest.raises(ValueError, match="loss must be one of 'logistic', 'soft-hinge', 'squared'; got 'hinge'"):
        get_loss("hinge")
