"""``python -m analysis COMMAND ...``: the analysts' command line.

Each command lives in the module that does the work; that module provides
``cli_arguments(parser)`` to declare its options and ``cli_main(args) -> int`` to run it.
Only the module of the command being run is imported, so ``report`` does not pay for clustering.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "report": ("analysis.report", "write the evidence report (report.html, report.md, charts)"),
    "support": ("analysis.tally", "print support per theme, with intervals and breakdowns"),
    "cluster": ("analysis.cluster", "cluster free-text comments and pick representative quotes"),
    "code": ("analysis.coding", "code comments against a codebook and report agreement"),
    "campaigns": ("analysis.campaigns", "find campaign (template) responses"),
}


def _top_parser() -> argparse.ArgumentParser:
    listing = "\n".join(f"  {name:<10} {text}" for name, (_, text) in COMMANDS.items())
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Analyse consultation responses from an export file or a database URL.",
        epilog=f"commands:\n{listing}\n\n'python -m analysis COMMAND --help' shows a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=sorted(COMMANDS), metavar="COMMAND")
    parser.add_argument("options", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    top = _top_parser().parse_args(sys.argv[1:] if argv is None else argv)
    module_name, help_text = COMMANDS[top.command]
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(prog=f"python -m analysis {top.command}", description=help_text)
    module.cli_arguments(parser)
    args = parser.parse_args(top.options)
    try:
        return int(module.cli_main(args) or 0)
    except BrokenPipeError:  # the output was piped into a reader that stopped early (head, less)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
