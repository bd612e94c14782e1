"""Benchmark: the M_r build + extreme eigenvalues of the quadratic-class Rademacher complexity.

    python benchmarks/bench_rademacher.py [--n 4096] [--width 4096] [--dim 64] [--loop-neurons 256]

Measures, in one run on this machine:

* the machine's float64 GEMM rate (a square matmul, best of three);
* the batched build of all m matrices M_r = (1/n) sum_i s_i sigma''(w_{0,r}.x_i) x_i x_i^T
  (boundcheck.numeric.rademacher, chunked GEMMs on packed outer products), its rate and its
  share of the GEMM rate; then the batched eigvalsh of the m matrices;
* a Python loop over neurons (one (d, n) @ (n, d) product and one eigvalsh per neuron), timed on
  ``--loop-neurons`` neurons and scaled to m, once with the default BLAS threads and once with
  BLAS limited to one thread (the fairer baseline on a busy machine).

The library runs its batched eigvalsh as one slice per core in Python threads with one BLAS thread
each, and its build's GEMMs on every core when they are large (the policy of ``boundcheck._threads``;
benchmarks/bench_threads.py measures the eigen phase both ways).

Distinct neurons only: the symmetric initialization copies each row, and the library computes each
distinct row once; the benchmark builds m distinct rows (i.i.d. Gaussian w_init) so that the work
is the full m matrices. Flops of the build are counted as executed: 2 n m d(d+1)/2 (the packed
upper triangles), and also shown against the nominal 2 n m d^2 of full d x d products.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time

import numpy as np

from boundcheck.activations import get_activation
from boundcheck import _threads
from boundcheck.numeric import rademacher as rad


def gemm_rate(size=2048, repeats=3):
    a = np.random.default_rng(0).standard_normal((size, size))
    b = np.random.default_rng(1).standard_normal((size, size))
    a @ b  # warm up
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2.0 * size**3 / best


def _timed(func):
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4096)
    parser.add_argument("--width", type=int, default=4096)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--loop-neurons", type=int, default=256)
    args = parser.parse_args()
    n, m, d = args.n, args.width, args.dim
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, d))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    w_init = rng.standard_normal((m, d))
    signs = rng.choice([-1.0, 1.0], size=n)
    act = get_activation("relu3")

    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    peak_before = gemm_rate()

    def build_once():
        """The library's batched build, split into its parts (same code path as the library)."""
        t0 = time.perf_counter()
        gram = rad._PackedGram(x)
        t_z = time.perf_counter() - t0
        chunk = rad._chunk_rows(n, d, None)
        t_coef = t_build = t_eig = 0.0
        lam_max = np.empty(m)
        for start in range(0, m, chunk):  # memory chunks of neurons, as in the library
            sl = slice(start, min(start + chunk, m))
            t0 = time.perf_counter()
            weights = act.derivative(w_init[sl] @ x.T, 2)
            weights *= signs / n
            t1 = time.perf_counter()
            mats = gram.matrices(weights)
            t2 = time.perf_counter()
            lam_max[sl] = rad._extreme_eigs(mats)[1]
            t3 = time.perf_counter()
            t_coef += t1 - t0
            t_build += t2 - t1
            t_eig += t3 - t2
        return t_z, t_coef, t_build, t_eig, chunk, lam_max

    runs = [build_once() for _ in range(2)]
    t_z, t_coef, t_build, t_eig, chunk, lam_max = min(runs, key=lambda r: r[0] + r[1] + r[2])
    t_eig = min(r[3] for r in runs)
    peak = max(peak_before, gemm_rate())
    print(f"machine float64 GEMM rate (2048^3 matmul, best of 3, larger of before/after): {peak / 1e9:.1f} GFLOP/s")
    build_total = t_coef + t_z + t_build
    flops_exec = 2.0 * n * m * d * (d + 1) / 2
    flops_nominal = 2.0 * n * m * d * d
    print(f"(n, m, d) = ({n}, {m}, {d}); chunk = {chunk} matrices")
    print(f"batched build: packed outer products {t_z:.3f} s + weights {t_coef:.3f} s + GEMMs/unpack "
          f"{t_build:.3f} s = {build_total:.3f} s")
    rate = flops_exec / build_total
    print(f"  executed flops 2nm d(d+1)/2 = {flops_exec / 1e9:.1f} GFLOP -> {rate / 1e9:.1f} GFLOP/s = "
          f"{100 * rate / peak:.0f}% of the GEMM rate (GEMM+unpack part alone: "
          f"{100 * flops_exec / t_build / peak:.0f}%)")
    print(f"  nominal flops 2nmd^2 = {flops_nominal / 1e9:.1f} GFLOP -> effective {flops_nominal / build_total / 1e9:.1f}"
          f" GFLOP/s = {100 * flops_nominal / build_total / peak:.0f}% of the GEMM rate")
    print(f"batched eigvalsh of {m} matrices {d}x{d}: {t_eig:.3f} s")
    total_batched = build_total + t_eig
    # -- the same through the public entry point (includes dedup and validation) ----------------
    t0 = time.perf_counter()
    lo, hi = rad.feature_operator_extremes(x, w_init, signs[None, :])
    t_public = time.perf_counter() - t0
    assert np.allclose(hi[0], lam_max)
    print(f"public feature_operator_extremes: {t_public:.3f} s")

    # -- baseline: Python loop over neurons ------------------------------------------------------
    k = min(args.loop_neurons, m)

    def loop_baseline():
        loop_max = np.empty(k)
        t_build = t_eig = 0.0
        for r in range(k):  # the baseline: one neuron at a time
            t0 = time.perf_counter()
            c = act.derivative(x @ w_init[r], 2) * signs / n
            mat = (x.T * c) @ x
            t1 = time.perf_counter()
            loop_max[r] = np.linalg.eigvalsh(mat)[-1]
            t2 = time.perf_counter()
            t_build += t1 - t0
            t_eig += t2 - t1
        assert np.allclose(loop_max, lam_max[:k])
        return t_build * m / k, t_eig * m / k

    for label, context in (("default BLAS threads", contextlib.nullcontext()),
                           ("BLAS limited to 1 thread", _threads.single_thread())):
        with context:
            t_loop_build, t_loop_eig = loop_baseline()
        t_loop = t_loop_build + t_loop_eig
        print(f"Python loop over neurons, {label} (timed on {k} neurons, scaled to m = {m}): build "
              f"{t_loop_build:.3f} s ({flops_nominal / t_loop_build / peak * 100:.0f}% of the GEMM rate on its "
              f"2nmd^2 flops) + eigvalsh {t_loop_eig:.3f} s = {t_loop:.3f} s")
        print(f"  speed-up of the batched code: build {t_loop_build / build_total:.1f}x, eigenvalues "
              f"{t_loop_eig / t_eig:.1f}x, build+eig {t_loop / total_batched:.1f}x (public entry point: "
              f"{t_loop / t_public:.1f}x)")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
