"""The Spark engine builds exactly the local engine's graph: edges, nodes, rejected, quality."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from flowgraph import synth
from flowgraph.assessment import assess
from flowgraph.exceptions import InputError
from flowgraph.graph.build import build_graph
from flowgraph.spark import build_graph_spark, edges

pytestmark = [pytest.mark.spark,
              pytest.mark.filterwarnings("ignore:.*does not yet fully support pandas:FutureWarning")]

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
KEY = ["client", "server", "server_port", "protocol"]
REJ_KEY = ["source", "destination", "port", "protocol"]


def _sorted(df: pd.DataFrame, key) -> pd.DataFrame:
    return df.sort_values(key).reset_index(drop=True)


def assert_same_graph(local, spark_graph, *, same_order: bool = True) -> None:
    """Row-for-row equality of edges, nodes and rejected; equality of the quality dict."""
    pd.testing.assert_frame_equal(_sorted(local.edges, KEY), _sorted(spark_graph.edges, KEY))
    pd.testing.assert_frame_equal(local.nodes.sort_index(), spark_graph.nodes.sort_index())
    pd.testing.assert_frame_equal(_sorted(local.rejected, REJ_KEY), _sorted(spark_graph.rejected, REJ_KEY))
    # the same sample records (first records of each edge's earliest connections, with file and line)
    assert len(local.samples) >= len(local.edges)
    pd.testing.assert_frame_equal(_sorted(local.samples, [*KEY, "sample"]), _sorted(spark_graph.samples, [*KEY, "sample"]))
    if same_order:  # the node ids are the local engine's, so even the order is
        pd.testing.assert_frame_equal(local.edges, spark_graph.edges)
        pd.testing.assert_frame_equal(local.samples, spark_graph.samples)
        pd.testing.assert_frame_equal(local.nodes, spark_graph.nodes)
        pd.testing.assert_frame_equal(local.rejected, spark_graph.rejected)
    ql, qs = dict(local.quality), dict(spark_graph.quality)
    for key in ("traffic_by_class", "direction_methods", "unresolved_direction_share", "records_resolved",
                "records_without_address", "records_outside_window", "accepted_connections",
                "rejected_records", "distinct_addresses", "inventory", "time_span_seconds", "window",
                "unmapped_share", "identity_source"):
        assert ql.get(key) == qs.get(key), key
    assert set(ql) == set(qs)
    rl, rs = ql["read"], qs["read"]
    for key in ("records", "nodata", "skipdata", "invalid", "invalid_by_reason", "header_lines", "blank_lines",
                "files_read", "bytes_read", "bytes_decompressed", "first_start", "last_end",
                "millisecond_timestamps", "formats", "resolution"):
        assert rl[key] == rs[key], key
    assert json.dumps(ql, sort_keys=True, default=str) == json.dumps(qs, sort_keys=True, default=str)


@pytest.fixture(scope="module")
def handmade_pair(spark, handmade):
    logs, inv, _, _ = handmade
    return build_graph(logs, inv), build_graph_spark(logs, inv, spark=spark)


def test_handmade_estate_same_graph(handmade_pair):
    local, spark_graph = handmade_pair
    assert_same_graph(local, spark_graph)
    # the awkward cases are really in there
    methods = local.quality["direction_methods"]
    assert all(methods[m]["connections"] > 0 for m in ("tcp_flags", "listening_port", "port", "unresolved"))
    assert {"internet", "unknown:10.9.8.0/24", "aws:S3", "old-api", "new-api"} <= set(local.services)
    assert len(local.rejected) == 3


def test_invalid_line_accounting_is_the_local_readers(handmade_pair):
    local, spark_graph = handmade_pair
    rl, rs = local.quality["read"], spark_graph.quality["read"]
    assert rl["invalid"] == rs["invalid"] == 9
    assert rs["invalid_by_reason"] == {"token_count": 4, "non_numeric": 2, "out_of_range": 2, "truncated": 1}
    assert rl["invalid_examples"] == rs["invalid_examples"]  # same files, lines and order
    assert rl["truncated_files"] == rs["truncated_files"] and len(rs["truncated_files"]) == 1
    assert rl["files_without_records"] == rs["files_without_records"]
    assert rl["files_skipped"] == rs["files_skipped"] and len(rs["files_skipped"]) == 3
    assert rl["per_file"] == rs["per_file"]
    assert rl["blank_lines"] == rs["blank_lines"] and rl["header_lines"] == rs["header_lines"]


def test_options_eni_inventory_ip_ranges_internet_per_16_and_window(spark, handmade):
    logs, _, enis, ranges = handmade
    kw = dict(ip_ranges=str(ranges), internet="/16", since="2024-03-01", until="2024-03-02", session_gap=30)
    local = build_graph(logs, str(enis), **kw)
    spark_graph = build_graph_spark(logs, str(enis), spark=spark, **kw)
    assert_same_graph(local, spark_graph)
    assert "aws:DYNAMODB" in local.services and "internet:198.51.0.0/16" in local.services
    assert local.quality["records_outside_window"] == spark_graph.quality["records_outside_window"] == 4
    assert local.nodes.loc["api", "account"] == "012345678901"


def test_edges_function_on_a_uri_that_spark_lists(spark, handmade):
    logs, inv, _, _ = handmade
    sub = logs / "a"  # one directory chain: path order (Spark's, and S3's) is the local walk order
    local = build_graph(sub, inv)
    e = edges(spark, sub.as_uri(), inv)  # a URI: Spark lists the directory itself, as it would s3a://
    pd.testing.assert_frame_equal(local.edges, e)
    assert list(e.columns) == ["client", "server", "server_port", "protocol", "connections", "packets", "bytes",
                               "first_seen", "last_seen", "hours_seen", "days_seen", "by_flags",
                               "by_listening_port", "by_port", "unresolved", "windows"]


def test_bundled_sample_estate_same_graph_and_assessment(spark):
    local = build_graph(SAMPLE / "logs", SAMPLE / "inventory.csv")
    spark_graph = build_graph_spark(str(SAMPLE / "logs"), str(SAMPLE / "inventory.csv"), spark=spark)
    assert_same_graph(local, spark_graph)
    _same_assessment(local, spark_graph)


def test_planted_estate_same_graph_and_assessment(spark, tmp_path):
    est = synth.generate_estate(domains=4, services=30, shared_services=2, connections=4000, hours=3,
                                reused_addresses=2, unknown_addresses=2, scanners=3, seed=11)
    synth.write_estate(est, tmp_path)
    local = build_graph(tmp_path / "logs", tmp_path / "inventory.csv")
    spark_graph = build_graph_spark(tmp_path / "logs", tmp_path / "inventory.csv", spark=spark)
    assert_same_graph(local, spark_graph)
    got = {(r.client, r.server, int(r.server_port), int(r.protocol)) for r in spark_graph.edges.itertuples()}
    assert got == est.expected_edges()
    _same_assessment(local, spark_graph)


def _same_assessment(local, spark_graph) -> None:
    a = assess(local, seed=0, n_seeds=3, n_null=5).to_dict()
    b = assess(spark_graph, seed=0, n_seeds=3, n_null=5).to_dict()
    assert a["verdict"] == b["verdict"]
    assert json.dumps(a["metrics"], sort_keys=True) == json.dumps(b["metrics"], sort_keys=True)
    assert a["communities"] == b["communities"]


def test_nothing_readable_raises_the_local_error(spark, tmp_path, garbage_text):
    (tmp_path / "only-garbage.log").write_text(garbage_text)
    with pytest.raises(InputError) as local_err:
        build_graph(tmp_path, None)
    with pytest.raises(InputError) as spark_err:
        build_graph_spark(tmp_path, None, spark=spark)
    assert str(spark_err.value) == str(local_err.value)
    assert "invalid" in str(spark_err.value)
