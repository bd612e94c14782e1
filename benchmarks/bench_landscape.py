"""Benchmark: one Lemma 1 evaluation and one Hessian-vector product of the clean risk at
(n, m, d) = (4096, 4096, 64), against two matrix products (n, d) @ (d, m) measured in the same run.

Usage: python benchmarks/bench_landscape.py [--n 4096 --width 4096 --dim 64 --repeats 3 --threads 1]

BLAS threads default to 1 (the machine is shared; oversubscribed OpenBLAS threads make small
products hundreds of times slower). Every timing is the best of ``--repeats`` runs.
"""

import argparse
import os
import sys
import time


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4096)
    parser.add_argument("--width", type=int, default=4096)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", default="1", help="BLAS threads (set before numpy is imported)")
    args = parser.parse_args(argv)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = args.threads
    if "numpy" in sys.modules:
        print("warning: numpy was imported before the thread count was set", file=sys.stderr)
    import numpy as np

    from boundcheck.network import symmetric_init
    from boundcheck.numeric import landscape as ls

    rng = np.random.default_rng(0)
    n, m, d = args.n, args.width, args.dim
    x = rng.standard_normal((n, d))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    w_init, w_out = symmetric_init(m, d, rng=rng)
    w_move = rng.standard_normal((m, d)) * m**-0.25 / np.sqrt(d)
    w_star = rng.standard_normal((m, d)) * m**-0.25 / np.sqrt(d)
    direction = rng.standard_normal((m, d))
    y = rng.choice([-1.0, 1.0], size=n)

    def best(fun):
        times = []
        for _ in range(args.repeats):  # repeated timings
            start = time.perf_counter()
            fun()
            times.append(time.perf_counter() - start)
        return min(times)

    baseline = best(lambda: (x @ w_init.T, x @ w_move.T))
    lemma1 = best(lambda: ls.lemma1_terms(x, y, w_init, w_out, w_move, w_star))
    hvp = best(lambda: ls.clean_risk_hvp(x, y, w_init, w_out, w_move, direction))
    setup_start = time.perf_counter()
    operator = ls.clean_hessian_operator(x, y, w_init, w_out, w_move, cache_bytes=2**30)
    setup = time.perf_counter() - setup_start
    cached = best(lambda: operator(direction))
    print(f"(n, m, d) = ({n}, {m}, {d}), BLAS threads = {args.threads}, best of {args.repeats}")
    print(f"two matrix products (n,d)@(d,m):   {baseline:8.3f} s   (ratio 1.00)")
    print(f"one Lemma 1 evaluation (all terms): {lemma1:8.3f} s   (ratio {lemma1 / baseline:.2f})")
    print(f"one Hessian-vector product of L^Q:  {hvp:8.3f} s   (ratio {hvp / baseline:.2f})")
    print(f"  repeated products (Lanczos), W-dependent arrays cached: {cached:8.3f} s per product "
          f"(ratio {cached / baseline:.2f}); one-off set-up {setup:.3f} s, cache {2 * 8 * n * m / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
