"""Synthetic AWS estates with known ground truth.

:func:`generate_estate` draws an estate -- business domains of uneven size,
services with server ports, instances with ENIs in shared subnets of several
accounts, shared platform services, internet-facing services, calls to AWS
services, unknown on-premises hosts, reused addresses and scanners -- plants
service-to-service call edges with a known cross-domain share ``mu`` (overall
or per domain), and logs every connection as VPC flow-log records the way
AWS does (four records per connection between two ENIs of the estate, two
per ENI, both directions).  :func:`write_estate` writes it as S3-delivered
``.log.gz`` files with the inventory, the ENI description and the truth;
:func:`write_sample` regenerates the bundled ``data/sample``.
:func:`write_clouds` replays an estate in every cloud's format (AWS VPC,
Transit Gateway, Azure VNet v4, GCP VPC Flow Logs; see
:mod:`flowgraph.synth.clouds`).

See ``docs/synthetic-estates.md`` for the model and every parameter.

Examples
--------
>>> from flowgraph.synth import generate_estate
>>> est = generate_estate(domains=3, services=12, shared_services=2, connections=200,
...                       hours=1, scanners=1, reused_addresses=1, seed=0)
>>> est.truth.shared_services
('dns', 'metrics')
>>> t = est.records()
>>> t.schema.field("dstport").type, t.schema.field("account_id").type
(DataType(int64), DataType(string))
>>> edges = est.expected_edges()
>>> ("checkout-api", "dns", 53, 17) in edges or ("checkout-api", "metrics", 9090, 6) in edges
True
>>> est.truth.edges.columns.tolist()
['client', 'server', 'server_port', 'protocol', 'connections', 'kind']

Command line::

    python -m flowgraph.synth OUT_DIR [--sample] [--seed N] [--services N] ...
"""

from .clouds import (
    TGW_FORMAT,
    azure_blobs,
    gcp_entries,
    tgw_records,
    write_azure,
    write_clouds,
    write_gcp,
    write_tgw,
)
from .estate import (
    AWS_SERVICE_RANGES,
    AZ_IDS,
    COMPONENTS,
    DOMAIN_NAMES,
    EPHEMERAL_PORTS,
    INTERNET_RANGES,
    INTERVAL,
    LOG_FORMAT,
    PLATFORM_DOMAIN,
    REGION,
    SCANNER_RANGES,
    SHARED_CATALOGUE,
    UNKNOWN_RANGE,
    Estate,
    Truth,
    generate_estate,
)
from .write import FILE_WINDOW, SAMPLE_PARAMS, sample_estate, write_estate, write_sample

__all__ = [
    "generate_estate",
    "write_estate",
    "write_sample",
    "sample_estate",
    "write_clouds",
    "write_tgw",
    "write_azure",
    "write_gcp",
    "tgw_records",
    "azure_blobs",
    "gcp_entries",
    "TGW_FORMAT",
    "Estate",
    "Truth",
    "SAMPLE_PARAMS",
    "LOG_FORMAT",
    "REGION",
    "AZ_IDS",
    "INTERVAL",
    "FILE_WINDOW",
    "EPHEMERAL_PORTS",
    "DOMAIN_NAMES",
    "PLATFORM_DOMAIN",
    "SHARED_CATALOGUE",
    "COMPONENTS",
    "AWS_SERVICE_RANGES",
    "INTERNET_RANGES",
    "SCANNER_RANGES",
    "UNKNOWN_RANGE",
]
