"""The command line: parse options, run a command, print problems, set the exit status."""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path

from . import scaffold, translations
from .errors import Problems
from .load import TRANSLATION_RECORD, display_path, load_config
from .parallel import default_jobs
from .pipeline import BuildOptions, build, load_content, pack

# What a build keeps for the next one, beside the content folder (store.py).
CACHE_DIR = ".sitegen-cache"


def add_build_options(parser: argparse.ArgumentParser, output: bool = True) -> None:
    """The options of every command that builds the site (unset ones keep BuildOptions' defaults)."""
    parser.add_argument("--content", type=Path, default=argparse.SUPPRESS, help="content folder (default: content/)")
    if output:
        parser.add_argument("--output", type=Path, default=argparse.SUPPRESS, help="output folder (default: output/)")
    parser.add_argument("--base-url", default=argparse.SUPPRESS, help="absolute URL the site is published at")
    parser.add_argument(
        "--drafts", action="store_true", default=argparse.SUPPRESS, help="include pages marked draft: true"
    )
    parser.add_argument(
        "--strict", action="store_true", default=argparse.SUPPRESS, help="treat warnings as errors (for CI)"
    )
    parser.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=argparse.SUPPRESS,
        help=f"processes that convert and render pages (default: all {default_jobs()} cores)",
    )
    if output:
        parser.add_argument(
            "--no-cache",
            action="store_true",
            default=argparse.SUPPRESS,
            help="build everything afresh, without reading or writing .sitegen-cache/ beside the content folder",
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="build.py",
        description="Build the bilingual life-sciences microsite from content/ into output/.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    build_parser = commands.add_parser("build", help="build content/ into output/ (the default)")
    add_build_options(parser)
    add_build_options(build_parser)
    pack_parser = commands.add_parser(
        "pack",
        help="write a zip of the site for reading offline, from disk",
        description="Build the site with every link naming its index.html, so that it works when unzipped "
        "and opened from disk, and write it as a zip with a short note on how to open it.",
    )
    add_build_options(pack_parser, output=False)
    pack_parser.add_argument("--zip", type=Path, default=None, help="the zip to write (default: <site-title>.zip)")
    serve_parser = commands.add_parser(
        "serve",
        help="live preview: build, serve on 127.0.0.1:8000, rebuild and reload the browser on every change",
        description="Build the site with drafts into memory and serve it. Every saved change under content/, "
        "templates/, locales/ or assets/ rebuilds what depends on it and reloads the open pages. A change "
        "with errors shows them on every page and in this terminal, and the last good site stays served. "
        "output/ is not touched.",
    )
    serve_parser.add_argument("--content", type=Path, default=argparse.SUPPRESS, help="content folder")
    serve_parser.add_argument("--base-url", default=argparse.SUPPRESS, help="absolute URL the site is published at")
    serve_parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve_parser.add_argument("--port", type=int, default=8000, help="port to listen on; 0 picks a free one")
    check_parser = commands.add_parser(
        "check",
        help="check the built site: links, anchors, alternates, titles, descriptions, alt texts",
        description="Parse every page of the built site and report links that lead nowhere, missing "
        "#anchors, alternates that do not link back, and pages without lang, title, one h1 or description, "
        "or pictures without alt text. Exit status 1 on any finding.",
    )
    check_parser.add_argument("--output", type=Path, default=BuildOptions.output_dir, help="the built site")
    new_parser = commands.add_parser(
        "new",
        help="write the German and English files of a new page",
        description="Write content/<section>/SLUG.<lang>.md for every language, with every required field "
        "and short notes; the page starts as a draft.",
    )
    new_parser.add_argument("kind", choices=sorted(scaffold.KINDS), help="what the page is about")
    new_parser.add_argument("slug", help="the page's name in URLs and links: lowercase letters, digits, hyphens")
    new_parser.add_argument("--content", type=Path, default=BuildOptions.content_dir, help="content folder")
    status_parser = commands.add_parser(
        "status",
        help="translation status: which translations are current, stale, unreviewed or missing",
        description="List every page with the state of each language: source (the file that states the "
        "facts), current, stale (the source changed since the translation was accepted), unreviewed "
        "(never accepted) or missing.",
    )
    status_parser.add_argument("--content", type=Path, default=BuildOptions.content_dir, help="content folder")
    status_parser.add_argument("--json", action="store_true", help="print the status as JSON")
    status_parser.add_argument("--short", action="store_true", help="list only pages with unfinished translations")
    status_parser.add_argument(
        "--strict", action="store_true", help="exit with status 1 if any translation is stale, unreviewed or missing"
    )
    status_parser.add_argument(
        "--accept",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="record reviewed translations as current: a translation file, a source file (accepts a typo "
        "fix for all its translations) or a folder",
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "status":
            return run_status(args)
        if args.command == "pack":
            return run_pack(args)
        if args.command == "new":
            return run_new(args)
        if args.command == "check":
            return run_check(args)
        if args.command == "serve":
            return run_serve(args)
        return run_build(args)
    except KeyboardInterrupt:
        print("interrupted; output/ was left as it was", file=sys.stderr)
        return 130


def options_from(args: argparse.Namespace) -> BuildOptions:
    defaults = BuildOptions()
    content = getattr(args, "content", defaults.content_dir)
    return BuildOptions(
        content_dir=content,
        output_dir=getattr(args, "output", defaults.output_dir),
        base_url=getattr(args, "base_url", None),
        drafts=getattr(args, "drafts", False),
        strict=getattr(args, "strict", False),
        jobs=max(getattr(args, "jobs", default_jobs()), 1),
        cache_dir=None if getattr(args, "no_cache", False) else content.absolute().parent / CACHE_DIR,
    )


def run_build(args: argparse.Namespace) -> int:
    options = options_from(args)
    started = time.perf_counter()
    result = build(options)
    report(result.problems)
    errors = len(result.problems.errors)
    if errors:
        print(
            f"{errors} error(s); nothing was written, {display_path(options.output_dir)} is unchanged.",
            file=sys.stderr,
        )
        return 1
    gc.freeze()  # this process ends soon: no collection need walk the site's objects on its way out
    summary = result.summarize()
    counts = ", ".join(f"{lang}: {pages} pages" for lang, pages in summary.items() if lang != "html")
    seconds = time.perf_counter() - started
    if result.unchanged:
        print(
            f"Nothing changed since the last build; {display_path(options.output_dir)} holds its "
            f"{summary['html']} HTML files ({counts}). Checked in {seconds:.2f} s."
        )
    else:
        print(
            f"Built {summary['html']} HTML files ({counts}) into {display_path(options.output_dir)} in {seconds:.2f} s."
        )
    return 0


def run_status(args: argparse.Namespace) -> int:
    problems = Problems()
    content = load_content(BuildOptions(content_dir=args.content), problems)
    if content is None or problems:
        report(problems, warnings=False)
        print("Fix these problems first; the status needs every file readable.", file=sys.stderr)
        return 1
    if args.accept:
        record, accepted = translations.accept(
            args.accept, args.content, content.config, content.documents, content.record, problems
        )
        if problems:
            report(problems, warnings=False)
            print("Nothing was accepted.", file=sys.stderr)
            return 1
        translations.write_ledger(args.content / TRANSLATION_RECORD, record)
        print("\n".join(accepted))
        return 0
    states = content.translation_states()
    if args.json:
        print(json.dumps(translations.as_json(content.config, states), ensure_ascii=False, indent=2))
    else:
        print(translations.as_text(content.config, states, everything=not args.short))
    unfinished = any(state.state in translations.UNFINISHED for state in states)
    return 1 if args.strict and unfinished else 0


def report(problems: Problems, warnings: bool = True) -> None:
    for problem in (problems.warnings if warnings else []) + problems.errors:
        print(problem, file=sys.stderr)


def run_pack(args: argparse.Namespace) -> int:
    options = options_from(args)
    result = pack(options, args.zip)
    report(result.problems)
    if result.problems:
        print(f"{len(result.problems.errors)} error(s); no zip was written.", file=sys.stderr)
        return 1
    print(f"Packed {result.pages} HTML files into {display_path(result.zip_path)}; unzip it and open index.html.")
    return 0


def run_new(args: argparse.Namespace) -> int:
    problems = Problems()
    config = load_config(args.content, problems)
    files = scaffold.scaffold(args.kind, args.slug, args.content, config, problems) if config else {}
    if problems:
        report(problems, warnings=False)
        print("Nothing was written.", file=sys.stderr)
        return 1
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as handle:  # never overwrite
            handle.write(text)
        print(f"wrote {display_path(path)}")
    print("Fill in the fields and text; remove 'draft: true' to publish.")
    return 0


def run_check(args: argparse.Namespace) -> int:
    from . import check  # Beautiful Soup loads only for this command

    if not args.output.is_dir():
        print(f"{display_path(args.output)}: no built site here — run 'python build.py' first", file=sys.stderr)
        return 1
    problems = Problems()
    pages = check.check_site(args.output, problems)
    report(problems)
    if problems:
        print(f"{len(problems.errors)} problem(s) in {pages} pages.", file=sys.stderr)
        return 1
    print(f"Checked {pages} pages in {display_path(args.output)}: no problems found.")
    return 0


def run_serve(args: argparse.Namespace) -> int:
    from .serve import serve  # the server's libraries load only for this command

    return serve(options_from(args), args.host, args.port)
