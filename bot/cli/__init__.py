"""Command line: `kynangso run|serve|scheduler|ingest|chat|ask|eval|lessons check|db upgrade|stats` and admin tools.

Each module of this package registers the commands it owns (`register(sub)`, with a `handler(settings, args)`);
this file only builds the parser from them and calls the chosen handler.
"""

from __future__ import annotations

import argparse

from bot.cli import admin, content, evaluation, own_asks, rerank, runtime, stats
from bot.config import get_settings

COMMAND_MODULES = (runtime, content, evaluation, own_asks, rerank, stats, admin)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kynangso", description="Kỹ năng số — digital-skills tutor")
    sub = p.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    from bot.observability import setup_logging

    setup_logging(settings)
    return int(args.handler(settings, args))


if __name__ == "__main__":
    raise SystemExit(main())
