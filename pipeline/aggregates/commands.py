"""The command line of the aggregates (pipeline/cli.py calls these): ``outcomes aggregates
export | merge`` and ``outcomes run --shards N`` (contract section 4; docs/aggregates.md)."""
from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Callable

from pipeline import contract

log = logging.getLogger("outcomes")


def add_shards_argument(run_parser: argparse.ArgumentParser, positive: Callable[[str], int]) -> None:
    run_parser.add_argument("--shards", type=positive, default=1,
                            help="run the network in N shards by clinic, each its own process and DuckDB file, "
                                 "then merge them (docs/aggregates.md; default 1: one warehouse)")


def add_aggregates_parser(sub, parser_class: type, positive: Callable[[str], int]) -> None:
    """``outcomes aggregates export | merge``."""
    wh = contract.DEFAULT_WAREHOUSE
    a = sub.add_parser("aggregates", help="a site's mergeable aggregates: export them, merge sites' at a hub")
    asub = a.add_subparsers(dest="aggregates_command", required=True, parser_class=parser_class)
    e = asub.add_parser("export", help="write this warehouse's aggregates file (unsuppressed, no row per episode)")
    e.add_argument("--warehouse", default=wh, help=f"DuckDB file, read only (default {wh})")
    e.add_argument("--out", required=True, help="the aggregates file to write (e.g. site-a.aggregates.zip)")
    e.add_argument("--site", default=None, help="the site's name (default: the warehouse file's name)")
    m = asub.add_parser("merge", help="merge sites' aggregates files into a hub's marts and reports")
    m.add_argument("files", nargs="+", metavar="FILE", help="aggregates files, one per site")
    m.add_argument("--warehouse", required=True, help="the hub's DuckDB file (created when new)")
    m.add_argument("--reports", default=None, help="write the hub's reports into this folder")
    m.add_argument("--suppression-min-n", type=positive, default=None, help="smallest published cell (default 11)")


def cmd_aggregates(args) -> int:
    from pipeline.aggregates import export, merge

    if args.aggregates_command == "export":
        manifest = export.export(Path(args.warehouse), Path(args.out), site_id=args.site)
        log.info("[aggregates] site %s: %d clinics, %d batches -> %s", manifest["site_id"], len(manifest["clinics"]),
                 len(manifest["batches"]), args.out)
        return 0
    settings = contract.Settings(**({"suppression_min_n": args.suppression_min_n} if args.suppression_min_n else {}))
    files = merge.merge([Path(f) for f in args.files], Path(args.warehouse),
                        Path(args.reports) if args.reports else None, settings)
    log.info("[aggregates] merged %s. %s.", ", ".join(f.site_id for f in files), merge.summary(Path(args.warehouse)))
    return 0


def run_shards(args, write_demo: Callable[[], None] | None = None, open_page: Callable[[Path], None] | None = None) -> int:
    """``outcomes run --shards N``: the shard job on the multiprocess executor (pipeline/aggregates/job.py);
    ``write_demo``: called first when the default inbox is empty; ``open_page``: for --open."""
    from pipeline.aggregates.job import ShardSettings, run_sharded
    from pipeline.aggregates.merge import summary

    inbox = Path(args.inbox)
    if write_demo is not None and args.inbox == contract.DEFAULT_INBOX and not (
            inbox.is_dir() and any(p.is_dir() for p in inbox.iterdir())):
        write_demo()
    knobs = {k: v for k, v in (("suppression_min_n", args.suppression_min_n),
                               ("episode_gap_days", args.episode_gap_days)) if v is not None}
    seconds, _ = run_sharded(ShardSettings(inbox=args.inbox, warehouse=args.warehouse, reports=args.reports,
                                           shards=args.shards, memory_limit=args.memory_limit, **knobs))
    log.info("Done in %.1f s (%d shards). %s.", seconds, args.shards, summary(Path(args.warehouse)))
    index = Path(args.reports) / "index.html"
    log.info("Reports: %s", index.resolve())
    if args.open and open_page is not None:
        open_page(index)
    return 0
