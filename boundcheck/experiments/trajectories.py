r"""The blog's Figure 1 idea: gradient descent on the network and on its Taylor models, side by side.

Each model (the network :math:`f_{W_0+W}` and the Taylor sums :math:`\sum_{j\le k}f^{(j)}_{W_0,W}`)
is trained from :math:`W = 0` by full-batch gradient descent (:func:`boundcheck.numeric.optimize.projected_descent`
with a fixed step and no ball) on the same squared loss; the higher the order, the longer its
trajectory stays near the network's.
"""

from __future__ import annotations

import math

import numpy as np

from ..losses import SQUARED_WARNING
from ..network import TaylorModel, symmetric_init
from ..numeric.optimize import projected_descent
from .ntk import empirical_ntk
from .problems import make_problem

__all__ = ["taylor_trajectories"]


def _path(model, y, orders, step_size, steps):
    r"""The iterates :math:`W_1, \dots, W_{\mathrm{steps}}` of gradient descent
    on :math:`\frac1{2n}\sum_i(f_W(x_i) - y_i)^2`.

    A diverged (non-finite) iterate stays put: its objective is infinite and its gradient NaN.
    """
    def objective(w_move):
        if not np.all(np.isfinite(w_move)):
            return math.inf, lambda: np.full_like(w_move, np.nan)
        point = model.at(w_move, orders=orders)
        res = point.value - y
        return 0.5 * float(np.mean(res**2)), lambda: point.vjp(res / model.n_samples)

    return projected_descent(objective, np.zeros_like(model.w_init), radius=math.inf, steps=steps,
                             step_size=step_size, max_halvings=0, grow=1.0, keep_iterates=True).iterates


def _value(model, w_move, orders):
    return model.value(w_move, orders=orders) if np.all(np.isfinite(w_move)) else np.full(model.n_samples, np.nan)


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
    data_rng, init_rng = rng.spawn(2)
    problem = make_problem("single", dim, n_samples, degree=2, n_test=n_test, rng=data_rng)
    x, y = problem.x_pool, problem.y_pool
    w_init, w_out = symmetric_init(width, dim, rng=init_rng)
    lam = float(np.linalg.eigvalsh(empirical_ntk(x, w_init, w_out, activation=activation) / x.shape[0])[-1])
    train = TaylorModel(x, w_init, w_out, activation=activation)
    test = TaylorModel(problem.x_test, w_init, w_out, activation=activation)
    models = {None: None, **{k: tuple(range(1, k + 1)) for k in orders}}  # None: the network
    recorded = [t for t in range(1, steps + 1) if t % record_every == 0 or t == steps]
    runs = []
    for lr_units in learning_rates:  # one run per learning rate
        lr = lr_units / lam
        paths = {k: _path(train, y, model_orders, lr, steps) for k, model_orders in models.items()}  # a few models
        record = {"steps": recorded, "distance": {k: [] for k in orders}, "weight_distance": {k: [] for k in orders},
                  "train_loss": {str(k): [] for k in models}}
        for t in recorded:  # the recorded steps
            outs = {k: _value(test, paths[k][t - 1], model_orders) for k, model_orders in models.items()}
            for k, model_orders in models.items():
                res = _value(train, paths[k][t - 1], model_orders) - y
                record["train_loss"][str(k)].append(0.5 * float(np.mean(res**2)))
            ref_norm = max(float(np.linalg.norm(outs[None])), 1e-12)
            w_norm = max(float(np.linalg.norm(paths[None][t - 1])), 1e-12)
            for k in orders:
                record["distance"][k].append(float(np.linalg.norm(outs[k] - outs[None])) / ref_norm)
                record["weight_distance"][k].append(float(np.linalg.norm(paths[k][t - 1] - paths[None][t - 1]))
                                                    / w_norm)
        diverged = {str(k): not np.all(np.isfinite(path[-1])) for k, path in paths.items()}
        runs.append(dict(learning_rate=lr_units, learning_rate_absolute=lr, diverged=diverged, **record))
    return {"runs": runs, "dim": dim, "width": width, "n_samples": n_samples,
            "activation": train.activation.name, "ntk_lambda_max": lam, "note": "squared loss: " + SQUARED_WARNING}
