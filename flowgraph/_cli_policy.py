"""``flowgraph policy compile``, ``validate``, ``audit`` and ``diff`` (registered by :func:`register`)."""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["register"]


def _emit(args: argparse.Namespace, text: str) -> int:
    """Write ``text`` to ``--out`` (atomically) or to stdout; exit code 0."""
    from .policy.model import atomic_write

    if args.out:
        atomic_write(args.out, text)
    else:
        sys.stdout.write(text)
    return 0


def _compile(args: argparse.Namespace) -> int:
    from .policy.compile import FORMATS, compile_text
    from .policy.model import load_policy

    if args.to not in FORMATS:  # argparse choices already guard this; kept for direct calls
        from .exceptions import ConfigError
        raise ConfigError(f"unknown format {args.to!r}")
    text = compile_text(load_policy(args.policy), args.to, namespace=args.namespace)
    return _emit(args, text)


def _validate(args: argparse.Namespace) -> int:
    from .policy.model import load_policy
    from .policy.validate import validate_policy

    policy = load_policy(args.policy)
    res = validate_policy(policy, args.sources, args.inventory, since=args.since, until=args.until,
                          curve=not args.no_curve)
    text = json.dumps(res.to_dict(), indent=2, default=str) + "\n" if args.json else res.to_markdown()
    return _emit(args, text)


def _diff(args: argparse.Namespace) -> int:
    from .policy.diff import diff_markdown, diff_reports, load_report

    d = diff_reports(load_report(args.a), load_report(args.b))
    text = json.dumps(d, indent=2, default=str) + "\n" if args.json else diff_markdown(d)
    return _emit(args, text)


def _audit(args: argparse.Namespace) -> int:
    from .policy.audit import audit, audit_markdown, load_security_groups

    granted = load_security_groups(args.security_groups, args.network_interfaces)
    res = audit(granted, args.sources, args.inventory, unused_days=args.unused_days,
                since=args.since, until=args.until)
    text = json.dumps(res, indent=2, default=str) + "\n" if args.json else audit_markdown(res)
    return _emit(args, text)


def register(subparsers) -> None:
    """Add ``policy`` (with ``compile``), ``validate``, ``audit`` and ``diff`` to ``subparsers``."""
    from .policy.compile import FORMATS

    p = subparsers.add_parser("policy", help="compile a flowgraph policy to security groups or network policies")
    sub = p.add_subparsers(dest="policy_command", metavar="ACTION")
    c = sub.add_parser("compile", help="compile policy.json/yaml to CloudFormation, Terraform, Kubernetes, Cilium")
    c.add_argument("policy", metavar="POLICY")
    c.add_argument("--to", required=True, choices=FORMATS)
    c.add_argument("--out", metavar="PATH", help="output file (default: stdout)")
    c.add_argument("--namespace", default="default", help="Kubernetes namespace (kubernetes, cilium)")
    c.set_defaults(func=_compile)

    v = subparsers.add_parser("validate", help="replay held-out flows against a policy: what would it block?")
    v.add_argument("policy", metavar="POLICY")
    v.add_argument("sources", nargs="+", metavar="SOURCE")
    v.add_argument("--inventory", metavar="FILE")
    v.add_argument("--since")
    v.add_argument("--until")
    v.add_argument("--no-curve", action="store_true", help="skip the per-day learning curve")
    v.add_argument("--json", action="store_true")
    v.add_argument("--out", metavar="PATH")
    v.set_defaults(func=_validate)

    a = subparsers.add_parser("audit", help="granted vs used: unused, missing and over-broad security-group grants")
    a.add_argument("sources", nargs="+", metavar="SOURCE")
    a.add_argument("--security-groups", required=True, metavar="FILE",
                   help="aws ec2 describe-security-groups JSON")
    a.add_argument("--network-interfaces", required=True, metavar="FILE",
                   help="aws ec2 describe-network-interfaces JSON")
    a.add_argument("--inventory", metavar="FILE")
    a.add_argument("--unused-days", type=float, default=0.0,
                   help="a grant is unused when its last match is older than this many days before the end")
    a.add_argument("--since")
    a.add_argument("--until")
    a.add_argument("--json", action="store_true")
    a.add_argument("--out", metavar="PATH")
    a.set_defaults(func=_audit)

    d = subparsers.add_parser("diff", help="drift between two report.json files")
    d.add_argument("a", metavar="A")
    d.add_argument("b", metavar="B")
    d.add_argument("--json", action="store_true")
    d.add_argument("--out", metavar="PATH")
    d.set_defaults(func=_diff)
