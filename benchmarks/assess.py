"""Benchmark of the full assessment on planted estates.

Usage::

    PYTHONPATH=. .venv/bin/python benchmarks/assess.py            # 1,000 and 10,000 services
    PYTHONPATH=. .venv/bin/python benchmarks/assess.py --sizes 1000 50000 --n-jobs 2

(``PYTHONPATH=.`` makes a script under ``benchmarks/`` import this checkout's
``flowgraph`` rather than whichever one the environment has installed.)

Builds a planted-partition service graph (stochastic block model, mean
degree ≈ 10, cross-domain share ``--mu``, blocks of 50 services up to 2,000
services and of 100 above), runs ``flowgraph.assessment.assess`` with its
defaults and prints the time of every step, plus the cost of one
python-louvain and one igraph Louvain run for reference.  The defaults
(``docs/metrics.md``): repeated runs with Leiden on igraph's C core; the
trade-off curve over the resolution grid (0.25–16, extended while the
number of zones changes) with 5 seeds per γ; 20 seeds for stability at the
operating γ; 20 degree-preserving rewirings for the null model (3 seeds
each, 1 above 20,000 edges) and 5 rewirings (2 above 20,000 edges) for
the null band over the whole grid; a Bayesian edge bootstrap of 50
replicates (20 above 20,000 edges); the including-shared and other-weight
evaluations with 5 seeds and 10 rewirings.  Worker processes: all cores
from 20,000 edges (``--n-jobs`` overrides).

Targets (issue 11): 10,000 services ≤ 60 s and 50,000 ≤ 5 min on 2 cores.
Wall times depend on what else runs on the machine (the load average is
printed); the CPU figure counts this process and finished children only,
not the pool's workers, which stay alive between calls.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time

import networkx as nx
import numpy as np
import pandas as pd

from flowgraph._arrays import GraphArrays
from flowgraph.assessment import assess
from flowgraph.communities.detect import run_once
from flowgraph.graph import ServiceGraph


def planted_service_graph(n: int, *, mu: float, mean_degree: float, block_size: int,
                          seed: int) -> tuple[ServiceGraph, np.ndarray]:
    """A ServiceGraph whose declared domains are the planted blocks."""
    blocks = n // block_size
    sizes = [block_size] * blocks
    p_in = mean_degree * (1 - mu) / (block_size - 1)
    p_out = mean_degree * mu / (n - block_size)
    probs = [[p_in if i == j else p_out for j in range(blocks)] for i in range(blocks)]
    G = nx.stochastic_block_model(sizes, probs, seed=seed, sparse=True)
    rng = np.random.default_rng(seed)
    e = np.array(list(G.edges()), dtype=np.int64)
    flip = rng.random(len(e)) < 0.5
    client = np.where(flip, e[:, 1], e[:, 0])
    server = np.where(flip, e[:, 0], e[:, 1])
    names = np.array([f"svc{i:05d}" for i in range(n)])
    m = len(e)
    conns = rng.integers(1, 500, m)
    edges = pd.DataFrame({
        "client": names[client], "server": names[server],
        "server_port": rng.choice([443, 8080, 5432, 6379], m), "protocol": 6,
        "connections": conns, "packets": conns * 10, "bytes": conns * 4_000,
        "first_seen": 0, "last_seen": 86_400, "hours_seen": 24, "days_seen": 1})
    truth = np.array([G.nodes[i]["block"] for i in range(n)])
    nodes = pd.DataFrame({"kind": "service", "domain": [f"team{b:03d}" for b in truth]},
                         index=pd.Index(names, name="service"))
    return ServiceGraph(edges, nodes), truth


def one_run_costs(sg: ServiceGraph) -> dict[str, float]:
    arrays = GraphArrays.from_networkx(sg.undirected("binary"), "weight")
    out = {}
    for alg in ("louvain", "igraph-louvain"):
        try:
            run_once(arrays, alg, 1.0, 1) if alg != "louvain" else None   # warm-up (import, graph)
            t = time.perf_counter()
            run_once(arrays, alg, 1.0, 0)
            out[alg] = time.perf_counter() - t
        except ImportError:  # igraph missing
            out[alg] = float("nan")
    return out


def _cpu() -> float:
    """User + system CPU seconds of this process and its finished children (the workers)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--mu", type=float, default=0.25)
    ap.add_argument("--mean-degree", type=float, default=10.0)
    ap.add_argument("--n-jobs", type=int, default=None,
                    help="worker processes (default: automatic, all cores from 20,000 edges)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-fast-repeats", action="store_true",
                    help="run every repeated run with python-louvain too")
    args = ap.parse_args(argv)
    random.seed(args.seed)
    for n in args.sizes:
        block = 50 if n <= 2000 else 100
        t = time.perf_counter()
        sg, truth = planted_service_graph(n, mu=args.mu, mean_degree=args.mean_degree,
                                          block_size=block, seed=args.seed)
        build = time.perf_counter() - t
        costs = one_run_costs(sg)
        t = time.perf_counter()
        cpu0 = _cpu()
        a = assess(sg, seed=args.seed, n_jobs=args.n_jobs, fast_repeats=not args.no_fast_repeats)
        total = time.perf_counter() - t
        cpu = _cpu() - cpu0
        m = a.metrics
        from sklearn.metrics import normalized_mutual_info_score
        member = a.partition.membership  # services left unzoned (idle, shared) get their own label
        labels = np.array([member.get(f"svc{i:05d}", -1) for i in range(n)], dtype=np.int64)
        print(f"\n== {n} services, {m['edges']} edges, planted mu={args.mu}, {n // block} domains, "
              f"n_jobs={a.parameters['n_jobs_used']}, null seeds={a.parameters['null_seeds_used']} ==")
        print(f"build graph            {build:8.2f} s")
        print(f"one python-louvain run {costs['louvain']:8.2f} s   one igraph Louvain run "
              f"{costs['igraph-louvain']:6.3f} s")
        for k, v in a.timings.items():
            print(f"{k:<22} {v:8.2f} s")
        print(f"assess() wall time     {total:8.2f} s   CPU (all processes) {cpu:.1f} s   "
              f"load average {os.getloadavg()[0]:.1f}")
        print(f"verdict={a.verdict} mu={m['cross_community_edge_ratio']:.3f} K={m['communities']} "
              f"gamma={a.chosen_resolution:g} zQ={m['modularity_zscore']:.1f} ARI={m['stability_ari']:.3f} "
              f"NMI(planted)={normalized_mutual_info_score(truth, labels):.3f} "
              f"repeated runs: {a.parameters['repeated_runs_engine']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
