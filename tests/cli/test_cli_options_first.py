"""Bad options are refused in one sentence, exit 3, before any input is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowgraph.cli import main

CASES = [
    (["--seeds", "0"], "seeds must be an integer between 1 and 10000, not 0"),
    (["--rewirings", "-1"], "rewirings must be an integer between 0 and 100000, not -1"),
    (["--seed", str(2**70)], "seed must be an integer between 0 and 4294967295"),
    (["--resolution", "inf"], "resolution must be a number above 0 and at most 1024, not inf"),
    (["--resolution", "0"], "resolution must be a number above 0"),
    (["--since", "2999-01-01"], "since '2999-01-01' is not a time flow logs can have"),
    (["--since", "soon"], "since 'soon' is not a time flow logs can have"),
    (["--since", "2024-03-02", "--until", "2024-03-01"], "since (2024-03-02) must be before until (2024-03-01)"),
    (["--baseline", "/no/such/report.json"], "baseline /no/such/report.json: cannot read the report"),
    (["--baseline", __file__], "test_cli_options_first.py: not valid JSON"),
]


@pytest.mark.parametrize(("args", "message"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_bad_option_is_one_sentence_before_reading(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   args: list[str], message: str) -> None:
    # the source does not exist: were it read first, the error would be about the source
    # (the installed console script runs this same main(); test_cli_analyze drives it as a process)
    code = main(["analyze", str(tmp_path / "no-such-logs"), "--out", str(tmp_path / "out"), *args])
    err = capsys.readouterr().err
    assert code == 3, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("flowgraph: error: "), err
    assert message in lines[0]
    assert "no-such-logs" not in lines[0]


def test_out_must_be_a_creatable_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    for out, message in [(blocker, "exists and is not a directory"),
                         (blocker / "sub", "cannot be created")]:
        code = main(["analyze", str(tmp_path / "none"), "--out", str(out)])
        err = capsys.readouterr().err
        assert code == 3 and message in err and "Traceback" not in err
