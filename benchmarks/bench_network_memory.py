"""Peak memory and time of the network core at (n, m, d) = (10 000, 10 000, 100).

Issue 2's target: every batched evaluation stays under 2 GiB. Each quantity runs in a fresh
subprocess so that its peak resident set size (ru_maxrss) is its own; the baseline is the same
subprocess doing only the imports and the input arrays.

    python benchmarks/bench_network_memory.py [--n 10000 --width 10000 --dim 100 --draws 8]
"""

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
import numpy as np
from boundcheck import network as net
from boundcheck.data import sample_sphere
n, m, d, draws, what = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
rng = np.random.default_rng(0)
x = sample_sphere(n, d, rng=rng)
w_init, w_out = net.symmetric_init(m, d, rng=rng)
w_move = rng.standard_normal((m, d)) * m ** -0.25 / np.sqrt(d)
signs = net.sample_signs(draws, m, rng=rng)
t0 = time.perf_counter()
if what == "network":
    net.network(x, w_init, w_out, w_move)
elif what == "taylor_terms_0_to_3":
    net.taylor_terms(x, w_init, w_out, w_move, [0, 1, 2, 3])
elif what == "quadratic_model":
    net.quadratic_model(x, w_init, w_out, w_move)
elif what == "randomized_network":
    net.randomized_network(x, w_init, w_out, w_move, signs)
elif what == "randomized_linear_term":
    net.randomized_taylor_term(x, w_init, w_out, w_move, signs, 1)
seconds = time.perf_counter() - t0
print(json.dumps({"what": what, "seconds": seconds, "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--width", type=int, default=10_000)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--draws", type=int, default=8)
    args = parser.parse_args()
    rows = []
    for what in ("baseline", "network", "quadratic_model", "taylor_terms_0_to_3", "randomized_network",
                 "randomized_linear_term"):
        out = subprocess.run([sys.executable, "-c", CHILD, str(args.n), str(args.width), str(args.dim),
                              str(args.draws), what], capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout))
        print(f"{what:24s} peak {rows[-1]['peak_mib']:8.1f} MiB   time {rows[-1]['seconds']:7.2f} s", flush=True)
    worst = max(r["peak_mib"] for r in rows)
    print(f"largest peak {worst:.1f} MiB ({worst / 2048:.2f} of the 2 GiB target)")


if __name__ == "__main__":
    main()
