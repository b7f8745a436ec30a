"""Options declared once: flags, config keys, AnalysisConfig fields, Spark entry and docs agree (#14)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
from pathlib import Path

import pytest

from flowgraph._cli_analyze import config_from
from flowgraph._options import OPTIONS, AnalysisConfig, markdown_table, read_config
from flowgraph.cli import build_parser, main
from flowgraph.spark import submit

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"
CLI_ONLY = {"config", "quiet", "json", "help"}


def _dests(parser: argparse.ArgumentParser) -> set[str]:
    return {a.dest for a in parser._actions} - CLI_ONLY


def _analyze_parser() -> argparse.ArgumentParser:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices["analyze"]


def test_flags_config_keys_fields_and_spark_entry_are_one_set(tmp_path: Path) -> None:
    fields = {f.name for f in dataclasses.fields(AnalysisConfig)}
    assert set(OPTIONS) == fields
    assert _dests(_analyze_parser()) == fields
    spark = _dests(submit.parser()) - {"report"}
    assert spark == fields - set(submit.SPARK_EXCLUDE) == fields - {"engine"}
    # every flag is --name-with-dashes, every name is a config key
    flags = {s for a in _analyze_parser()._actions for s in a.option_strings}
    for name in fields - {"sources"}:
        assert "--" + name.replace("_", "-") in flags
    cfg = tmp_path / "all.yaml"
    cfg.write_text(json.dumps({name: OPTIONS[name].default for name in fields}))
    values, notes = read_config(cfg)
    assert set(values) == fields and notes == []
    # defaults of the dataclass are the declared defaults
    assert AnalysisConfig().to_dict() == {n: s.default for n, s in OPTIONS.items()}


def test_docs_table_lists_exactly_the_options_with_their_defaults() -> None:
    doc = (REPO / "docs" / "configuration.md").read_text()
    block = doc[doc.index("<!-- options-table:begin -->"):doc.index("<!-- options-table:end -->")]
    assert markdown_table().strip() in block  # regenerate with: python -m flowgraph._options
    rows = re.findall(r"^\| `(\w+)` \| [^|]+ \| [^|]+ \| ([^|]+) \|", block, flags=re.M)
    assert [name for name, _ in rows] == list(OPTIONS)
    for name, default in rows:
        assert default.strip().strip("`") == OPTIONS[name].describe_default(), name
    assert OPTIONS["seeds"].describe_default() == "20" and OPTIONS["out"].describe_default() == "reports/flowgraph"


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["analyze", *argv])


def test_config_file_then_flags(tmp_path: Path) -> None:
    cfg = tmp_path / "fg.yaml"
    cfg.write_text("sources: [a.log]\nseeds: 7\nrewirings: 3\nshared-services: dns, ntp\n"
                   "inventory: enis.json\ntag_keys: [app, team]\nthresholds:\n  mu_feasible: 0.1\n  min_services: 4\n")
    c = config_from(_args("--config", str(cfg), "--seeds", "9", "--thresholds", "mu_feasible=0.15"))
    assert (c.sources, c.seeds, c.rewirings, c.shared_services, c.tag_keys) == \
        (["a.log"], 9, 3, ["dns", "ntp"], ["app", "team"])
    c.out = str(tmp_path / "o")
    c.validate()  # "0.15" from the flag is typed like the threshold's default
    assert c.thresholds == {"mu_feasible": 0.15, "min_services": 4}
    t = c.build_thresholds()
    assert (t.mu_feasible, t.min_services, t.mu_exceptions) == (0.15, 4, 0.35)
    # positional sources replace the file's
    assert config_from(_args("b.log", "--config", str(cfg))).sources == ["b.log"]


def test_deprecated_keys_are_read_with_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "old.yaml"
    cfg.write_text("n_seeds: 5\nn_null: 2\n")
    c = config_from(_args("x.log", "--config", str(cfg)))
    assert (c.seeds, c.rewirings) == (5, 2)
    err = capsys.readouterr().err
    assert "key n_seeds is deprecated, use seeds" in err and "key n_null is deprecated, use rewirings" in err


BAD_CONFIG = [
    ("seeds: five\n", "seeds must be an integer between 1 and 10000, not 'five'"),
    ("n_seeds: -3\n", "seeds must be an integer between 1 and 10000, not -3"),
    ("rewirings: '4'\n", "rewirings must be an integer between 0 and 100000, not '4'"),
    ("shared_services: 5\n", "shared_services must be a list of names"),
    ("session_gap: soon\n", "session_gap must be an integer between 1 and 86400, not 'soon'"),
    ("sources: {a: 1}\n", "sources must be a non-empty list"),
    ("out: [a, b]\n", "out must be a path, not ['a', 'b']"),
    ("internet: everywhere\n", "internet must be one of single, /16, not 'everywhere'"),
    ("detect_shared: maybe\n", "detect_shared must be true or false, not 'maybe'"),
    ("thresholds: {mu_feasable: 0.1}\n", "thresholds has no threshold 'mu_feasable'"),
    ("thresholds: {mu_feasible: high}\n", "threshold mu_feasible must be a number, not 'high'"),
    ("thresholds: {mu_feasible: 0.6}\n", "thresholds must satisfy 0 ≤ mu_feasible ≤ mu_exceptions"),
    ("tag_keys: [a, b, c]\n", "tag_keys names the service tag and at most one domain tag"),
    ("tag_keys: app\n", "tag_keys choose tags of a describe-network-interfaces inventory"),
    ("no_such_option: 1\n", "has an unknown option 'no_such_option'"),
    ("- seeds\n", "must hold a mapping of option: value, not list"),
    ("seeds: [\n", "could not be parsed"),
    ("[" * 5000 + "\n", "is nested too deeply to be a config file"),
]


@pytest.mark.parametrize(("text", "message"), BAD_CONFIG, ids=[m[:40] for _, m in BAD_CONFIG])
def test_bad_config_value_is_one_sentence_exit_3_before_reading(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                text: str, message: str) -> None:
    cfg = tmp_path / "fg.yaml"
    cfg.write_text(text)
    # flags would win over the file's sources / out: give them only when the file does not
    source = [] if text.startswith("sources") else [str(tmp_path / "no-such-logs")]
    out = [] if text.startswith("out") else ["--out", str(tmp_path / "o")]
    code = main(["analyze", *source, "--config", str(cfg), *out])
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip() and "warning" not in ln]
    assert code == 3, err
    assert len(lines) == 1 and lines[0].startswith("flowgraph: error: ") and message in lines[0], err
    assert "no-such-logs" not in err


def test_unknown_key_names_the_key_and_the_file_json_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "fg.json"
    cfg.write_text('{"seeds": 3, "colour": "blue"}')
    assert main(["analyze", "x", "--config", str(cfg)]) == 3
    err = capsys.readouterr().err
    assert str(cfg) in err and "'colour'" in err


def test_no_source_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", "--out", str(tmp_path)]) == 2
    assert "SOURCE" in capsys.readouterr().err


def test_spark_entry_refuses_assessment_options_without_report_before_spark_starts(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert submit.main(["logs", "--seeds", "4", "--out", str(tmp_path)]) == 3
    assert "--seeds only take effect with --report" in capsys.readouterr().err
    assert submit.main(["logs", "--seeds", "0", "--report", "--out", str(tmp_path)]) == 3
    assert "seeds must be an integer" in capsys.readouterr().err
    c = submit.config(submit.parser().parse_args(["logs", "--report", "--seeds", "4", "--master", "local[1]"]))
    assert (c.engine, c.seeds, c.spark_master, c.out) == ("spark", 4, "local[1]", "reports/flowgraph-spark")
