"""The pieces of the Spark engine that need no JVM: lazy import, the task function, the shared SQL.

The shared SQL must give the same edges whatever the engine codes nodes and
addresses with (integers locally, strings on Spark) and whatever order it
gives to rows with equal sort keys; these tests check that on DuckDB.
"""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from flowgraph import synth
from flowgraph.graph.build import graph_from_batches, name_samples
from flowgraph.graph.sql import (
    REJECTED_SQL,
    SPAN_SQL,
    connections_sql,
    edges_sql,
    samples_sql,
    windows_of,
)
from flowgraph.resolve import Inventory, Resolver
from flowgraph.resolve.resolver import RESOLVED_NAMES_SCHEMA, RESOLVED_SCHEMA
from flowgraph.spark import s3a_conf, spark_uri
from flowgraph.spark.tasks import OUTPUT_SCHEMA, TaskConfig, display_path, resolve_files

KEY = ["client", "server", "server_port", "protocol"]


def _run_sql(table: pa.Table, gap: int = 60, threads: int = 2, samples: list | None = None
             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    con.register("resolved", table)
    con.execute(f"CREATE TEMP TABLE connections AS {connections_sql(gap)}")
    e = con.sql(edges_sql(windows_of(*con.sql(SPAN_SQL).fetchall()[0]))).to_arrow_table().to_pandas()
    r = con.sql(REJECTED_SQL).to_arrow_table().to_pandas()
    if samples is not None:
        samples.append(con.sql(samples_sql(3)).to_arrow_table().to_pandas())
    con.close()
    return e.sort_values(KEY).reset_index(drop=True), r


def test_importing_flowgraph_spark_does_not_import_pyspark():
    code = "import sys, flowgraph.spark; assert 'pyspark' not in sys.modules, 'pyspark imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_pyspark_names_the_extra():
    code = (
        "import sys; sys.modules['pyspark'] = None\n"
        "from flowgraph.spark import build_graph_spark\n"
        "from flowgraph.exceptions import MissingDependencyError\n"
        "try:\n    build_graph_spark('x.log')\nexcept MissingDependencyError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert "pip install 'flowgraph[spark]'" in out and "Spark engine" in out


def test_s3_uris_and_s3a_settings():
    assert spark_uri("s3://b/AWSLogs/") == "s3a://b/AWSLogs/"
    assert display_path("s3a://b/AWSLogs/x.log.gz") == "s3://b/AWSLogs/x.log.gz"
    conf = s3a_conf({"endpoint_url": "https://minio.local:9000", "region": "eu-west-1"}, hadoop="3.4.1")
    assert conf["fs.s3a.endpoint"] == "minio.local:9000" and conf["fs.s3a.connection.ssl.enabled"] == "true"
    assert conf["fs.s3a.endpoint.region"] == "eu-west-1"
    assert conf["fs.s3a.aws.credentials.provider"].endswith("DefaultCredentialsProvider")
    temp = s3a_conf({"access_key": "a", "secret_key": "b", "session_token": "t"})
    assert temp["fs.s3a.aws.credentials.provider"].endswith("TemporaryAWSCredentialsProvider")


def test_names_mode_keeps_the_integer_path_and_its_statistics():
    inv = Inventory.from_frame(pd.DataFrame({"ip": ["10.0.0.1", "10.0.0.2"], "service": ["web", "db"]}))
    batch = pa.record_batch({
        "srcaddr": ["10.0.0.1", "10.0.0.2", "203.0.113.9", None], "dstaddr": ["10.0.0.2", "10.0.0.1", "10.0.0.1", "x"],
        "srcport": [40000, 5432, 51000, 1], "dstport": [5432, 40000, 443, 1], "protocol": [6, 6, 6, 6],
        "packets": [10, 8, 3, 1], "bytes": [900, 700, 200, 1], "start": [100, 100, 160, 1], "end": [160, 160, 170, 2],
        "action": ["ACCEPT", "ACCEPT", "REJECT", "ACCEPT"], "log_status": ["OK", "OK", "OK", "OK"],
        "interface_id": ["eni-1", "eni-1", None, "eni-2"]})
    a, b = Resolver(inv), Resolver(inv)
    ints, names = a.resolve(batch), b.resolve(batch, names=True)
    assert ints.schema == RESOLVED_SCHEMA and names.schema == RESOLVED_NAMES_SCHEMA
    assert [a.node_name(i) for i in ints.column("src_node").to_pylist()] == names.column("src_node").to_pylist()
    assert names.column("src_addr").to_pylist() == ["10.0.0.1", "10.0.0.2", "203.0.113.9"]
    assert names.column("eni").to_pylist() == ["eni-1", "eni-1", None]
    assert names.column("rec_class").to_pylist() == [0, 0, 2]
    for col in ("sport", "dport", "proto", "packets", "bytes", "t_start", "t_end", "accept", "flags"):
        assert ints.column(col).equals(names.column(col)), col
    assert a.quality() == b.quality()


@pytest.fixture(scope="module")
def planted_records():
    est = synth.generate_estate(domains=4, services=30, shared_services=2, connections=20_000, hours=3,
                                reused_addresses=3, unknown_addresses=3, scanners=3, seed=5)
    return est.records().to_batches(max_chunksize=4000), Inventory.from_frame(est.inventory)


def test_string_coded_records_give_the_integer_coded_edge_table(planted_records):
    batches, inv = planted_records
    local = graph_from_batches(batches, inv)
    r = Resolver(inv)
    table = _file_ids(pa.Table.from_batches([r.resolve(b, names=True) for b in batches]))
    ids = {name: i for i, name in enumerate(r._node_ids)}
    # the names as such, and numbered like the local engine numbers them
    for coded in (table, table.set_column(0, "src_node", pa.array([ids[n] for n in table.column("src_node").to_pylist()]))
                  .set_column(1, "dst_node", pa.array([ids[n] for n in table.column("dst_node").to_pylist()]))):
        got_samples: list = []
        e, _ = _run_sql(coded, samples=got_samples)
        smp = name_samples(got_samples[0], addresses=None, interfaces=None, files=[None])
        if pa.types.is_integer(coded.schema.field("src_node").type):
            names = list(r._node_ids)
            for df in (e, smp):
                df["client"] = [names[i] for i in df["client"]]
                df["server"] = [names[i] for i in df["server"]]
        # the same sample records, whatever the coding
        skey = [*KEY, "sample"]
        want_s = local.samples.astype(object).where(local.samples.notna(), None).sort_values(skey).reset_index(drop=True)
        got_s = smp[list(local.samples.columns)].astype(object).sort_values(skey).reset_index(drop=True)
        assert len(want_s) > len(local.edges)
        assert want_s.values.tolist() == got_s.values.tolist()
        want = local.edges.astype({c: "int64" for c in local.edges.columns if c not in ("client", "server")})
        want = want.astype({"client": object, "server": object}).sort_values(KEY).reset_index(drop=True)
        got = e.astype({c: "int64" for c in e.columns if c not in ("client", "server")})
        pd.testing.assert_frame_equal(got.sort_values(KEY).reset_index(drop=True).astype({"client": object, "server": object}),
                                      want)


def test_connections_do_not_depend_on_the_order_of_tied_rows(planted_records):
    # Records of one 5-tuple that start in the same second (the two directions at one ENI) must
    # fall into the same connection however the engine orders ties.  With ROWS frames over
    # (t_start, t_end) the two window passes could order such ties differently and count a
    # phantom connection now and then (this estate gave 28288, 28289 or 28291 connections).
    batches, inv = planted_records
    table = pa.Table.from_batches([Resolver(inv).resolve(b) for b in batches])
    counts = set()
    for threads in (1, 2, 3, 4, 2, 4):
        con = duckdb.connect()
        con.execute(f"SET threads = {threads}")
        con.register("resolved", table)
        counts.add(con.sql(f"SELECT COUNT(*) FROM ({connections_sql(60)}) AS c").fetchall()[0][0])
        con.close()
    assert len(counts) == 1, counts


def _flows(*lines: str) -> bytes:
    head = ("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end "
            "action log-status tcp-flags\n")
    return (head + "\n".join(lines) + "\n").encode()


def _file_ids(table: pa.Table) -> pa.Table:
    """File names numbered in order of appearance, as the engines hand them to the SQL."""
    i = table.schema.get_field_index("file")
    names = table.column("file").to_pylist()
    ids = {n: k for k, n in enumerate(dict.fromkeys(names))}
    return table.set_column(i, "file", pa.array([ids[n] for n in names], pa.int32()))


def test_last_direction_tie_breaks_by_node_not_by_address():
    # Peers on one port, both directions in the same second: the same client whatever the address coding.
    rows = [f"5 1 eni-1 {a} {b} 123 123 17 1 90 1700000000 1700000030 ACCEPT OK -"
            for a, b in (("10.0.0.9", "10.0.0.1"), ("10.0.0.1", "10.0.0.9"))]
    inv = Inventory.from_frame(pd.DataFrame({"ip": ["10.0.0.9", "10.0.0.1"], "service": ["first", "second"]}))
    out = pa.Table.from_batches(list(resolve_files(
        [pa.record_batch({"path": ["s3a://b/x.log"], "content": [_flows(*rows)]})], TaskConfig(inventory=inv))))
    recs = out.filter(out.column("_summary").is_null()).drop_columns(["_summary"])
    ids = {"first": 0, "second": 1}
    as_ids = recs.set_column(0, "src_node", pa.array([ids[n] for n in recs.column("src_node").to_pylist()])) \
        .set_column(1, "dst_node", pa.array([ids[n] for n in recs.column("dst_node").to_pylist()]))
    as_ids = _file_ids(as_ids)
    swapped = as_ids.set_column(2, "src_addr", pa.array([{"10.0.0.9": "1", "10.0.0.1": "2"}[a] for a in recs.column("src_addr").to_pylist()])) \
        .set_column(3, "dst_addr", pa.array([{"10.0.0.9": "1", "10.0.0.1": "2"}[a] for a in recs.column("dst_addr").to_pylist()]))
    e1, _ = _run_sql(as_ids)
    e2, _ = _run_sql(swapped)
    assert e1[["client", "server", "unresolved"]].values.tolist() == [[0, 1, 1]]
    pd.testing.assert_frame_equal(e1, e2)


def test_task_function_reports_skipped_and_reads_explicit_files():
    files = pa.record_batch({
        "path": ["s3a://b/logs/notes.md", "s3a://b/logs/one.log", "s3a://b/named.md"],
        "content": [b"x", _flows("5 1 eni-1 10.0.0.1 10.0.0.2 40000 443 6 1 90 1700000000 1700000030 ACCEPT OK 2"),
                    _flows("5 1 eni-1 10.0.0.1 10.0.0.2 40001 443 6 1 90 1700000000 1700000030 ACCEPT OK 2")]})
    cfg = TaskConfig(explicit={"s3a://b/named.md"}, uri_items=[(0, "s3://b/logs"), (1, "s3://b/named.md")])
    out = pa.Table.from_batches(list(resolve_files([files], cfg)), schema=OUTPUT_SCHEMA)
    infos = [json.loads(s) for s in out.column("_summary").drop_null().to_pylist()]
    assert infos[0] == {"file": "s3://b/logs/notes.md", "skipped": "unsupported suffix '.md'"}
    assert [i["file"] for i in infos if "read" in i] == ["s3://b/logs/one.log", "s3://b/named.md"]
    assert out.column("_summary").null_count == 2
    nodes = infos[-1]["nodes"]
    assert nodes["unknown:10.0.0.0/24"][:3] == [0, 1, "s3://b/logs/one.log"]
