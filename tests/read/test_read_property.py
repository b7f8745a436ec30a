"""Property tests: any record set in any field order round-trips through the reader."""

from __future__ import annotations

import gzip
import itertools

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from readtest_helpers import assert_line_invariant

from flowgraph.read import read_flows, scan_flows, summarize_flows
from flowgraph.read.fields import CANONICAL_FIELDS, FIELD_MAX, INTEGER_FIELDS, column_name
from flowgraph.read.streams import BOM
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


# -- fuzzing: the mutation classes of issue 12, thousands of lines per example -------------------

_V5_FIELDS = ("version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol",
              "packets", "bytes", "start", "end", "action", "log-status", "vpc-id", "subnet-id", "tcp-flags",
              "type", "pkt-srcaddr", "pkt-dstaddr", "region", "flow-direction", "traffic-path")
_INT_POS = {name: [i for i, f in enumerate(fields) if f in INTEGER_FIELDS]
            for name, fields in (("v2", CANONICAL_FIELDS[:14]), ("v5", _V5_FIELDS))}
_STR_POS = {name: [i for i, f in enumerate(fields) if f not in INTEGER_FIELDS and f != "log-status"]
            for name, fields in (("v2", CANONICAL_FIELDS[:14]), ("v5", _V5_FIELDS))}
FUZZ_CLASSES = ("valid", "long_int", "mib_line", "non_utf8", "bom", "header_same", "header_other",
                "hex_int", "plus_int", "minus_zero", "extra_tokens", "blank", "short")
# what each class must become: a record, an invalid line (with this reason), a header or a blank line
_FUZZ_OUTCOME = {"valid": "record", "bom": "record", "extra_tokens": "record", "header_same": "header",
                 "blank": "blank", "long_int": "out_of_range", "mib_line": "line_too_long",
                 "non_utf8": "bad_bytes", "header_other": "mid_file_header", "hex_int": "non_numeric",
                 "plus_int": "non_numeric", "minus_zero": "non_numeric", "short": "token_count"}
FUZZ_TOTALS: dict[str, int] = dict.fromkeys(FUZZ_CLASSES, 0)


def _fuzz_record(rng, fmt: str, t0: int) -> list[bytes]:
    start = t0 + rng.randrange(86_400)
    v2 = [b"2", b"123456789010", b"eni-%x" % rng.randrange(1 << 32), b"10.0.%d.%d" % (rng.randrange(256), rng.randrange(256)),
          b"172.31.%d.%d" % (rng.randrange(256), rng.randrange(256)), b"%d" % rng.randrange(65536),
          b"%d" % rng.randrange(65536), rng.choice([b"6", b"17", b"1"]), b"%d" % rng.randrange(1, 10**6),
          b"%d" % rng.randrange(40, 10**9), b"%d" % start, b"%d" % (start + rng.randrange(60, 600)),
          rng.choice([b"ACCEPT", b"REJECT"]), b"OK"]
    if fmt == "v2":
        return v2
    v2[0] = b"5"
    return v2 + [b"vpc-%x" % rng.randrange(1 << 32), b"subnet-%x" % rng.randrange(1 << 32), b"%d" % rng.randrange(64),
                 b"IPv4", b"-", b"-", b"us-east-1", rng.choice([b"ingress", b"egress"]), b"%d" % rng.randrange(1, 9)]


def _mutate(rng, kind: str, fmt: str, tokens: list[bytes], header: bytes) -> bytes:
    ints, strs = _INT_POS[fmt], _STR_POS[fmt]
    if kind == "long_int":
        tokens[rng.choice(ints)] = b"9" * rng.choice([20, 25, 300, 4301, 6000])
    elif kind == "mib_line":
        tokens[rng.choice(strs)] = b"x" * ((1 << 20) + rng.randrange(4096))
    elif kind == "non_utf8":
        pos = rng.choice(strs)
        tokens[pos] = tokens[pos][:3] + bytes([rng.choice([0x80, 0xC3, 0xFF, 0xFE, 0xED])]) + tokens[pos][3:]
    elif kind == "bom":
        tokens[0] = BOM + tokens[0]
    elif kind == "header_same":
        return header
    elif kind == "header_other":
        return header.replace(b"srcaddr dstaddr", b"dstaddr srcaddr")
    elif kind == "hex_int":
        tokens[rng.choice(ints)] = rng.choice([b"0x1f", b"0X10", b"1e3", b"0b1"])
    elif kind == "plus_int":
        tokens[rng.choice(ints)] = b"+5"
    elif kind == "minus_zero":
        tokens[rng.choice(ints)] = rng.choice([b"-0", b"-5", b"-00"])
    elif kind == "extra_tokens":
        tokens = tokens + [b"extra", b"data"][: rng.randrange(1, 3)]
    elif kind == "blank":
        return rng.choice([b"", b"   ", b"\t"])
    elif kind == "short":
        tokens = tokens[: rng.randrange(1, len(tokens) - 1)]
    return b" ".join(tokens)


FUZZ_LINES = 2_500


@settings(max_examples=45, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), fmt=st.sampled_from(["v2", "v5"]), gz=st.booleans(), crlf=st.booleans(),
       weights=st.lists(st.integers(0, 5), min_size=len(FUZZ_CLASSES), max_size=len(FUZZ_CLASSES)))
def _fuzz_one(tmp_path_factory, seed, fmt, gz, crlf, weights):
    import random

    rng = random.Random(seed)
    weights = [w + (20 if c == "valid" else 0) for c, w in zip(FUZZ_CLASSES, weights, strict=True)]
    fields = CANONICAL_FIELDS[:14] if fmt == "v2" else _V5_FIELDS
    header = " ".join(fields).encode()
    kinds = rng.choices(FUZZ_CLASSES, weights=weights, k=FUZZ_LINES)
    mib = [i for i, k in enumerate(kinds) if k == "mib_line"]
    for i in mib[2:]:  # at most two ~1 MiB lines per file
        kinds[i] = "valid"
    lines = [BOM + header if rng.random() < 0.5 else header]  # a BOM before the header is parsed too
    lines += [_mutate(rng, k, fmt, _fuzz_record(rng, fmt, 1_700_000_000), header) for k in kinds]
    end = b"\r\n" if crlf else b"\n"
    raw = end.join(lines) + end
    path = tmp_path_factory.mktemp("fuzz") / ("flows.log.gz" if gz else "flows.log")
    path.write_bytes(gzip.compress(raw, compresslevel=1) if gz else raw)

    s = summarize_flows(path).to_dict()  # never an exception
    # the invariant: every line in is a record, an invalid line, a header or a blank line
    assert s["records"] + s["invalid"] + s["header_lines"] + s["blank_lines"] == len(lines)
    want: dict[str, int] = {}
    for k in kinds:
        want[_FUZZ_OUTCOME[k]] = want.get(_FUZZ_OUTCOME[k], 0) + 1
    assert s["records"] == want.pop("record", 0)
    assert s["header_lines"] == 1 + want.pop("header", 0)
    assert s["blank_lines"] == want.pop("blank", 0)
    assert s["invalid_by_reason"] == want, s["invalid_examples"]
    assert s["records_with_extra_tokens"] == kinds.count("extra_tokens")
    for k in kinds:
        FUZZ_TOTALS[k] += 1


def test_fuzzed_lines_are_all_accounted_for(tmp_path_factory, capsys):
    """Mutated v2/v5 lines (issue 12's classes): records in = valid + invalid (+ headers, blanks), no exception."""
    before = sum(FUZZ_TOTALS.values())
    _fuzz_one(tmp_path_factory)
    total = sum(FUZZ_TOTALS.values()) - before
    with capsys.disabled():
        print(f"\nfuzz: {total:,} lines, {len([c for c in FUZZ_TOTALS if FUZZ_TOTALS[c]])} classes: "
              + ", ".join(f"{c} {n:,}" for c, n in FUZZ_TOTALS.items()))
    assert total >= 100_000
    assert all(FUZZ_TOTALS[c] > 0 for c in FUZZ_CLASSES)
