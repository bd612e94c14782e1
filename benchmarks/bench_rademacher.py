"""Benchmark: the M_r build + extreme eigenvalues of the quadratic-class Rademacher complexity.

    python benchmarks/bench_rademacher.py [--n 4096] [--width 4096] [--dim 64] [--loop-neurons 512]

Measures, in one run on this machine:

* the machine's float64 GEMM rate (a square matmul, best of three);
* the batched build of all m matrices M_r = (1/n) sum_i s_i sigma''(w_{0,r}.x_i) x_i x_i^T
  (boundcheck.numeric.rademacher, chunked GEMMs on packed outer products), its rate and its
  share of the GEMM rate; then the batched eigvalsh of the m matrices;
* a Python loop over neurons (one (d, n) @ (n, d) product and one eigvalsh per neuron), timed on
  ``--loop-neurons`` neurons and scaled to m.

Distinct neurons only: the symmetric initialization copies each row, and the library computes each
distinct row once; the benchmark builds m distinct rows (i.i.d. Gaussian w_init) so that the work
is the full m matrices. Flops of the build are counted as executed: 2 n m d(d+1)/2 (the packed
upper triangles), and also shown against the nominal 2 n m d^2 of full d x d products.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from boundcheck.activations import get_activation
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
    parser.add_argument("--loop-neurons", type=int, default=512)
    args = parser.parse_args()
    n, m, d = args.n, args.width, args.dim
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, d))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    w_init = rng.standard_normal((m, d))
    signs = rng.choice([-1.0, 1.0], size=n)
    act = get_activation("relu3")

    peak = gemm_rate()
    print(f"machine float64 GEMM rate (2048^3 matmul, best of 3): {peak / 1e9:.1f} GFLOP/s")

    # -- the library's batched build, split into its parts ------------------------------------
    t0 = time.perf_counter()
    coef = np.ascontiguousarray((act.derivative(x @ w_init.T, 2) * signs[:, None] / n).T)  # (m, n)
    t_coef = time.perf_counter() - t0
    t0 = time.perf_counter()
    blocks = rad._column_blocks(n, d, rad.PACKED_BYTES)
    z_blocks = [rad._packed_outer(x, np.arange(b.start, b.stop)) for b in blocks]
    t_z = time.perf_counter() - t0
    chunk = max(1, min(m, rad.CHUNK_BYTES // (8 * (n + 2 * d * d))))
    t_build = 0.0
    t_eig = 0.0
    lam_max = np.empty(m)
    for start in range(0, m, chunk):  # memory chunks, as in the library
        sl = slice(start, min(start + chunk, m))
        t0 = time.perf_counter()
        mats = rad._matrices_from_packed(coef[sl], z_blocks, blocks, d)
        t_build += time.perf_counter() - t0
        t0 = time.perf_counter()
        lam_max[sl] = np.linalg.eigvalsh(mats)[:, -1]
        t_eig += time.perf_counter() - t0
    build_total = t_coef + t_z + t_build
    flops_exec = 2.0 * n * m * d * (d + 1) / 2
    flops_nominal = 2.0 * n * m * d * d
    print(f"(n, m, d) = ({n}, {m}, {d}); chunk = {chunk} matrices")
    print(f"batched build: weights {t_coef:.3f} s + packed outer products {t_z:.3f} s + GEMMs/unpack "
          f"{t_build:.3f} s = {build_total:.3f} s")
    rate = flops_exec / build_total
    print(f"  executed flops 2nm d(d+1)/2 = {flops_exec / 1e9:.1f} GFLOP -> {rate / 1e9:.1f} GFLOP/s = "
          f"{100 * rate / peak:.0f}% of the GEMM rate (GEMM part alone: "
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
    t0 = time.perf_counter()
    loop_max = np.empty(k)
    for r in range(k):  # the baseline: one neuron at a time
        c = act.derivative(x @ w_init[r], 2) * signs / n
        mat = (x.T * c) @ x
        loop_max[r] = np.linalg.eigvalsh(mat)[-1]
    t_loop = (time.perf_counter() - t0) * m / k
    assert np.allclose(loop_max, lam_max[:k])
    print(f"Python loop over neurons: {t_loop:.3f} s for m = {m} (timed on {k} neurons, scaled)")
    print(f"speed-up of the batched build+eig over the loop: {t_loop / total_batched:.1f}x "
          f"(public entry point: {t_loop / t_public:.1f}x)")


if __name__ == "__main__":
    main()
