"""Command line: ``python -m flowgraph.synth OUT_DIR [--sample] [--seed N] ...``.

``--sample`` writes the bundled sample (``SAMPLE_PARAMS`` plus README.md);
otherwise the options map one-to-one to :func:`flowgraph.synth.generate_estate`
arguments (all but the two range pairs) and unspecified ones keep their defaults.
"""

from __future__ import annotations

import argparse
import sys
import time

from ..exceptions import FlowgraphError
from .estate import generate_estate
from .write import write_estate, write_sample

_OPTIONS: tuple[tuple[str, type, str], ...] = (
    ("domains", int, "number of business domains"),
    ("services", int, "number of services, shared services included"),
    ("mu", float, "share of business calls that cross domains"),
    ("shared_services", int, "number of shared platform services"),
    ("shared_reach", float, "mean share of services calling each shared service"),
    ("internet_edge_services", int, "services reached from the internet"),
    ("aws_service_share", float, "share of services calling S3/DynamoDB"),
    ("accounts", int, "number of AWS accounts"),
    ("connections", int, "total accepted connections"),
    ("long_share", float, "share of TCP connections spanning several intervals"),
    ("hours", float, "length of the period in hours"),
    ("start", str, "start of the period, ISO-8601 UTC"),
    ("reused_addresses", int, "addresses that change owner part-way"),
    ("unknown_addresses", int, "on-premises hosts missing from the inventory"),
    ("scanners", int, "internet scanners producing REJECT records"),
    ("nodata_share", float, "share of ENIs logging NODATA for idle minutes"),
    ("skipdata", int, "number of SKIPDATA records"),
    ("seed", int, "random seed"),
)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    ap = argparse.ArgumentParser(
        prog="python -m flowgraph.synth",
        description="Write a synthetic AWS estate (flow logs, inventory, ENIs, ground truth).")
    ap.add_argument("out_dir", help="output directory")
    ap.add_argument("--sample", action="store_true",
                    help="write the bundled sample (SAMPLE_PARAMS and README.md); no other estate option")
    ap.add_argument("--overwrite", action="store_true", help="replace an estate already in OUT_DIR")
    ap.add_argument("--domain-mu", action="append", default=[], metavar="DOMAIN=MU",
                    help="per-domain mu, repeatable (e.g. --domain-mu payments=0.05)")
    for name, typ, text in _OPTIONS:
        ap.add_argument("--" + name.replace("_", "-"), type=typ, default=None, help=text)
    args = ap.parse_args(argv)

    given = {name: getattr(args, name) for name, _t, _h in _OPTIONS if getattr(args, name) is not None}
    domain_mu = {}
    for item in args.domain_mu:
        key, sep, val = item.partition("=")
        if not sep:
            ap.error(f"--domain-mu expects DOMAIN=MU, got {item!r}")
        try:
            domain_mu[key] = float(val)
        except ValueError:
            ap.error(f"--domain-mu expects a number after '=', got {item!r}")
    if domain_mu:
        given["domain_mu"] = domain_mu
    t = time.perf_counter()
    try:
        if args.sample:
            if given:
                ap.error("--sample writes SAMPLE_PARAMS exactly; drop the other estate options")
            info = write_sample(args.out_dir, overwrite=args.overwrite)
        else:
            info = write_estate(generate_estate(**given), args.out_dir, overwrite=args.overwrite)
    except (FlowgraphError, FileExistsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {info['records']:,} records in {info['files']:,} files "
          f"({info['log_bytes']:,} bytes) to {args.out_dir} in {time.perf_counter() - t:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
