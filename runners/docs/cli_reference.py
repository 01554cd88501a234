"""docs/reference/cli.md's content: each command's --help, from the parsers the commands use."""

from __future__ import annotations

import os


def page() -> str:
    from runners.engines import flink_sql, spark_sql

    out = ["# Command-line reference", "",
           "Generated from the commands' own parsers by `make docs`, so it cannot drift.", ""]
    # argparse wraps to the terminal's width; the page must not vary with it.
    columns = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"
    try:
        for command, parser in (("runners/spark_sql.py", spark_sql.argument_parser()),
                                ("runners/flink_sql.py", flink_sql.argument_parser())):
            out += [f"## `{command}`", "", "```text", parser.format_help().rstrip(), "```", ""]
    finally:
        if columns is None:
            os.environ.pop("COLUMNS")
        else:
            os.environ["COLUMNS"] = columns
    return "\n".join(out)
