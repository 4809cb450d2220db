#!/usr/bin/env python3
"""Sahifa command line: a thin layer over ``generator``.

python build.py                 build the site into public/
python build.py serve           preview on 127.0.0.1 with live reload
python build.py inspect FILE..  show what the readers make of input files (JSON)
python build.py import SEED..   turn seeds into editable Markdown articles
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def _config(args):
    from generator.config import load_config

    return load_config(
        Path(args.root),
        Path(args.config) if args.config else None,
        base_url=getattr(args, "base_url", None),
        search=False if getattr(args, "no_search", False) else None,
    )


def _terminal_safe(text: str) -> str:
    from generator.report import terminal_safe

    return terminal_safe(text)


def cmd_build(args) -> int:
    import datetime as dt
    import time

    from generator.cache import CACHE_DIR_NAME, BuildCache, examine
    from generator.errors import SahifaError
    from generator.report import BuildReport

    from generator.lock import Busy, site_lock

    try:
        start = time.perf_counter()
        config = _config(args)
        out_dir = Path(os.path.abspath(args.out))
        today = dt.date.today()
        cache = examined = None
        from generator.write import check_output_dir

        out_dir = check_output_dir(config, out_dir)  # before anything is written, a lock included
        with site_lock(config.root, out_dir):
            if not args.no_cache:
                cache = BuildCache(Path(args.cache_dir or Path(args.root) / CACHE_DIR_NAME))
                examined = examine(cache, config, out_dir, today)
            if examined is not None and examined.unchanged:
                # Nothing changed since the last build: answered before loading the renderer.
                report = BuildReport.replay(examined.previous, time.perf_counter() - start)
            else:
                from generator.pipeline import build_site

                report = build_site(
                    config, out_dir, today=today, cache=cache, examined=examined, force=args.force
                )
    except Busy as exc:
        print(f"error: {_terminal_safe(str(exc))}", file=sys.stderr)
        return 75
    except SahifaError as exc:
        print(f"error: {_terminal_safe(str(exc))}", file=sys.stderr)
        print("build failed; the output folder was left as it was", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - a bug or an environment problem: fatal, no traceback
        if args.debug:
            raise
        print(
            f"error: the build failed: {type(exc).__name__}: {_terminal_safe(str(exc))} "
            "(run with --debug for the traceback)",
            file=sys.stderr,
        )
        print("build failed; the output folder was left as it was", file=sys.stderr)
        return 2
    for problem in report.problems:
        print(f"error: {_terminal_safe(problem)}", file=sys.stderr)
    for notice in report.notices:
        print(f"warning: {_terminal_safe(notice)}", file=sys.stderr)
    timing = ", ".join(f"{k} {v:.2f}s" for k, v in report.timings.items())
    print(f"{report.summary()} into {args.out} ({timing})")
    return report.exit_code


def cmd_serve(args) -> int:
    from generator.server import serve

    from generator.errors import SahifaError

    try:
        config = _config(args)
    except SahifaError as exc:
        print(f"error: {_terminal_safe(str(exc))}", file=sys.stderr)
        return 2
    code = serve(
        config,
        Path(args.out),
        host=args.host,
        port=args.port,
        open_browser=False,
        cache_dir=Path(args.cache_dir) if args.cache_dir else None,
        force=args.force,
        debug=args.debug,
    )
    # A rebuild may still be running in its thread, with worker processes: stop them and
    # leave at once (the interpreter's exit would wait for that thread's pool).
    from generator.parallel import kill_workers

    kill_workers()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def cmd_inspect(args) -> int:
    from generator.inspection import inspect_paths

    from generator.errors import SahifaError
    from generator.readers import ReadOptions

    root = Path(args.root).resolve()
    try:
        options = ReadOptions.from_config(_config(args))
    except SahifaError:
        options = ReadOptions(root=root)
    results = inspect_paths([Path(p) for p in args.paths], root, options)
    print(json.dumps(results, ensure_ascii=False, indent=None if len(results) > 1 else 2))
    return 0 if all(not r.get("error") for r in results) else 1


def cmd_import(args) -> int:
    from generator.importer import import_seeds

    return import_seeds([Path(p) for p in args.paths], _config(args), force=args.force)


class Terminated(BaseException):
    """SIGTERM, as an exception: the build stops the way Ctrl-C stops it."""


def _on_sigterm(signum, frame):
    raise Terminated()


def _common_options(parser: argparse.ArgumentParser, *, sub: bool) -> None:
    """Options every command takes, before or after its name (``build.py serve --out x`` and
    ``build.py --out x serve`` alike). In a subcommand they default to "not given", so they
    never undo the same option given before the command."""

    def add(*names, **kwargs):
        if sub:
            kwargs["default"] = argparse.SUPPRESS
        parser.add_argument(*names, **kwargs)

    add("--root", default=str(ROOT), help="site folder (default: this folder)")
    add("--config", default=None, help="configuration file (default: ROOT/site.toml)")
    add("--out", default=None, help="output folder (default: ROOT/public)")
    add("--base-url", dest="base_url", default=None, help="override base_url from site.toml")
    add(
        "--cache-dir", dest="cache_dir", default=None, help="build cache folder (default: ROOT/.sahifa-cache)"
    )
    add(
        "--no-cache",
        dest="no_cache",
        action="store_true",
        default=False,
        help="build everything from scratch, without reading or writing the cache",
    )
    add(
        "--no-search",
        dest="no_search",
        action="store_true",
        default=False,
        help="leave out the search page and its index (as 'search = false' in site.toml)",
    )
    add(
        "--force",
        action="store_true",
        default=False,
        help="build: replace an output folder that Sahifa did not make; import: overwrite an "
        "existing article",
    )
    add("--debug", action="store_true", default=False, help="show Python tracebacks of internal errors")


def main(argv: list[str] | None = None) -> int:
    if argv is None:  # the command line: SIGTERM stops a build as Ctrl-C does, from the start
        import signal

        signal.signal(signal.SIGTERM, _on_sigterm)
    parser = argparse.ArgumentParser(prog="build.py", description="Sahifa static news-site generator")
    _common_options(parser, sub=False)
    sub = parser.add_subparsers(dest="command")
    _common_options(sub.add_parser("build", help="build the site (the default)"), sub=True)
    serve = sub.add_parser("serve", help="preview with live reload")
    _common_options(serve, sub=True)
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    inspect = sub.add_parser("inspect", help="print what the readers make of files, as JSON")
    _common_options(inspect, sub=True)
    inspect.add_argument("--json", action="store_true", help="JSON output (the only format)")
    inspect.add_argument("paths", nargs="+")
    imp = sub.add_parser("import", help="write seeds as Markdown articles under content/<lang>/")
    _common_options(imp, sub=True)
    imp.add_argument("paths", nargs="+")
    args = parser.parse_args(argv)
    args.out = args.out or str(Path(args.root) / "public")
    command = args.command or "build"
    run = {"build": cmd_build, "serve": cmd_serve, "inspect": cmd_inspect, "import": cmd_import}[command]
    if argv is not None:  # called from Python (tests): no signal handling of our own
        return run(args)
    try:
        return run(args)
    except Exception as exc:  # noqa: BLE001 - a bug or an environment problem: no traceback
        if args.debug:
            raise
        print(
            f"error: {command} failed: {type(exc).__name__}: {_terminal_safe(str(exc))} "
            "(run with --debug for the traceback)",
            file=sys.stderr,
        )
        return 2
    except (KeyboardInterrupt, Terminated) as exc:
        # Every stage cleans up on the way out (the staging folder is removed; the output
        # folder and the site's state are as the last complete build left them). Exit at
        # once: waiting for worker processes or library threads could hang.
        code = 143 if isinstance(exc, Terminated) else 130
        try:
            print(
                f"\ninterrupted ({'SIGTERM' if code == 143 else 'Ctrl-C'}); the output folder was "
                "left as the last complete build made it",
                file=sys.stderr,
                flush=True,
            )
            sys.stdout.flush()
        finally:
            os._exit(code)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C before the command started (while reading its options)
        os._exit(130)
