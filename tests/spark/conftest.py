"""One SparkSession for the Spark tests, and a hand-built estate of awkward flow logs.

Spark tests are marked ``spark``; they are skipped only when no ``java`` is on PATH.
"""

from __future__ import annotations

import gzip
import json
import shutil
import warnings

import pytest

T0 = 1_709_251_200  # 2024-03-01T00:00:00Z

FIELDS = ("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end "
          "action log-status tcp-flags pkt-srcaddr pkt-dstaddr flow-direction pkt-src-aws-service pkt-dst-aws-service")

INVENTORY_CSV = """ip,service,domain,account,valid_from,valid_to
10.0.0.1,web,shop,123456789012,,
10.0.0.2,api,shop,123456789012,,
10.0.0.3,db,data,210987654321,,
10.0.0.4,cache,data,210987654321,,
10.0.5.0/24,batch,data,210987654321,,
10.0.0.7,old-api,shop,123456789012,,2024-03-01T12:00:00Z
10.0.0.7,new-api,shop,123456789012,2024-03-01T12:00:00Z,
"""

ENIS_JSON = {"NetworkInterfaces": [
    {"NetworkInterfaceId": "eni-s", "PrivateIpAddress": "10.0.0.2", "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.0.2"}],
     "OwnerId": "012345678901", "TagSet": [{"Key": "service", "Value": "api"}, {"Key": "team", "Value": "shop"}]},
    {"NetworkInterfaceId": "eni-c", "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.0.1"}],
     "OwnerId": "012345678901", "TagSet": [{"Key": "service", "Value": "web"}, {"Key": "team", "Value": "shop"}]},
    {"NetworkInterfaceId": "eni-d", "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.0.3"}],
     "TagSet": [{"Key": "service", "Value": "db"}, {"Key": "team", "Value": "data"}]},
]}

IP_RANGES = {"prefixes": [{"ip_prefix": "3.5.0.0/16", "service": "AMAZON"},
                          {"ip_prefix": "3.5.0.0/19", "service": "DYNAMODB"}]}


def rec(eni, src, dst, sport, dport, *, proto=6, packets=1, nbytes=100, start=T0, end=None, action="ACCEPT",
        status="OK", flags=None, pkt_src=None, pkt_dst=None, direction=None, src_svc=None, dst_svc=None):
    vals = [5, "123456789012", eni, src, dst, sport, dport, proto, packets, nbytes, start,
            (start + 30) if end is None else end, action, status, flags, pkt_src, pkt_dst, direction, src_svc, dst_svc]
    return " ".join("-" if v is None else str(v) for v in vals)


def connection(client, server, cport, sport, *, start=T0, flags=True, c_eni="eni-c", s_eni="eni-s", proto=6,
               req=(5, 500), resp=(4, 4000), lag=2):
    """The four records VPC flow logs write for one connection between two logged ENIs."""
    f_req, f_resp = (3, 19) if flags else (None, None)
    return [
        rec(c_eni, client, server, cport, sport, proto=proto, packets=req[0], nbytes=req[1], start=start, flags=f_req, direction="egress"),
        rec(c_eni, server, client, sport, cport, proto=proto, packets=resp[0], nbytes=resp[1], start=start, flags=f_resp, direction="ingress"),
        rec(s_eni, client, server, cport, sport, proto=proto, packets=req[0], nbytes=req[1], start=start + lag, flags=f_req, direction="ingress"),
        rec(s_eni, server, client, sport, cport, proto=proto, packets=resp[0], nbytes=resp[1], start=start + lag, flags=f_resp, direction="egress"),
    ]


def _file_a1():
    """Ordinary service traffic, direction by flags, ports and listening ports."""
    lines = []
    for i in range(6):
        lines += connection("10.0.0.1", "10.0.0.2", 41000 + i, 8080, start=T0 + 600 * i)
    lines += connection("10.0.0.2", "10.0.0.3", 42000, 5432, start=T0 + 7200)
    lines += connection("10.0.0.3", "10.0.0.4", 3000, 45000, start=T0 + 100)  # flags beat misleading ports
    # listening port: 10.0.0.2:8080 is a TCP server by handshake; this one has no flags and port 3001
    lines += connection("10.0.0.4", "10.0.0.2", 3001, 8080, start=T0 + 900, flags=False)
    # UDP DNS: direction by port
    lines += connection("10.0.0.1", "10.0.0.3", 51000, 53, proto=17, flags=False, s_eni="eni-d")
    # same 5-tuple after a long silence: two connections; and ties at one start second
    lines += connection("10.0.0.1", "10.0.0.2", 41999, 8080, start=T0 + 3 * 3600)
    lines += connection("10.0.0.1", "10.0.0.2", 41999, 8080, start=T0 + 5 * 3600)
    lines.append(rec("eni-c", "10.0.0.1", "10.0.0.2", 41999, 8080, start=T0 + 5 * 3600, end=T0 + 5 * 3600 + 59, flags=2))
    return lines


def _file_a2():
    """NAT, internet, unknown, AWS services, rejects, NODATA, ms timestamps, reuse, peers on one port."""
    lines = [
        rec("eni-nat", "10.0.9.9", "10.0.0.2", 41000, 8080, flags=3, pkt_src="10.0.0.1", pkt_dst="10.0.0.2"),
        rec("eni-nat", "10.0.0.2", "10.0.9.9", 8080, 41000, flags=19, pkt_src="10.0.0.2", pkt_dst="10.0.0.1"),
        rec("eni-s", "198.51.100.7", "10.0.0.2", 51000, 443, flags=2, direction="ingress"),
        rec("eni-s", "10.0.0.2", "198.51.100.7", 443, 51000, flags=18, direction="egress"),
        rec("eni-c", "10.0.0.1", "10.9.8.7", 41000, 5432, flags=3),
        rec("eni-c", "10.9.8.7", "10.0.0.1", 5432, 41000, flags=19),
        rec("eni-c", "10.0.0.1", "52.216.1.2", 41002, 443, flags=3, dst_svc="S3"),
        rec("eni-c", "52.216.1.2", "10.0.0.1", 443, 41002, flags=19, src_svc="S3"),
        rec("eni-c", "10.0.0.1", "3.5.1.1", 41003, 443, flags=3),
        rec("eni-c", "3.5.1.1", "10.0.0.1", 443, 41003, flags=19),
        rec("eni-x", None, None, None, None, proto=None, packets=None, nbytes=None, action=None, status="NODATA"),
        rec("eni-x", None, None, None, None, proto=None, packets=None, nbytes=None, action=None, status="SKIPDATA"),
        rec("eni-c", "10.0.0.1", "10.0.0.4", 41500, 6379, flags=3, start=T0 * 1000 + 500, end=T0 * 1000 + 30_000),
    ]
    lines += [rec("eni-s", "203.0.113.50", "10.0.0.2", 55555, p, action="REJECT", flags=2) for p in (22, 23, 3389)]
    # the same address for two services, and one connection spanning the change (MIN over two nodes)
    lines += connection("10.0.0.1", "10.0.0.7", 41100, 8080, start=T0 + 3600)
    lines += connection("10.0.0.1", "10.0.0.7", 41101, 8080, start=T0 + 13 * 3600)
    lines += [rec("eni-c", "10.0.0.1", "10.0.0.7", 41102, 8080, start=T0 + 12 * 3600 - 50 + 40 * i, flags=(2, 0, 1)[i])
              for i in range(3)]
    # peers on one port (NTP 123 <-> 123), both directions in the same second: the last tie-break
    lines += [rec("eni-c", "10.0.0.1", "10.0.0.4", 123, 123, proto=17, start=T0 + 400),
              rec("eni-c", "10.0.0.4", "10.0.0.1", 123, 123, proto=17, start=T0 + 400),
              rec("eni-c", "10.9.9.1", "198.51.100.9", 500, 500, proto=17, start=T0 + 500),
              rec("eni-c", "198.51.100.9", "10.9.9.1", 500, 500, proto=17, start=T0 + 500)]
    # a pod address only its ENI knows (ENI fallback with the describe-network-interfaces inventory),
    # logged at both ENIs: the two ends disagree on the client's node
    lines += connection("10.0.0.77", "10.0.0.2", 43000, 8080, start=T0 + 200)
    # a batch range (CIDR) talking to db on day 3 (outside --until)
    lines += connection("10.0.5.9", "10.0.0.3", 41000, 5432, start=T0 + 2 * 86400, s_eni="eni-d")
    return lines


GARBAGE = [
    "this is not a flow log line",
    "5 123456789012 eni-c 10.0.0.1 10.0.0.2 notaport 8080 6 1 100 1709251200 1709251230 ACCEPT OK 3 - - - - -",
    "5 123456789012 eni-c 10.0.0.1 10.0.0.2 41000 8080 6 1 100 1709251200",
    "",
    "5 123456789012 eni-c 10.0.0.1 10.0.0.2 41000 99999999999999999999 6 1 100 1709251200 1709251230 ACCEPT OK 3 - - - - -",
]


def write_estate(root):
    """Flow-log files in an awkward tree; returns (logs dir, inventory csv, enis json, ip-ranges json)."""
    logs = root / "logs"
    day = logs / "a" / "2024" / "03" / "01"
    day.mkdir(parents=True)
    (logs / "b").mkdir()
    header = FIELDS + "\n"
    with gzip.open(day / "f1.log.gz", "wt") as f:
        f.write(header + "\n".join(_file_a1()) + "\n")
    a2 = _file_a2()
    (day / "f2.log").write_text(header + "\n".join(a2[:20]) + "\n" + "\n".join(GARBAGE) + "\n" + header
                                + "\n".join(a2[20:]) + "\n")
    # a root-level file: the local reader walks it before the sub-directories (not path order)
    with gzip.open(logs / "z.log.gz", "wt") as f:
        f.write(header + "\n".join(connection("10.0.0.3", "10.0.0.4", 44000, 6379, start=T0 + 3000)) + "\n")
    # truncated gzip: records before the damage are kept and the file is reported
    data = gzip.compress((header + "\n".join(connection("10.0.0.2", "10.0.0.4", 44500, 6379, start=T0 + 4000) * 40)
                          + "\n").encode())
    (logs / "b" / "cut.log.gz").write_bytes(data[: len(data) * 2 // 3])
    (logs / "b" / "garbage.log").write_text(header + "\n".join(GARBAGE) + "\n")
    (logs / "b" / "empty.log").write_text("")
    (logs / "b" / "notes.md").write_text("not a flow log\n")
    (logs / "_SUCCESS").write_text("")
    (logs / ".hidden.log").write_text(header)
    inv = root / "inventory.csv"
    inv.write_text(INVENTORY_CSV)
    enis = root / "enis.json"
    enis.write_text(json.dumps(ENIS_JSON))
    ranges = root / "ip-ranges.json"
    ranges.write_text(json.dumps(IP_RANGES))
    return logs, inv, enis, ranges


@pytest.fixture(scope="session")
def garbage_text():
    """A header and nothing but invalid lines."""
    return FIELDS + "\n" + "\n".join(GARBAGE) + "\n"


@pytest.fixture(scope="session")
def handmade(tmp_path_factory):
    return write_estate(tmp_path_factory.mktemp("handmade"))


@pytest.fixture(scope="session")
def spark():
    """One local SparkSession for every Spark test (``make test`` installs a JRE when missing)."""
    if shutil.which("java") is None:
        pytest.fail("the Spark tests need a Java runtime: 'java' is not on PATH (run tests/setup_system.sh)")
    from flowgraph.spark import spark_session

    warnings.filterwarnings("ignore", message=".*pandas >= 3.0.0.*", category=FutureWarning)
    # Small inputs: favour start-up over peak speed (C1 JIT only, no whole-stage code generation,
    # no adaptive re-planning, two shuffle partitions).  The engine's results do not depend on these.
    session = spark_session("local[2]", app_name="flowgraph-tests", **{
        "spark.driver.memory": "1g",
        "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
        "spark.sql.codegen.wholeStage": "false",
        "spark.sql.adaptive.enabled": "false",
        "spark.sql.shuffle.partitions": "2",
    })
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
