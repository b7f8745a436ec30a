"""``--tag-keys``: services named from chosen AWS tags of a describe-network-interfaces inventory, end to end."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"
FAST = ["--seeds", "3", "--rewirings", "4", "--quiet"]


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "flowgraph.cli", *args], capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=600)


def enis_from_inventory(path: Path, service_key: str, domain_key: str) -> dict:
    """The sample inventory as ``aws ec2 describe-network-interfaces`` prints it, one ENI per address.

    Every interface also carries a decoy ``service`` tag (the default key) with another value,
    so a run that ignored ``--tag-keys`` would name different services.
    """
    enis = []
    with path.open() as f:
        for i, row in enumerate(csv.DictReader(f)):
            if "/" in row["ip"] or row["valid_to"] or row["valid_from"]:
                continue
            enis.append({"NetworkInterfaceId": f"eni-{i:017x}", "OwnerId": row["account"],
                         "PrivateIpAddress": row["ip"],
                         "PrivateIpAddresses": [{"PrivateIpAddress": row["ip"], "Primary": True}],
                         "TagSet": [{"Key": "service", "Value": "decoy"},
                                    {"Key": service_key, "Value": row["service"]},
                                    {"Key": domain_key, "Value": row["domain"]}]})
    return {"NetworkInterfaces": enis}


def test_tag_keys_name_services_and_domains_from_the_chosen_tags(tmp_path: Path) -> None:
    enis = tmp_path / "enis.json"
    data = enis_from_inventory(SAMPLE / "inventory.csv", "app", "unit")
    enis.write_text(json.dumps(data))
    out = tmp_path / "r"
    proc = run("analyze", str(SAMPLE / "logs"), "--inventory", str(enis), "--tag-keys", "app,unit",
               "--out", str(out), *FAST)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "report.json").read_text())
    services = {r["service"]: r for r in csv.DictReader((out / "services.csv").open())}
    expected = {e["TagSet"][1]["Value"] for e in data["NetworkInterfaces"]}
    assert "decoy" not in services and len(expected) > 50
    assert set(services) & expected == {s for s in services if not s.startswith(("unknown", "internet", "aws:"))}
    assert report["declared_domains"]["domains"] == 13  # the sample's 13 domains, read from the `unit` tag
    assert report["inputs"]["config"]["tag_keys"] == ["app", "unit"]

    # without --tag-keys the default key `service` wins: every interface is the one service "decoy"
    proc = run("analyze", str(SAMPLE / "logs"), "--inventory", str(enis), "--out", str(tmp_path / "d"), *FAST)
    assert proc.returncode == 0, proc.stderr
    names = {r["service"] for r in csv.DictReader((tmp_path / "d" / "services.csv").open())}
    assert "decoy" in names and not names & expected
    one = json.loads((tmp_path / "d" / "report.json").read_text())
    assert one["enforcement"]["rule_counts"] == {}  # one service, no zones: nothing to compile


def test_tag_keys_that_no_interface_has_and_tag_keys_on_a_csv_exit_3(tmp_path: Path) -> None:
    enis = tmp_path / "enis.json"
    enis.write_text(json.dumps(enis_from_inventory(SAMPLE / "inventory.csv", "app", "unit")))
    proc = run("analyze", str(SAMPLE / "logs"), "--inventory", str(enis), "--tag-keys", "owner",
               "--out", str(tmp_path / "r"))
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 3 and len(lines) == 1 and "looked for owner" in lines[0], proc.stderr
    proc = run("analyze", str(SAMPLE / "logs"), "--inventory", str(SAMPLE / "inventory.csv"), "--tag-keys", "app",
               "--out", str(tmp_path / "r"))
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 3 and len(lines) == 1 and "is not one" in lines[0], proc.stderr
