"""Inventory loading: formats, validation, time windows."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from flowgraph.exceptions import InventoryError
from flowgraph.resolve import load_inventory
from flowgraph.resolve.inventory import TIME_MAX, TIME_MIN


def test_csv_with_team_column_and_windows(tmp_path):
    p = tmp_path / "inv.csv"
    p.write_text("ip,service,team,account,valid_from,valid_to\n"
                 "10.0.0.1,web,shop,12345,,\n"
                 "10.0.0.2,api,shop,012345678901,2024-03-01T00:00:00Z,1709280000\n")
    inv = load_inventory(p)
    assert inv.services.loc["web", "domain"] == "shop"
    assert inv.services.loc["web", "account"] == "000000012345"  # zero-padded like an AWS account id
    e = inv.entries.set_index("service")
    assert e.loc["web", "valid_from"] == TIME_MIN and e.loc["web", "valid_to"] == TIME_MAX
    assert e.loc["api", "valid_from"] == 1709251200 and e.loc["api", "valid_to"] == 1709280000


def test_json_records_and_parquet(tmp_path):
    rows = [{"cidr": "10.1.0.0/16", "service": "legacy", "domain": "core"}]
    (tmp_path / "inv.json").write_text(json.dumps(rows))
    pd.DataFrame(rows).to_parquet(tmp_path / "inv.parquet")
    for name in ("inv.json", "inv.parquet"):
        inv = load_inventory(tmp_path / name)
        assert str(inv.entries.loc[0, "network"]) == "10.1.0.0/16" and inv.domains == ["core"]


def test_describe_network_interfaces_with_chosen_tags(tmp_path):
    data = {"NetworkInterfaces": [
        {"NetworkInterfaceId": "eni-1", "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.0.1"}, {"PrivateIpAddress": "10.0.0.9"}],
         "OwnerId": "111111111111", "TagSet": [{"Key": "app", "Value": "web"}, {"Key": "org", "Value": "shop"}]},
        {"NetworkInterfaceId": "eni-2", "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.0.2"}], "TagSet": []}]}
    p = tmp_path / "enis.json"
    p.write_text(json.dumps(data))
    inv = load_inventory(p, service_tag="app", domain_tag="org")
    assert len(inv.entries) == 2 and inv.services.loc["web", "domain"] == "shop"
    assert inv.enis["interface_id"].tolist() == ["eni-1"]
    assert any("eni-2" in p for p in inv.problems)


@pytest.mark.parametrize("content,message", [
    ("address,name\n10.0.0.1,web\n", "lacks the required column"),
    ("ip,service\nnot-an-ip,web\n", "no usable row"),
    ("ip,service,valid_from\n10.0.0.1,web,yesterday\n", "not a time"),
])
def test_bad_inventories_fail_with_one_sentence(tmp_path, content, message):
    p = tmp_path / "inv.csv"
    p.write_text(content)
    with pytest.raises(InventoryError, match=message) as exc:
        load_inventory(p)
    assert "\n" not in str(exc.value)


def test_missing_file_and_partial_problems(tmp_path):
    with pytest.raises(InventoryError, match="does not exist"):
        load_inventory(tmp_path / "nope.csv")
    p = tmp_path / "inv.csv"
    p.write_text("ip,service\n10.0.0.1,web\nbad,api\n10.0.0.3,\n")
    inv = load_inventory(p)
    assert len(inv.entries) == 1
    assert len(inv.problems) == 2
