"""AWS ECS fields (VPC flow logs v7) as capture-time identity (issue 12)."""

from __future__ import annotations

from flowgraph.graph.build import build_graph

FIELDS = ("version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action "
          "log-status flow-direction ecs-cluster-name ecs-service-name ecs-task-arn ecs-container-id")
T0 = 1_764_000_000
TASK = "arn:aws:ecs:us-east-1:123456789012:task/prod/0f3c2a"


def _rec(eni, src, dst, sport, dport, t, direction, service):
    svc = service or "-"
    task = TASK if service else "-"
    cont = "3f2a9b" if service else "-"
    return (f"7 {eni} {src} {dst} {sport} {dport} 6 10 1000 {t} {t + 59} ACCEPT OK {direction} "
            f"{'prod' if service else '-'} {svc} {task} {cont}")


def _write(tmp, lines):
    path = tmp / "ecs.log"
    path.write_text(FIELDS + "\n" + "\n".join(lines) + "\n")
    return path


def test_ecs_service_name_names_the_capturing_side(tmp_path):
    lines = []
    for i in range(20):
        t = T0 + 60 * i
        # the checkout task's ENI: egress to the inventory's db, ingress from the internet
        lines.append(_rec("eni-task1", "10.0.5.17", "10.0.9.9", 40000 + i, 5432, t, "egress", "checkout"))
        lines.append(_rec("eni-task1", "203.0.113.9", "10.0.5.17", 50000 + i, 8080, t, "ingress", "checkout"))
        # an EC2 instance without ECS fields: stays unknown without inventory
        lines.append(_rec("eni-ec2", "10.0.7.7", "10.0.9.9", 41000 + i, 5432, t, "egress", None))
        # the inventory's own entry wins over the record's ECS name
        lines.append(_rec("eni-task2", "10.0.5.30", "10.0.9.9", 42000 + i, 5432, t, "egress", "internet"))
    logs = _write(tmp_path, lines)
    inv = tmp_path / "inv.csv"
    inv.write_text("ip,service,domain\n10.0.9.9,db,data\n10.0.5.30,billing,pay\n")
    g = build_graph(logs, inv)
    edges = {(e.client, e.server, e.server_port): e.connections for e in g.edges.itertuples()}
    assert edges == {("checkout", "db", 5432): 20, ("internet", "checkout", 8080): 20,
                     ("unknown:10.0.7.0/24", "db", 5432): 20, ("billing", "db", 5432): 20}
    assert g.nodes.loc["checkout", "kind"] == "service"
    assert g.quality["identity_source"] == "inventory+capture"


def test_ecs_service_spelled_like_a_pseudo_node_keeps_its_own_node(tmp_path):
    lines = [_rec("eni-t", "10.0.5.17", "198.51.100.4", 40000 + i, 443, T0 + 60 * i, "egress", "internet")
             for i in range(10)]
    g = build_graph(_write(tmp_path, lines))
    edges = {(e.client, e.server): e.connections for e in g.edges.itertuples()}
    assert edges == {("service:internet", "internet"): 10}
    assert g.quality["identity_source"] == "capture"
