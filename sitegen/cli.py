"""The command line: parse options, run a command, print problems, set the exit status."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .load import display_path
from .pipeline import BuildOptions, build


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="build.py",
        description="Build the bilingual life-sciences microsite from content/ into output/.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    build_parser = commands.add_parser("build", help="build content/ into output/ (the default)")
    for p in (parser, build_parser):
        p.add_argument("--content", type=Path, default=argparse.SUPPRESS, help="content folder (default: content/)")
        p.add_argument("--output", type=Path, default=argparse.SUPPRESS, help="output folder (default: output/)")
        p.add_argument("--base-url", default=argparse.SUPPRESS, help="absolute URL the site is published at")
        p.add_argument(
            "--drafts", action="store_true", default=argparse.SUPPRESS, help="include pages marked draft: true"
        )
    args = parser.parse_args(argv)
    try:
        return run_build(args)
    except KeyboardInterrupt:
        print("interrupted; output/ was left as it was", file=sys.stderr)
        return 130


def run_build(args: argparse.Namespace) -> int:
    defaults = BuildOptions()
    options = BuildOptions(
        content_dir=getattr(args, "content", defaults.content_dir),
        output_dir=getattr(args, "output", defaults.output_dir),
        base_url=getattr(args, "base_url", None),
        drafts=getattr(args, "drafts", False),
    )
    started = time.perf_counter()
    result = build(options)
    for problem in result.problems.warnings + result.problems.errors:
        print(problem, file=sys.stderr)
    errors = len(result.problems.errors)
    if errors:
        print(
            f"{errors} error(s); nothing was written, {display_path(options.output_dir)} is unchanged.",
            file=sys.stderr,
        )
        return 1
    counts = ", ".join(
        f"{lang}: {sum(1 for e in result.site.entities.values() if lang in e.versions)} pages"
        for lang in result.site.config.languages
    )
    print(
        f"Built {result.pages} HTML files ({counts}) into {display_path(options.output_dir)} "
        f"in {time.perf_counter() - started:.2f} s."
    )
    return 0
