"""`python -m tools.devcluster up|down|status|env|image|fake-nodes`: the local cluster."""

from __future__ import annotations

import argparse
import json
import sys

from tools.devcluster import cluster, layout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.devcluster", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="build what is missing, start the cluster, wait for Ready")
    up.add_argument("--fresh", action="store_true", help="wipe cluster state first")
    up.add_argument(
        "--fake-nodes", type=_count, default=None, metavar="N",
        help="also N KWOK nodes (tainted NoSchedule, labelled type=kwok), Ready",
    )  # fmt: skip
    down = sub.add_parser("down", help="stop what up started, remove its network and mounts")
    down.add_argument("--purge", action="store_true", help="also wipe state (etcd, pki)")
    sub.add_parser("status", help="components and node readiness")
    sub.add_parser("env", help="print shell exports for the test kubeconfigs")
    sub.add_parser(
        "image",
        help="build this tree's worker image into the running cluster and print its name "
        "(the cluster's default image is left as it is)",
    )
    fake = sub.add_parser(
        "fake-nodes", help="have exactly N KWOK nodes on the running cluster (0: none, KWOK off)"
    )
    fake.add_argument("count", type=_count, metavar="N")
    args = parser.parse_args(argv)
    lay = layout.Layout.default()
    if args.command == "up":
        try:
            figures = cluster.up(lay, fresh=args.fresh, fake_nodes=args.fake_nodes)
        except Exception as err:
            print(f"devcluster up failed: {err}", file=sys.stderr)
            return 1
        print(json.dumps({"ready": True, "timings_s": figures}, indent=2))
    elif args.command == "down":
        cluster.down(lay, purge=args.purge)
    elif args.command == "status":
        report = cluster.status(lay)
        print(json.dumps(report, indent=2))
        return 0 if report.get("node_ready") is True else 3
    elif args.command == "image":
        try:
            print(cluster.add_worker_image(lay))
        except Exception as err:
            print(f"devcluster image failed: {err}", file=sys.stderr)
            return 1
    elif args.command == "fake-nodes":
        try:
            figures = cluster.fake_nodes(lay, args.count)
        except Exception as err:
            print(f"devcluster fake-nodes failed: {err}", file=sys.stderr)
            return 1
        print(json.dumps({"fake_nodes": args.count, "timings_s": figures}, indent=2))
    elif args.command == "env":
        state = json.loads(lay.cluster_file.read_text())
        print(f"export KUBECONFIG={state['admin_kubeconfig']}")
    return 0


def _count(text: str) -> int:
    """A node count: a whole number, 0 or more (argparse turns the error into one line)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of nodes") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} nodes: give 0 or more")
    return value


if __name__ == "__main__":
    sys.exit(main())
