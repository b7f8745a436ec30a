"""Property tests: any record set in any field order round-trips through the reader."""

from __future__ import annotations

import gzip
import itertools

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from readtest_helpers import assert_line_invariant

from flowgraph.read import read_flows, scan_flows
from flowgraph.read.fields import CANONICAL_FIELDS, FIELD_MAX, INTEGER_FIELDS, column_name
from flowgraph.read.text import MIN_PLAUSIBLE_EPOCH

_SAFE = st.characters(min_codepoint=33, max_codepoint=0x44F,
                      blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp"),
                      blacklist_characters="\x85\xa0")
# string values never look like field names (they start with an upper-case letter or a digit)
_STRING = st.builds(lambda head, tail: head + tail,
                    st.sampled_from("ABCXYZ0123456789"), st.text(_SAFE, max_size=12))


# plausible times (flowgraph.read.text.plausible_times): 2000-01-01 .. now, seconds or milliseconds
_TIMES = st.one_of(st.integers(MIN_PLAUSIBLE_EPOCH, 1_764_000_000),
                   st.integers(MIN_PLAUSIBLE_EPOCH * 1000, 1_764_000_000_000))


def _int(field: str):
    """Valid values of an integer field: 0 .. its bound, small values often."""
    if field in ("start", "end"):
        return _TIMES
    top = FIELD_MAX[field]
    return st.one_of(st.integers(0, top), st.integers(0, min(top, 70000)), st.just(top))


@st.composite
def record_sets(draw):
    fields = draw(st.lists(st.sampled_from(CANONICAL_FIELDS), min_size=1, max_size=14, unique=True))
    n = draw(st.integers(1, 12))
    rows = []
    for _ in range(n):
        rows.append([draw(st.none() | (_int(f) if f in INTEGER_FIELDS else _STRING)) for f in fields])
    return fields, rows


def _token(value) -> str:
    return "-" if value is None else str(value)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=record_sets(), header=st.booleans(), gz=st.booleans(), crlf=st.booleans(),
       seps=st.lists(st.sampled_from([" ", " ", " ", "  ", "\t", " \t "]), min_size=1, max_size=5),
       underscores=st.booleans())
def test_any_record_set_round_trips(tmp_path_factory, data, header, gz, crlf, seps, underscores):
    fields, rows = data
    end = "\r\n" if crlf else "\n"
    sep_cycle = itertools.cycle(seps)
    lines = []
    if header:
        names = [column_name(f) if underscores else f for f in fields]
        lines.append(" ".join(names))
    for r in rows:
        tokens = [_token(v) for v in r]
        lines.append(tokens[0] + "".join(next(sep_cycle) + t for t in tokens[1:]))
    raw = (end.join(lines) + end).encode("utf-8")
    path = tmp_path_factory.mktemp("prop") / ("flows.log.gz" if gz else "flows.log")
    path.write_bytes(gzip.compress(raw) if gz else raw)

    df = read_flows(path, fields=None if header else " ".join(fields), provenance=True)
    summary = df.attrs["read_summary"]
    assert summary["invalid"] == 0, summary["invalid_examples"]
    assert_line_invariant(summary, raw)
    assert len(df) == len(rows)
    assert df["_line"].tolist() == list(range(1 + header, len(rows) + 1 + header))
    columns = [column_name(f) for f in fields]
    assert [c for c in df.columns if c not in ("_file", "_line")] == \
        [c for c in map(column_name, CANONICAL_FIELDS) if c in columns]
    for i, r in enumerate(rows):
        for col, want in zip(columns, r, strict=True):
            got = df[col].iloc[i]
            if want is None:
                assert got is pd.NA, (col, got)
            else:
                assert got == want, (col, got, want)

    # the streaming form with a projection gives the same values
    table = __import__("pyarrow").Table.from_batches(
        list(scan_flows(path, fields=None if header else fields, columns=columns, provenance=False)))
    assert table.column_names == columns
    for col, values in zip(columns, zip(*rows, strict=True), strict=True):
        assert table.column(col).to_pylist() == list(values)
