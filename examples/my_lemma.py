"""A claim of my own: the quadratic model is bounded by the largest pre-activation (cf. Lemma 10)."""
import numpy as np

import boundcheck.api as bc


@bc.claim("Quadratic model bound", pack="my-notes", section="my notes, Lemma 1",
          statement="|f^Q_W(x)| <= c t ||W||_{2,4}^2 / 2 for every W and every unit x, t = max_r |w_0r . x|")
def quadratic_bound(*, rng, width=64, dim=8, radius=1.0, c=1.0, draws=16, search=True):
    w_init, w_out = bc.symmetric_init(width, dim, rng=rng)

    def sides(w_move, x):  # the claim's two sides at one point (W, x)
        f_quad = bc.taylor_term(x, w_init, w_out, w_move, 2)[0]
        largest = np.max(np.abs(w_init @ x[0]))
        return abs(f_quad), c * largest * bc.norm_24(w_move) ** 2 / 2

    domains = {"w_move": bc.Ball24((width, dim), radius), "x": bc.Sphere((1, dim), 1.0)}
    return bc.for_every(sides, domains, "<=", rng=rng, draws=draws, search=search,
                        part=f"|f^Q_W(x)| <= {c:g} t ||W||^2 / 2 over the ball and the sphere")
