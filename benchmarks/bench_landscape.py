"""Benchmark: a Lemma 1 evaluation and Hessian-vector products of the quadratic risk L^Q at
(n, m, d) = (4096, 4096, 64), each as a ratio to two matrix products (n, d) @ (d, m) measured in the same run.

Usage: python benchmarks/bench_landscape.py [--n 4096 --width 4096 --dim 64 --repeats 5 --threads 1]

Measured, round by round (each round times every operation once, so a burst of load on the shared
machine hits the baseline as well). Each timed call follows an untimed call of the same operation, so
that every operation, the baseline included, runs with the allocator warm for its own arrays (as in
a loop of the same calls); a cold baseline pays page faults for its two fresh (n, m) outputs and is
about three times slower, which would flatter every ratio.

* two GEMMs (n, d) @ (d, m): the baseline;
* one Lemma 1 evaluation (``lemma1_terms``: every term of B.1, one model point and one tangent);
* one Hessian-vector product of L^Q from scratch (``quadratic_risk_hvp``: a new model core, the point
  at W, one tangent, one pullback);
* one repeated product (``quadratic_risk_hessian_operator``, as Lanczos uses it: the arrays that
  depend on W kept, each product one GEMM for x V^T, one for the output and elementwise work).

Reported: the best wall time of each over the rounds, its ratio to the best baseline, and the same
for the CPU time of this process (``time.process_time``: with one BLAS thread it is the work done, and
it moves less than the wall time when other jobs share the machine). BLAS threads default to 1 (the
machine is shared; oversubscribed OpenBLAS threads make small products hundreds of times slower).
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
    parser.add_argument("--repeats", type=int, default=5)
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

    setup_start = time.perf_counter()
    operator = ls.quadratic_risk_hessian_operator(x, y, w_init, w_out, w_move, cache_bytes=2**30)
    setup = time.perf_counter() - setup_start
    operations = {
        "two matrix products (n,d)@(d,m)": lambda: (x @ w_init.T, x @ w_move.T),
        "one Lemma 1 evaluation (all terms)": lambda: ls.lemma1_terms(x, y, w_init, w_out, w_move, w_star),
        "one Hessian-vector product of L^Q, from scratch": lambda: ls.quadratic_risk_hvp(x, y, w_init, w_out, w_move,
                                                                                          direction),
        "  repeated products (Lanczos), W-dependent arrays kept": lambda: operator(direction),
    }
    wall, cpu = {name: [] for name in operations}, {name: [] for name in operations}
    for _ in range(args.repeats):  # rounds: every operation once per round
        for name, fun in operations.items():
            fun()  # untimed: the allocator holds this operation's arrays again, as in a loop of the same calls
            start, start_cpu = time.perf_counter(), time.process_time()
            fun()
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    names = list(operations)
    base, base_cpu = min(wall[names[0]]), min(cpu[names[0]])
    print(f"(n, m, d) = ({n}, {m}, {d}), BLAS threads = {args.threads}, best of {args.repeats} rounds")
    for name in names:
        print(f"{name:55s} wall {min(wall[name]):7.3f} s  ratio {min(wall[name]) / base:5.2f}   "
              f"cpu {min(cpu[name]):7.3f} s  ratio {min(cpu[name]) / base_cpu:5.2f}")
    print(f"  operator set-up (f^Q, l', l'' and the kept arrays, once): {setup:.3f} s")


if __name__ == "__main__":
    main()
