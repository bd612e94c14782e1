r"""Learning curves that test the predicted sample complexities of :mod:`boundcheck.complexity`.

Learners (``LEARNERS``), all fitted by squared loss on n samples and scored on a fresh test set:

``ntk``
    kernel ridge(less) regression with the infinite-width NTK of the trained first layer,
    :math:`K(x,x') = x^\top x'\,E_{w}[\sigma'(w^\top x)\sigma'(w^\top x')]`; for
    :math:`\sigma = \mathrm{relu}^3/6` and :math:`w \sim N(0, B_x^{-2}I)` this is
    :math:`x^\top x'\,J_2(\theta)/(8\pi)` with Cho & Saul's
    :math:`J_2(\theta) = 3\sin\theta\cos\theta + (\pi-\theta)(1+2\cos^2\theta)` (:func:`ntk_kernel`).
``quadratic``
    the quadratic model :math:`f^Q_W` fitted by projected gradient descent (backtracking line
    search) in the ball :math:`\|W\|_{2,4} \le B_w` (exact Euclidean projection, :func:`project_24`).
``randomized``
    the randomized network :math:`f_{W_0 + W\Sigma}` trained by noisy gradient descent on
    :math:`E_\Sigma L(W\Sigma) + \lambda\|W\|_{2,4}^4` with fresh signs every step (Section 3.1,
    Theorem 4), scored by its expected test loss over sign draws.
``linear+quadratic``
    :math:`f^L_W + f^Q_W` (the Nichani-Bai-Lee slides' NTK + QuadNTK) by projected gradient descent.
``LQ-reg`` (optional, not in the default set)
    the same with the slides' regularizer on the eigen-directions of the NTK feature covariance
    (:class:`EigenRegularizer`: the middle eigen-directions are penalised, so :math:`f^L` moves in
    the top ones, which fit the low-degree part, and :math:`f^Q` also in the null ones).

Test loss: the normalised test mean squared error :math:`E(\hat f - f_\star)^2 / E f_\star^2` for
``single`` and ``sparse``, the classification error against the clean labels for ``xor``
(trained on labels flipped with probability 0.1). Squared loss is not Lipschitz, so the paper's
hypotheses on the loss do not cover these fits (:data:`boundcheck.losses.SQUARED_WARNING`).

Learning curves are sweeps (:mod:`boundcheck.run.sweep`) of the registered claim
:data:`CURVE_CLAIM` (:mod:`boundcheck.experiments.curve_cell`), one cell per (dim, repeat, learner, n):
:func:`curve_sweep_config` builds the configuration, :func:`run_curve_cells` runs it in this process
and ``boundcheck curves --store FILE`` runs it into a store with
:func:`boundcheck.run.sweep.run_sweep`; :func:`thresholds_from_curves` turns either into thresholds.

Randomness: two integers are drawn from the caller's ``rng``, the sweep seed and the data seed.
Every cell fits with its own ``default_rng(cell_seed(sweep_seed, index))`` and draws its problem
from ``SeedSequence(data_seed, spawn_key=(dim, repeat))``, so results do not depend on how many
workers ran them, nor on whether they went through a store.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _validate as validate
from .. import complexity as cx
from ..activations import get_activation
from ..data import LowDegreePlusSparse, NoisyXor, Polynomial, sample_hypercube, sample_sphere
from ..losses import SQUARED_WARNING
from ..network import project_ball_24, randomized_network, symmetric_init

__all__ = [
    "LEARNERS", "ALL_LEARNERS", "CURVE_CLAIM", "TARGETS", "ntk_kernel", "project_24", "fit_ntk", "fit_taylor",
    "fit_randomized", "threshold",
    "make_problem", "learning_curve", "sample_complexity", "exponent_rows", "slides_experiment",
    "taylor_trajectories", "predicted_exponent", "EigenRegularizer", "sphere_polynomial_dimension", "curve_cell",
    "problem_rng", "curve_sweep_config", "run_curve_cells", "curve_rows_from_records", "thresholds_from_curves",
]

LEARNERS = ("ntk", "quadratic", "randomized", "linear+quadratic")
#: Every learner a curve accepts: ``LEARNERS`` (the default set) plus ``"LQ-reg"`` (learner (d) with the
#: slides' eigen-direction regularizer, :class:`EigenRegularizer`) and ``"linear"`` (:math:`f^L` alone).
ALL_LEARNERS = LEARNERS + ("LQ-reg", "linear")
TARGETS = ("single", "xor", "sparse")
_PARTS = {"quadratic": ("Q",), "linear+quadratic": ("L", "Q"), "LQ-reg": ("L", "Q"), "linear": ("L",)}
#: The registered claim whose check fits one learning-curve cell (:mod:`boundcheck.experiments.curve_cell`).
CURVE_CLAIM = "Learning curve cell"


# --------------------------------------------------------------------------------------------
# problems


class Problem:
    """Training pool, test set and the scoring rule of one sweep cell."""

    def __init__(self, target, x_pool, y_pool, x_test, f_test, kind):
        self.target, self.kind = target, kind
        self.x_pool, self.y_pool, self.x_test, self.f_test = x_pool, y_pool, x_test, f_test
        self.scale = float(np.mean(f_test**2))

    def point_losses(self, predictions):
        """Per-test-point loss of ``predictions`` (shape (..., n_test)), averaged over leading axes: (n_test,)."""
        predictions = np.asarray(predictions, dtype=np.float64)
        if self.kind == "xor":
            per = (np.sign(predictions) != np.sign(self.f_test)).astype(np.float64)
        else:
            per = (predictions - self.f_test) ** 2 / self.scale
        return per.reshape(-1, per.shape[-1]).mean(axis=0)

    def loss(self, predictions):
        """Test loss of ``predictions`` (shape (..., n_test)): the mean of :meth:`point_losses`."""
        return float(np.mean(self.point_losses(predictions)))

    def sample_inputs(self, n_samples, *, rng):
        """Fresh unlabeled inputs from this problem's input distribution."""
        if self.kind == "xor":
            return sample_hypercube(n_samples, self.x_pool.shape[1], rng=rng)
        return sample_sphere(n_samples, self.x_pool.shape[1], rng=rng)


class _Scaled:
    """A target rescaled to unit L2 norm (the slides' sparse target with both parts normalised)."""

    def __init__(self, func, scale):
        self.func, self.scale = func, scale

    def __call__(self, x):
        return self.func(x) * self.scale


def make_problem(target, dim, n_pool, *, degree=2, n_test=500, rng, flip_prob=0.1):
    r"""A target of unit :math:`L_2` norm on the unit sphere (hypercube for ``xor``) with data.

    ``single``: :math:`(\beta^\top x)^p` scaled by :math:`\sqrt{\prod_{j<p}(d+2j)/(2p-1)!!}`;
    ``sparse``: Nichani-Bai-Lee with k = degree - 1, its dense and sparse parts each rescaled
    to unit norm (estimated on 4000 fresh points) so neither swamps the other, then the sum too;
    ``xor``: :math:`x_1x_2 d` with labels flipped with ``flip_prob``.
    """
    validate.choice("target", target, TARGETS)
    dim = validate.integer("dim", dim, minimum=2)
    n_pool = validate.integer("n_pool", n_pool, minimum=1)
    n_test = validate.integer("n_test", n_test, minimum=10)
    if target == "xor":
        func = NoisyXor(dim, 1.0, flip_prob)
        x_pool = sample_hypercube(n_pool, dim, rng=rng)
        x_test = sample_hypercube(n_test, dim, rng=rng)
        return Problem(func, x_pool, func.labels(x_pool, rng=rng), x_test, func(x_test), "xor")
    if target == "single":
        beta = rng.standard_normal(dim)
        scale = math.sqrt(float(cx.beta_power_normalized(degree, dim)))
        func = Polynomial(scale, beta / np.linalg.norm(beta), degree)
    else:
        if degree < 2:
            raise validate.BoundcheckInputError(f"degree must be >= 2 for the sparse target; got {degree}")
        base = LowDegreePlusSparse(dim, degree - 1, 1, rng=rng)
        probe = sample_sphere(4000, dim, rng=rng)
        dense_scale = 1.0 / math.sqrt(np.mean(base.dense(probe) ** 2))
        sparse_scale = 1.0 / math.sqrt(np.mean(base.sparse(probe) ** 2))
        combined = _Scaled(lambda x: dense_scale * base.dense(x) + sparse_scale * base.sparse(x), 1.0)
        func = _Scaled(combined, 1.0 / math.sqrt(np.mean(combined(probe) ** 2)))
    x_pool = sample_sphere(n_pool, dim, rng=rng)
    x_test = sample_sphere(n_test, dim, rng=rng)
    return Problem(func, x_pool, func(x_pool), x_test, func(x_test), target)


# --------------------------------------------------------------------------------------------
# (a) NTK kernel regression


def ntk_kernel(x, z, *, input_radius=1.0):
    r"""Infinite-width NTK of the first layer for :math:`\sigma = \mathrm{relu}^3/6`, shape (len(x), len(z)).

    :math:`K(x,z) = x^\top z\,E[\mathrm{relu}(u)^2\mathrm{relu}(v)^2]/4` with (u, v) standard
    normal of correlation :math:`\rho = x^\top z/B_x^2`, and
    :math:`E[\mathrm{relu}(u)^2\mathrm{relu}(v)^2] = J_2(\theta)/(2\pi)`, :math:`\theta = \arccos\rho`.
    """
    x = validate.matrix("x", x)
    z = validate.matrix("z", z)
    validate.same_dim("z", z, "x", x)
    gram = x @ z.T
    rho = np.clip(gram / input_radius**2, -1.0, 1.0)
    theta = np.arccos(rho)
    j2 = 3.0 * np.sin(theta) * rho + (np.pi - theta) * (1.0 + 2.0 * rho**2)
    return gram * j2 / (8.0 * np.pi)


def fit_ntk(x, y, x_test, *, ridge=1e-8):
    """Kernel ridge regression with :func:`ntk_kernel`; ``ridge`` relative to the mean diagonal."""
    gram = ntk_kernel(x, x)
    reg = ridge * float(np.mean(np.diag(gram)))
    coef = np.linalg.solve(gram + reg * np.eye(len(x)), y)
    return ntk_kernel(x_test, x) @ coef


# --------------------------------------------------------------------------------------------
# (b), (d) Taylor models by projected gradient descent


#: the one Euclidean projection onto the (2,4)-ball, from the network core
project_24 = project_ball_24


def _taylor_parts(x, w_init, w_out, w_move, parts, act):
    """Prediction and per-neuron derivative factor of the sum of the Taylor terms in ``parts``."""
    m = w_init.shape[0]
    pre = x @ w_init.T
    proj = x @ w_move.T
    value = np.zeros(x.shape[0])
    factor = np.zeros_like(pre)  # d f / d (w_r . x), per sample and neuron, before the 1/sqrt(m) a_r
    if "L" in parts:
        d1 = act.derivative(pre, 1)
        value += (d1 * proj) @ w_out
        factor += d1
    if "Q" in parts:
        d2 = act.derivative(pre, 2)
        value += 0.5 * (d2 * proj**2) @ w_out
        factor += d2 * proj
    return value / math.sqrt(m), factor


def fit_taylor(x, y, w_init, w_out, *, parts=("Q",), radius=None, steps=300, activation="relu3", init_scale=1e-2,
               rng, tol=1e-10, penalty=None):
    r"""Fit :math:`\sum_{k \in parts} f^{(k)}_W` (``"L"``: :math:`f^L`, ``"Q"``: :math:`f^Q`) by projected GD.

    Squared loss :math:`\frac1{2n}\sum_i (f_W(x_i) - y_i)^2`, plus ``penalty(w_move)`` when given
    (a callable returning ``(value, gradient)``, e.g. :class:`EigenRegularizer`), backtracking
    (Armijo) step, projection onto :math:`\|W\|_{2,4} \le` ``radius`` (None: no constraint). The
    start is a small random W (:math:`f^Q` has a saddle at 0). Returns ``w_move``.
    """
    x = validate.matrix("x", x)
    y = validate.vector("y", y, length=x.shape[0])
    act = get_activation(activation)
    n, m = x.shape[0], w_init.shape[0]
    w = rng.standard_normal(w_init.shape) * (init_scale * m**-0.25 / math.sqrt(x.shape[1]))
    proj = (lambda v: project_24(v, radius)) if radius is not None else (lambda v: v)
    w = proj(w)

    def loss_grad(w_move):
        value, factor = _taylor_parts(x, w_init, w_out, w_move, parts, act)
        res = value - y
        grad = ((res[:, None] * factor) * w_out).T @ x / (n * math.sqrt(m))
        if penalty is None:
            return 0.5 * float(np.mean(res**2)), grad
        pen_value, pen_grad = penalty(w_move)
        return 0.5 * float(np.mean(res**2)) + pen_value, grad + pen_grad

    lr = math.sqrt(m)
    loss, grad = loss_grad(w)
    for _ in range(steps):  # gradient steps
        while True:  # backtracking line search
            cand = proj(w - lr * grad)
            cand_loss, cand_grad = loss_grad(cand)
            if cand_loss <= loss - 0.5 * np.sum(grad * (w - cand)) or lr < 1e-12:
                break
            lr *= 0.5
        done = loss - cand_loss <= tol * max(loss, 1e-300)
        w, loss, grad = cand, cand_loss, cand_grad
        lr *= 1.5
        if done:
            break
    return w


def predict_taylor(x, w_init, w_out, w_move, parts, activation="relu3"):
    """The fitted Taylor model on ``x``."""
    return _taylor_parts(np.asarray(x, float), w_init, w_out, w_move, parts, get_activation(activation))[0]


# --------------------------------------------------------------------------------------------
# (d') the Nichani-Bai-Lee regularizer on the feature-covariance eigen-directions


def sphere_polynomial_dimension(dim, degree):
    r"""Dimension of the polynomials of degree :math:`\le k` restricted to the sphere :math:`S^{d-1}`.

    :math:`\sum_{l \le k} N(d, l) = \binom{d+k-1}{k} + \binom{d+k-2}{k-1}` (spherical harmonics of
    degree k and k-1 together span the restrictions of degree-:math:`\le k` polynomials).
    """
    dim = validate.integer("dim", dim, minimum=2)
    degree = validate.integer("degree", degree, minimum=0)
    if degree == 0:
        return 1
    return math.comb(dim + degree - 1, degree) + math.comb(dim + degree - 2, degree - 1)


class EigenRegularizer:
    r"""Penalty on the middle eigen-directions of the NTK feature covariance (Nichani, Bai & Lee slides).

    The slides (NeurIPS 2022 talk, "Identifying good directions to escape the NTK regime") split the
    eigen-directions of :math:`\Sigma = E[\phi(x)\phi(x)^\top]`, :math:`\phi(x) = \nabla_W f^L_W(x)`,
    into three groups: top directions (which, with :math:`n \gtrsim d^k` samples, express the
    degree-:math:`\le k` polynomials), middle "bad" directions (the NTK overfits there, test
    predictions blow up) and bottom "good" directions (near the null space: movement there leaves
    the NTK's test predictions unchanged, so the QuadNTK may move far); the regularizer keeps the
    movement out of the middle group. The slides do not print the regularizer; the form
    implemented here is this construction's:

    .. math:: R(W) = \frac{\lambda\,\lambda_1(\hat\Sigma)}{2}\,\|P_{Q_2}\,\mathrm{vec}(W)\|_2^2,

    with :math:`\hat\Sigma` estimated from ``x_unlabeled`` (fresh inputs from the input
    distribution, not the training set), :math:`Q_1` its ``n_top`` leading eigenvectors, :math:`Q_3`
    those with eigenvalue :math:`\le` ``null_tol`` :math:`\lambda_1` (for the symmetric initialization
    the paired neurons make half of the :math:`md` directions an exact null space: equal moves of a
    pair), and :math:`Q_2` the rest. Learner ``"LQ-reg"`` takes ``n_top`` =
    :func:`sphere_polynomial_dimension` (d, k) (``top_degree`` replaces k there) and
    ``null_tol`` = :math:`d^{-(k+1)}` (the
    inner-product kernel's degree-l eigenvalues scale as :math:`d^{-l}`, so the bottom group is below
    the degree-(k+1) scale), with k = degree - 1 (at least 1). The same W feeds :math:`f^L` and
    :math:`f^Q` (the slides' Taylor expansion); with the penalty large, W lies in
    :math:`Q_1 \oplus Q_3`, where :math:`f^L`'s test predictions are those of its :math:`Q_1` part up
    to eigenvalues :math:`\le` ``null_tol`` :math:`\lambda_1`, while :math:`f^Q` is free in the
    whole of :math:`Q_1 \oplus Q_3`. ``reg`` is :math:`\lambda`, in units of
    :math:`\lambda_1(\hat\Sigma)`. Called on ``w_move`` it returns ``(value, gradient)``.

    Measured (sparse target, k = 1, d = 8, width 64, n = 16 to 128, 2-4 seeds): with the top group
    of degree :math:`\le k` the regularized fit had a *higher* test loss than the plain
    :math:`f^L + f^Q` fit at every n (both interpolate the training set; at d = 8 the spectrum shows
    no gap between degrees 1 and 2, so the top d + 1 directions are not cleanly the linear
    functions); with ``top_degree`` = k + 1 it is within noise of the plain fit. At width 256 it was
    lower at n = 2d and slightly higher at 4d and 8d. The slides' guarantee needs m = poly(d) and a
    spectral gap, far beyond these sizes.
    """

    def __init__(self, w_init, w_out, x_unlabeled, *, n_top, reg=1.0, null_tol=1e-9, activation="relu3",
                 chunk=4096):
        x_unlabeled = validate.matrix("x_unlabeled", x_unlabeled)
        validate.same_dim("w_init", w_init, "x_unlabeled", x_unlabeled)
        n_top = validate.integer("n_top", n_top, minimum=1)
        self.reg = validate.nonnegative("reg", reg)
        null_tol = validate.probability("null_tol", null_tol)
        act = get_activation(activation)
        (m, d), n_cov = w_init.shape, x_unlabeled.shape[0]
        cov = np.zeros((m * d, m * d))
        for start in range(0, n_cov, chunk):  # a loop over memory chunks of the unlabeled inputs
            xc = x_unlabeled[start:start + chunk]
            phi = (act.derivative(xc @ w_init.T, 1) * w_out)[:, :, None] * xc[:, None, :] / math.sqrt(m)
            phi = phi.reshape(xc.shape[0], m * d)
            cov += phi.T @ phi
        cov /= n_cov
        values, vectors = np.linalg.eigh(cov)
        values, vectors = values[::-1], vectors[:, ::-1]
        self.eigenvalues = values
        self.top_value = float(values[0])
        is_null = values <= null_tol * self.top_value
        self.n_null = int(np.sum(is_null))
        self.n_top = min(n_top, m * d - self.n_null)
        bad = ~is_null
        bad[:self.n_top] = False
        self.n_bad = int(np.sum(bad))
        self._bad = vectors[:, bad]  # (m d, |Q_2|)
        self._weight = self.reg * self.top_value

    def __call__(self, w_move):
        coords = self._bad.T @ w_move.ravel()
        value = 0.5 * self._weight * float(coords @ coords)
        return value, (self._weight * (self._bad @ coords)).reshape(w_move.shape)


# --------------------------------------------------------------------------------------------
# (c) randomized network, noisy GD


def fit_randomized(x, y, w_init, w_out, *, steps=300, learning_rate=None, reg=1e-4, noise=1e-3, sign_draws=1,
                   activation="relu3", init_scale=1.0, rng):
    r"""Noisy GD on :math:`E_\Sigma \frac1{2n}\sum_i (f_{W_0+W\Sigma}(x_i) - y_i)^2 + \lambda\|W\|_{2,4}^4`.

    Every step draws ``sign_draws`` fresh sign vectors (a Monte Carlo gradient of the
    expectation) and adds :math:`N(0, \eta\,\mathrm{noise}^2)` to every weight (perturbed GD).
    A divergence guard steps back and halves the step when the sampled loss exceeds ten times
    its starting value.
    The default step is :math:`2\sqrt m`. Returns ``w_move``.
    """
    x = validate.matrix("x", x)
    y = validate.vector("y", y, length=x.shape[0])
    act = get_activation(activation)
    n, m = x.shape[0], w_init.shape[0]
    lr = 2.0 * math.sqrt(m) if learning_rate is None else validate.positive("learning_rate", learning_rate)
    w = rng.standard_normal(w_init.shape) * (init_scale * m**-0.25 / math.sqrt(x.shape[1]))
    reg = validate.nonnegative("reg", reg)
    noise = validate.nonnegative("noise", noise)
    steps = validate.integer("steps", steps, minimum=0)
    pre = x @ w_init.T
    ceiling, w_good = None, w
    for _ in range(steps):  # gradient steps
        signs = rng.choice(np.array([-1.0, 1.0]), size=(sign_draws, m))
        with np.errstate(over="ignore", invalid="ignore"):
            z = pre[None] + (x @ w.T)[None] * signs[:, None, :]  # (draws, n, m)
            f = act(z) @ w_out / math.sqrt(m)  # (draws, n)
            res = f - y
            loss = 0.5 * float(np.mean(res**2))
        ceiling = 10.0 * loss if ceiling is None else ceiling
        if not math.isfinite(loss) or loss > ceiling:
            # divergence guard: step back to the last good point and halve the step
            w, lr = w_good, lr / 2.0
            continue
        w_good = w
        coef = res[:, :, None] * act.derivative(z, 1) * (w_out * signs)[:, None, :]  # (draws, n, m)
        grad = np.einsum("knm,nd->md", coef, x) / (n * sign_draws * math.sqrt(m))
        row_sq = np.sum(w**2, axis=1)
        grad += 4.0 * reg * row_sq[:, None] * w  # gradient of reg * sum_r |w_r|^4
        w = w - lr * grad + math.sqrt(lr) * noise * rng.standard_normal(w.shape)
    return w if np.all(np.isfinite(w)) else w_good


# --------------------------------------------------------------------------------------------
# learning curves


def threshold(n_values, losses, accuracy):
    r"""The n at which the test loss first reaches ``accuracy``, log-log interpolated.

    Returns ``(n_eps, status)``: status ``"interpolated"``, ``"at_first"`` (already reached at
    the smallest n, so n_eps is an upper bound) or ``"not_reached"`` (n_eps = inf).
    """
    n_values = np.asarray(n_values, dtype=float)
    losses = np.asarray(losses, dtype=float)
    below = np.nonzero(losses <= accuracy)[0]
    if below.size == 0:
        return math.inf, "not_reached"
    i = int(below[0])
    if i == 0:
        return float(n_values[0]), "at_first"
    n0, n1 = math.log(n_values[i - 1]), math.log(n_values[i])
    l0, l1 = math.log(max(losses[i - 1], 1e-300)), math.log(max(losses[i], 1e-300))
    la = math.log(accuracy)
    frac = 1.0 if l0 == l1 else (l0 - la) / (l0 - l1)
    return float(math.exp(n0 + frac * (n1 - n0))), "interpolated"


def _fit_point_losses(learner, problem, n_value, *, width, radius, steps, rng, activation="relu3", degree=2,
                      reg=1.0, top_degree=None):
    """Fit ``learner`` on the first ``n_value`` pool points; the per-test-point losses, shape (n_test,)."""
    x, y = problem.x_pool[:n_value], problem.y_pool[:n_value]
    if learner == "ntk":
        return problem.point_losses(fit_ntk(x, y, problem.x_test))
    w_init, w_out = symmetric_init(width, x.shape[1], rng=rng)
    if learner == "randomized":
        w = fit_randomized(x, y, w_init, w_out, steps=steps, rng=rng, activation=activation)
        signs = rng.choice(np.array([-1.0, 1.0]), size=(32, width))
        preds = randomized_network(problem.x_test, w_init, w_out, w, signs, activation=activation)
        return problem.point_losses(preds)
    penalty = None
    if learner == "LQ-reg":
        dim = x.shape[1]
        # a child stream, so the fit's own draws match "linear+quadratic" (reg = 0 gives the same fit)
        x_unlabeled = problem.sample_inputs(max(2 * width * dim, 200), rng=rng.spawn(1)[0])
        k = max(degree - 1, 1)
        top = k if top_degree is None else validate.integer("top_degree", top_degree, minimum=0)
        penalty = EigenRegularizer(w_init, w_out, x_unlabeled, reg=reg, activation=activation,
                                   n_top=sphere_polynomial_dimension(dim, top), null_tol=float(dim) ** -(k + 1))
    parts = _PARTS[learner]
    w = fit_taylor(x, y, w_init, w_out, parts=parts, radius=radius, steps=steps, rng=rng, activation=activation,
                   penalty=penalty)
    return problem.point_losses(predict_taylor(problem.x_test, w_init, w_out, w, parts, activation))


def _fit_and_score(learner, problem, n_value, **kw):
    return float(np.mean(_fit_point_losses(learner, problem, n_value, **kw)))


def radius_for(target, dim, degree, *, factor=1.0):
    r"""Default radius :math:`B_w`: ``factor`` times Theorem 7's :math:`B_{w,\star}` at :math:`\delta = 1`."""
    deg = 2 if target == "xor" else degree
    amp = cx._theorem7_amplitude(deg, "xor" if target == "xor" else "single")
    t_star = float((32 * math.pi * float(amp.subs({cx.d: dim, cx.alpha: 1.0}))) ** 0.25)
    # unit-sphere inputs: B_x = 1 (for the 2-XOR, Theorem 7's B_x = sqrt(d) units are rescaled)
    return factor * (t_star / math.sqrt(dim) if target == "xor" else t_star)


def _cell_rng(base, key):
    return np.random.default_rng(np.random.SeedSequence(base, spawn_key=tuple(int(k) for k in key)))


def learning_curve(learner, target, dim, n_values, *, degree=2, width=64, steps=200, n_test=500, radius=None,
                   rng, activation="relu3", reg=1.0):
    """Test loss of ``learner`` at every n in ``n_values`` (nested training sets), one problem draw."""
    validate.choice("learner", learner, ALL_LEARNERS)
    n_values = sorted(validate.integer("n", v, minimum=1) for v in n_values)
    data_rng, fit_rng = rng.spawn(2)
    problem = make_problem(target, dim, n_values[-1], degree=degree, n_test=n_test, rng=data_rng)
    radius = radius_for(target, dim, degree) if radius is None else radius
    fit_rngs = fit_rng.spawn(len(n_values))
    return [_fit_and_score(learner, problem, n, width=width, radius=radius, steps=steps, rng=r,
                           activation=activation, degree=degree, reg=reg) for n, r in zip(n_values, fit_rngs)]


def problem_rng(data_seed, dim, repeat):
    """The Generator of the problem (pool and test set) shared by every cell with this (dim, repeat)."""
    return np.random.default_rng(np.random.SeedSequence(int(data_seed), spawn_key=(int(dim), int(repeat))))


def curve_cell(*, learner, target, dim, n_samples, rng, repeat=0, data_seed=0, n_pool=None, degree=2, width=64,
               steps=150, n_test=400, radius_factor=1.0, reg=1.0, top_degree=None):
    r"""One learning-curve cell: ``learner`` fitted on ``n_samples`` points; per-test-point losses (n_test,).

    The problem (training pool of ``n_pool`` points, test set, target) is drawn from
    :func:`problem_rng` ``(data_seed, dim, repeat)`` alone, so every learner and every n with the
    same (dim, repeat) sees the same data and nested training sets (the first n pool points); ``rng``
    drives only the fit (initialization, sign draws, noise, unlabeled inputs of ``"LQ-reg"``).
    The test loss is the mean of the returned array (see :class:`Problem`). ``reg`` and
    ``top_degree`` (None: k) set the ``"LQ-reg"`` regularizer (:class:`EigenRegularizer`).
    """
    validate.choice("learner", learner, ALL_LEARNERS)
    validate.choice("target", target, TARGETS)
    dim = validate.integer("dim", dim, minimum=2)
    n_samples = validate.integer("n_samples", n_samples, minimum=1)
    n_pool = n_samples if n_pool is None else validate.integer("n_pool", n_pool, minimum=n_samples)
    repeat = validate.integer("repeat", repeat, minimum=0)
    data_seed = validate.integer("data_seed", data_seed, minimum=0, maximum=2**63 - 1)
    degree = validate.integer("degree", degree, minimum=1)
    width = validate.even_width("width", width)
    steps = validate.integer("steps", steps, minimum=0)
    n_test = validate.integer("n_test", n_test, minimum=10)
    radius_factor = validate.positive("radius_factor", radius_factor)
    problem = make_problem(target, dim, n_pool, degree=degree, n_test=n_test, rng=problem_rng(data_seed, dim, repeat))
    radius = radius_for(target, dim, degree, factor=radius_factor)
    return _fit_point_losses(learner, problem, n_samples, width=width, radius=radius, steps=steps, rng=rng,
                             degree=degree, reg=reg, top_degree=top_degree)


def curve_sweep_config(learners=LEARNERS, target="single", dims=(4, 6, 8), n_values=None, *, degree=2, accuracy=0.3,
                       repeats=2, width=64, steps=150, n_test=400, radius_factor=1.0, reg=1.0, top_degree=None,
                       name=None, rng):
    r"""The learning-curve sweep as a :mod:`boundcheck.run.sweep` configuration (the dict a TOML file would hold).

    Claim :data:`CURVE_CLAIM`; grid ``dim x repeat x learner x n_samples`` (row-major, so cells
    group by (dim, repeat, learner) with n varying fastest); fixed options the rest, with
    ``n_pool = max(n_values)`` and a ``data_seed``. Two integers are drawn from ``rng``: the sweep
    seed (each cell's fit seed is spawned from it by :func:`boundcheck.run.sweep.cell_seed`) and the
    data seed. Default ``n_values``: 6 geometric steps from 8 to :math:`20 d_{\max}^{\max(p-1,1)}`.
    """
    learners = [validate.choice("learner", v, ALL_LEARNERS) for v in learners]
    validate.choice("target", target, TARGETS)
    dims = [validate.integer("dim", v, minimum=2) for v in dims]
    accuracy = validate.probability("accuracy", accuracy)
    repeats = validate.integer("repeats", repeats, minimum=1)
    width = validate.even_width("width", width)
    degree = validate.integer("degree", degree, minimum=1)
    if n_values is None:
        n_values = np.unique(np.geomspace(8, 20 * max(dims) ** max(degree - 1, 1), 6).astype(int)).tolist()
    n_values = sorted(validate.integer("n", v, minimum=1) for v in n_values)
    seed, data_seed = (int(v) for v in rng.integers(2**63, size=2))
    extra = {} if top_degree is None else {"top_degree": validate.integer("top_degree", top_degree, minimum=0)}
    return {"sweep": {"claim": CURVE_CLAIM, "name": name or f"curves-{target}-p{degree}", "seed": seed,
                      "replicates": 1},
            "grid": {"dim": dims, "repeat": list(range(repeats)), "learner": learners, "n_samples": n_values},
            "fixed": {"target": target, "degree": degree, "accuracy": float(accuracy), "width": width,
                      "steps": validate.integer("steps", steps, minimum=0),
                      "n_test": validate.integer("n_test", n_test, minimum=10), "n_pool": max(n_values),
                      "data_seed": data_seed, "radius_factor": float(radius_factor),
                      "reg": float(validate.nonnegative("reg", reg)), **extra}}


def _curve_cell_loss(seed, options):
    """Test loss of one cell run in this process (top level, so joblib can pickle it)."""
    options = {k: v for k, v in options.items() if k not in ("accuracy", "level")}
    return float(np.mean(curve_cell(rng=np.random.default_rng(seed), **options)))


def run_curve_cells(config_data, *, n_jobs=1):
    """Run every cell of :func:`curve_sweep_config` ``config_data`` in this process (no store).

    Uses the sweep's own cell order and seeds (:func:`boundcheck.run.sweep.make_cells`), so the rows
    equal those :func:`boundcheck.run.sweep.run_sweep` stores; returns the curve rows.
    """
    from ..run.sweep import SweepConfig, make_cells  # sweep imports the registry; imported here, not at the top

    head = config_data["sweep"]
    config = SweepConfig(head["claim"], head["name"], head["seed"], head.get("replicates", 1),
                         dict(config_data["grid"]), dict(config_data.get("fixed", {})))
    cells = make_cells(config)
    if n_jobs == 1:
        losses = [_curve_cell_loss(c.seed, c.options) for c in cells]  # a loop over sweep cells
    else:
        from joblib import Parallel, delayed

        losses = Parallel(n_jobs=n_jobs)(delayed(_curve_cell_loss)(c.seed, c.options) for c in cells)
    return [dict(learner=c.options["learner"], target=c.options["target"], dim=c.options["dim"],
                 degree=c.options["degree"], repeat=c.options["repeat"], n=c.options["n_samples"], test_loss=loss)
            for c, loss in zip(cells, losses)]


def curve_rows_from_records(records):
    """Curve rows (learner, target, dim, degree, repeat, n, test_loss) from stored :data:`CURVE_CLAIM` records."""
    rows = []
    for rec in records:
        if rec["claim"] != CURVE_CLAIM:
            continue
        p = rec["params"]
        rows.append(dict(learner=p["learner"], target=p["target"], dim=p["dim"], degree=p["degree"],
                         repeat=p["repeat"], n=p["n_samples"], test_loss=float(rec["lhs"])))
    return rows


def thresholds_from_curves(curve_rows, accuracy):
    """One threshold row per (learner, target, dim, degree, repeat) of ``curve_rows`` (:func:`threshold`)."""
    accuracy = validate.probability("accuracy", accuracy)
    groups = {}
    for row in curve_rows:
        groups.setdefault((row["learner"], row["target"], row["dim"], row["degree"], row["repeat"]), []).append(row)
    out = []
    for (learner, target, dim, degree, repeat), rows in groups.items():  # one threshold per curve
        rows = sorted(rows, key=lambda r: r["n"])
        n_eps, status = threshold([r["n"] for r in rows], [r["test_loss"] for r in rows], accuracy)
        out.append(dict(learner=learner, target=target, dim=dim, degree=degree, repeat=repeat, accuracy=accuracy,
                        n_eps=n_eps, status=status))
    return out


def sample_complexity(learners=LEARNERS, target="single", dims=(4, 6, 8), n_values=None, *, degree=2,
                      accuracy=0.3, repeats=2, width=64, steps=150, n_test=400, radius_factor=1.0, reg=1.0,
                      top_degree=None, n_jobs=1, rng):
    r"""Measured thresholds :math:`n_\epsilon` for each (learner, d, repeat), in this process.

    The cells and their seeds are those of :func:`curve_sweep_config` (the same sweep run into a
    store by ``boundcheck curves --store`` gives the same rows). Returns ``(curve_rows,
    threshold_rows)``: one row per (learner, dim, repeat, n) with the test loss, and one per
    (learner, dim, repeat) with ``n_eps`` and its status.
    """
    config = curve_sweep_config(learners, target, dims, n_values, degree=degree, accuracy=accuracy, repeats=repeats,
                                width=width, steps=steps, n_test=n_test, radius_factor=radius_factor, reg=reg,
                                top_degree=top_degree, rng=rng)
    curve_rows = run_curve_cells(config, n_jobs=n_jobs)
    return curve_rows, thresholds_from_curves(curve_rows, accuracy)


def predicted_exponent(learner, target, degree):
    """``(exponent, bound)``: the d-exponent theory predicts for ``learner`` and whether it is an
    upper or a lower bound (from :mod:`boundcheck.complexity`)."""
    key = {"ntk": "ntk_lower", "linear": "ntk_lower", "quadratic": "quadratic", "randomized": "quadratic",
           "linear+quadratic": "quadratic", "LQ-reg": "quadratic"}[learner]
    if target == "sparse":
        key = {"ntk_lower": "ntk_lower", "quadratic": "quadntk_lower"}[key]
        if learner in ("linear+quadratic", "LQ-reg"):
            key = "ntk+quadntk"
    pred = {pr.learner: pr for pr in cx.predictions(target, degree)}[key]
    return float(cx.exponent(pred.expression, cx.d)), pred.bound


def exponent_rows(threshold_rows, *, level=0.95):
    r"""Per learner: the fitted exponent of :math:`n_\epsilon` in d with its interval, beside the prediction.

    Fits every interpolated threshold (repeats as separate points) with
    :func:`boundcheck.results.rate`: against an upper-bound prediction the relation
    is ``<=`` (grows no faster), against a lower bound ``>=``. Fewer than 3 points, or fewer than
    2 distinct d, gives NaN. The verdict is reported as ``agreement`` (consistent / inconsistent /
    inconclusive), not as HOLDS / VIOLATED: small d is far from the asymptotic regime the predictions
    describe, so a disagreement is a measurement at these sizes, not a refutation of a theorem.
    """
    from ..results import HOLDS, INCONCLUSIVE, VIOLATED, rate

    out = []
    groups = {}
    for row in threshold_rows:
        groups.setdefault((row["learner"], row["target"], row["degree"]), []).append(row)
    for (learner, target, degree), rows in groups.items():  # one fit per learner
        pts = [(r["dim"], r["n_eps"]) for r in rows if math.isfinite(r["n_eps"]) and r["status"] == "interpolated"]
        xs = np.array([q[0] for q in pts], float)
        ys = np.array([q[1] for q in pts], float)
        predicted, bound = predicted_exponent(learner, target, degree)
        slope, interval, verdict = math.nan, (math.nan, math.nan), INCONCLUSIVE
        agreement = "inconclusive"
        if len(pts) >= 3 and np.unique(xs).size >= 2:
            rec = rate(xs, ys, predicted, "<=" if bound == "upper" else ">=", level=level, claim="Section 5.2 curves")
            slope, interval, verdict = rec.lhs, rec.interval, rec.verdict
        agreement = {HOLDS: "consistent", VIOLATED: "inconsistent"}.get(verdict, "inconclusive")
        out.append(dict(learner=learner, target=target, degree=degree, fitted_exponent=slope,
                        interval_low=interval[0], interval_high=interval[1], predicted_exponent=predicted,
                        prediction=bound, agreement=agreement, points=len(pts),
                        not_reached=sum(r["status"] == "not_reached" for r in rows),
                        at_first=sum(r["status"] == "at_first" for r in rows),
                        note="squared loss: " + SQUARED_WARNING))
    return out


# --------------------------------------------------------------------------------------------
# the slides' experiment


def slides_experiment(dims=(8, 12, 16), *, power=1.5, repeats=2, width=64, steps=200, n_test=400, rng,
                      n_jobs=1, models=("linear", "quadratic", "linear+quadratic"), reg=1.0, top_degree=None):
    r"""Nichani-Bai-Lee slides: :math:`f_L + f_Q` on a degree-2 (linear + sparse quadratic) signal
    with :math:`n = d^{1.5}` samples, against :math:`f_L` alone and :math:`f_Q` alone.

    ``models`` may add ``"LQ-reg"`` (the regularized :math:`f_L + f_Q`, :class:`EigenRegularizer`
    with ``reg`` and ``top_degree``). Returns one row per (dim, repeat, model) with the normalised test MSE.
    """
    dims = [validate.integer("dim", v, minimum=2) for v in dims]
    power = validate.positive("power", power)
    base = int(rng.integers(2**63))
    models = [validate.choice("model", v, ALL_LEARNERS) for v in models]

    def run(i_dim, dim, rep):
        n_value = int(round(dim**power))
        problem = make_problem("sparse", dim, n_value, degree=2, n_test=n_test, rng=_cell_rng(base, (i_dim, rep, 0)))
        radius = radius_for("sparse", dim, 2)
        rows = []
        for j, model in enumerate(models):  # three models on the same data
            loss = _fit_and_score(model, problem, n_value, width=width, radius=radius, steps=steps,
                                  rng=_cell_rng(base, (i_dim, rep, 1 + j)), degree=2, reg=reg,
                                  top_degree=top_degree)
            rows.append(dict(model=model, dim=dim, n=n_value, repeat=rep, test_loss=loss))
        return rows

    jobs = [(i, dim, rep) for i, dim in enumerate(dims) for rep in range(repeats)]
    if n_jobs == 1:
        results = [run(*job) for job in jobs]
    else:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=n_jobs)(delayed(run)(*job) for job in jobs)
    return [row for rows in results for row in rows]


# --------------------------------------------------------------------------------------------
# the blog's Figure 1 idea


def _model_value_grad(x, w_init, w_out, w_move, order, act):
    """Value and gradient factor of the Taylor model of ``order`` (None: the full network)."""
    m = w_init.shape[0]
    pre = x @ w_init.T
    proj = x @ w_move.T
    if order is None:
        return act(pre + proj) @ w_out / math.sqrt(m), act.derivative(pre + proj, 1)
    value = np.zeros(x.shape[0])
    factor = np.zeros_like(pre)
    for k in range(1, order + 1):  # the Taylor orders
        dk = act.derivative(pre, k)
        value += (dk * proj**k) @ w_out / math.factorial(k)
        factor += dk * proj ** (k - 1) / math.factorial(k - 1)
    return value / math.sqrt(m), factor


def taylor_trajectories(*, dim=16, width=128, n_samples=64, n_test=128, steps=100, learning_rates=(0.1, 1.0),
                        orders=(1, 2, 3), activation="softplus", record_every=10, rng):
    r"""Distance between the full network's GD trajectory and its Taylor models' (blog, Figure 1).

    Each model (the network :math:`f_{W_0+W}` and :math:`\sum_{j\le k} f^{(j)}_{W_0,W}` for k in
    ``orders``) is trained from W = 0 by full-batch GD on the same squared loss with the same
    step; ``learning_rates`` are in units of :math:`1/\lambda_{\max}` of the NTK Gram matrix
    (GD on the linear model is stable below 2). Reported every ``record_every`` steps: the test-output
    distance :math:`\|f^{net}_t - f^{(\le k)}_t\| / \|f^{net}_t\|` and the weight distance
    :math:`\|W^{net}_t - W^{(k)}_t\|_F / \|W^{net}_t\|_F`.
    """
    act = get_activation(activation)
    data_rng, init_rng = rng.spawn(2)
    problem = make_problem("single", dim, n_samples, degree=2, n_test=n_test, rng=data_rng)
    x, y = problem.x_pool, problem.y_pool
    w_init, w_out = symmetric_init(width, dim, rng=init_rng)
    n, m = x.shape[0], width
    jac = (act.derivative(x @ w_init.T, 1) * w_out)  # (n, m) times x: the NTK features
    gram = (jac @ jac.T) * (x @ x.T) / (m * n)
    lam = float(np.linalg.eigvalsh(gram)[-1])
    runs = []
    for lr_units in learning_rates:  # one run per learning rate
        lr = lr_units / lam
        models = [None] + list(orders)
        weights = {k: np.zeros_like(w_init) for k in models}
        record = {"steps": [], "distance": {k: [] for k in orders}, "weight_distance": {k: [] for k in orders},
                  "train_loss": {str(k): [] for k in models}}
        diverged = {k: False for k in models}
        for t in range(steps + 1):  # GD steps, every model advanced in lockstep
            outs = {}
            for k in models:
                value, factor = _model_value_grad(x, w_init, w_out, weights[k], k, act)
                res = value - y
                if t > 0 and (t % record_every == 0 or t == steps):  # at t = 0 every model is 0
                    outs[k] = _model_value_grad(problem.x_test, w_init, w_out, weights[k], k, act)[0]
                    record["train_loss"][str(k)].append(0.5 * float(np.mean(res**2)))
                if t < steps and not diverged[k]:
                    grad = ((res[:, None] * factor) * w_out).T @ x / (n * math.sqrt(m))
                    weights[k] = weights[k] - lr * grad
                    diverged[k] = not np.all(np.isfinite(weights[k]))
            if outs:
                record["steps"].append(t)
                ref = outs[None]
                ref_norm = max(float(np.linalg.norm(ref)), 1e-12)
                w_norm = max(float(np.linalg.norm(weights[None])), 1e-12)
                for k in orders:
                    record["distance"][k].append(float(np.linalg.norm(outs[k] - ref)) / ref_norm)
                    record["weight_distance"][k].append(float(np.linalg.norm(weights[k] - weights[None])) / w_norm)
        runs.append(dict(learning_rate=lr_units, learning_rate_absolute=lr, diverged={str(k): v for k, v in
                                                                                       diverged.items()}, **record))
    return {"runs": runs, "dim": dim, "width": width, "n_samples": n_samples, "activation": act.name,
            "ntk_lambda_max": lam, "note": "squared loss: " + SQUARED_WARNING}
