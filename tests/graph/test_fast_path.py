"""The local engine's sorted path gives exactly the tables of the specification SQL (#15).

``aggregate(..., method="sql")`` runs :func:`flowgraph.graph.sql.connections_sql` (the text
the Spark engine runs) on DuckDB: it is the reference.  The default ``method="sorted"``
(:mod:`flowgraph.graph.local_sql`) must give the same edges, samples, rejected table and
direction figures, and so the same graph (nodes, quality) on every estate.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import flowgraph.graph.build as build_mod
from flowgraph import synth
from flowgraph.graph.aggregate import aggregate
from flowgraph.graph.build import build_graph, graph_from_batches
from flowgraph.resolve import RESOLVED_SCHEMA, Inventory

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def assert_same_aggregation(ref, got) -> None:
    for name in ("edges", "samples", "rejected"):
        pd.testing.assert_frame_equal(getattr(ref, name), getattr(got, name), check_exact=True, obj=name)
    assert ref.direction == got.direction


def assert_same_graph(ref, got) -> None:
    for name in ("edges", "nodes", "rejected", "samples"):
        pd.testing.assert_frame_equal(getattr(ref, name), getattr(got, name), check_exact=True, obj=name)
    assert json.dumps(ref.quality, sort_keys=True, default=str) == json.dumps(got.quality, sort_keys=True, default=str)


@pytest.fixture
def both(monkeypatch):
    """``run(fn)``: ``fn()`` (a graph build) with the sorted path, tiny buckets, and with the reference SQL."""

    def run(fn):
        monkeypatch.setattr(build_mod, "aggregate", functools.partial(aggregate, method="sql"))
        ref = fn()
        # tiny buckets: many bucket ranges, so keys must never straddle two of them
        monkeypatch.setattr(build_mod, "aggregate", functools.partial(aggregate, method="sorted", bucket_rows=500))
        got = fn()
        monkeypatch.setattr(build_mod, "aggregate", aggregate)
        return ref, got

    return run


def random_records(seed: int, n: int = 4000) -> pa.RecordBatch:
    """Resolved records drawn from tiny domains: many ties, overlaps, gap boundaries, reused keys."""
    rng = np.random.default_rng(seed)
    addr_src = rng.integers(0, 5, n)
    addr_dst = rng.integers(0, 5, n)
    ports = np.array([0, 53, 80, 443, 1023, 1024, 5432, 32767, 32768, 40000, 61000])
    sport, dport = rng.choice(ports, n), rng.choice(ports, n)
    start = rng.integers(0, 400, n)
    node_of = rng.integers(0, 3, (5, 2))  # an address may name two nodes (reuse across its records)
    pick = rng.integers(0, 2, n)
    per_file = np.bincount(files := rng.integers(0, 3, n), minlength=3)
    seq = np.zeros(n, np.int64)
    for f in range(3):
        seq[files == f] = rng.permutation(per_file[f])
    return pa.record_batch({
        "src_node": node_of[addr_src, pick].astype(np.int32), "dst_node": node_of[addr_dst, 1 - pick].astype(np.int32),
        "src_addr": addr_src.astype(np.int32), "dst_addr": addr_dst.astype(np.int32),
        "sport": sport.astype(np.int32), "dport": dport.astype(np.int32),
        "proto": rng.choice([1, 6, 17], n).astype(np.int32),
        "packets": rng.integers(0, 50, n), "bytes": rng.integers(0, 5000, n),
        "t_start": start, "t_end": start + rng.choice([0, 1, 30, 59, 60, 61, 200], n),
        "accept": rng.random(n) < 0.9, "flags": rng.choice([0, 2, 3, 16, 18, 19, 1], n).astype(np.int32),
        "eni": rng.integers(-1, 3, n).astype(np.int32), "file": files.astype(np.int32),
        "line": seq + 2, "seq": seq,
    }, schema=RESOLVED_SCHEMA)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("gap", [0, 60])
def test_random_records_same_tables(seed, gap):
    batch = random_records(seed)
    ref = aggregate([batch], session_gap=gap, method="sql")
    got = aggregate([batch.slice(0, 1000), batch.slice(1000)], session_gap=gap,
                    method="sorted", bucket_rows=300)
    assert len(ref.edges) > 10 and len(ref.samples) > len(ref.edges)
    assert_same_aggregation(ref, got)


def test_keys_that_do_not_pack_into_two_integers_same_tables():
    """Ports past 16 bits (never from the reader) take the five-key sort: same tables."""
    batch = random_records(2)
    sport = batch.column("sport").to_numpy().copy()
    sport[::7] = 70_000
    batch = batch.set_column(batch.schema.get_field_index("sport"), "sport", pa.array(sport, pa.int32()))
    assert_same_aggregation(aggregate([batch], method="sql"), aggregate([batch], method="sorted"))


def test_empty_input_same_tables():
    empty = RESOLVED_SCHEMA.empty_table().to_batches()
    assert_same_aggregation(aggregate(empty, method="sql"), aggregate(empty, method="sorted"))


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="method"):
        aggregate([], method="fast")


def test_planted_estate_same_graph(both):
    est = synth.generate_estate(domains=4, services=40, shared_services=2, connections=6000, hours=3,
                                reused_addresses=2, unknown_addresses=3, scanners=3, seed=5)
    inv = Inventory.from_frame(est.inventory)
    ref, got = both(lambda: graph_from_batches(est.records().to_batches(max_chunksize=4000), inv))
    assert len(ref.edges) > 50
    assert_same_graph(ref, got)


def test_bundled_sample_same_graph(both):
    ref, got = both(lambda: build_graph(SAMPLE / "logs", SAMPLE / "inventory.csv"))
    assert len(ref.edges) > 5
    assert_same_graph(ref, got)


def test_hand_built_estate_same_graph(both, tmp_path):
    header = ("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end "
              "action log-status tcp-flags")
    t0 = 1_700_000_000

    def r(eni, src, dst, sp, dp, start, end=None, flags=3, action="ACCEPT", proto=6, pk=2, by=100):
        return (f"5 123456789012 {eni} {src} {dst} {sp} {dp} {proto} {pk} {by} {start} "
                f"{start + 30 if end is None else end} {action} OK {flags}")

    lines = [
        header,
        # one connection at two ENIs, both directions; the server ENI saw more bytes of the reply
        r("eni-a", "10.0.0.1", "10.0.0.2", 40000, 5432, t0, flags=2),
        r("eni-a", "10.0.0.2", "10.0.0.1", 5432, 40000, t0, flags=18, by=700),
        r("eni-b", "10.0.0.1", "10.0.0.2", 40000, 5432, t0 + 1, flags=2),
        r("eni-b", "10.0.0.2", "10.0.0.1", 5432, 40000, t0 + 1, flags=18, by=900),
        # same 5-tuple exactly `gap` seconds after the end: the same connection; gap + 1 later: a new one
        r("eni-a", "10.0.0.1", "10.0.0.2", 40000, 5432, t0 + 91, flags=0),
        r("eni-a", "10.0.0.1", "10.0.0.2", 40000, 5432, t0 + 182, flags=0),
        # no flags at all: ports decide; then the listening port learnt above decides
        r("eni-c", "10.0.0.3", "10.0.0.2", 50000, 8080, t0 + 5, flags=0, proto=17),
        r("eni-c", "10.0.0.3", "10.0.0.2", 1000, 5432, t0 + 6, flags=0),
        # both ends ephemeral and unflagged: unresolved
        r("eni-c", "10.0.0.3", "10.0.0.1", 40001, 40002, t0 + 7, flags=0),
        # same address both ends (ports orient the key), rejected records, an unknown address
        r("eni-d", "10.0.0.4", "10.0.0.4", 6000, 7000, t0 + 8, flags=0),
        r("eni-d", "10.0.0.9", "10.0.0.4", 44444, 22, t0 + 9, action="REJECT", flags=2),
        r("eni-d", "10.0.0.9", "10.0.0.4", 44445, 22, t0 + 9, action="REJECT", flags=2),
        r("-", "10.1.2.3", "10.0.0.1", 40003, 443, t0 + 10, flags=2),
        # ties: three records of one key in the same second, ends out of order
        r("eni-e", "10.0.0.5", "10.0.0.1", 40004, 443, t0 + 20, end=t0 + 25, flags=2),
        r("eni-e", "10.0.0.1", "10.0.0.5", 443, 40004, t0 + 20, end=t0 + 400, flags=18),
        r("eni-f", "10.0.0.5", "10.0.0.1", 40004, 443, t0 + 20, end=t0 + 21, flags=2),
        r("eni-e", "10.0.0.5", "10.0.0.1", 40004, 443, t0 + 450, flags=2),
    ]
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.log").write_text("\n".join(lines[:9]) + "\n")
    (logs / "b.log").write_text("\n".join([header, *lines[9:]]) + "\n")
    inv = tmp_path / "inventory.csv"
    inv.write_text("ip,service,domain\n10.0.0.1,web,shop\n10.0.0.2,db,data\n10.0.0.3,batch,data\n"
                   "10.0.0.4,ops,ops\n10.0.0.5,api,shop\n")
    for gap in (0, 60):
        ref, got = both(lambda gap=gap: build_graph(logs, inv, session_gap=gap))
        assert len(ref.edges) >= 6
        assert set(ref.quality["direction_methods"]) == {"tcp_flags", "listening_port", "port", "unresolved"}
        assert_same_graph(ref, got)
