"""docs/reference/cli.md's content: each command's --help, from the parsers the commands use."""

from __future__ import annotations

import os


def page() -> str:
    from runners.engines import flink_sql, spark_sql

    os.environ["COLUMNS"] = "100"  # argparse wraps to the terminal; the page must not vary
    out = ["# Command-line reference", "",
           "Generated from the commands' own parsers by `make docs`, so it cannot drift.", ""]
    for command, parser in (("runners/spark_sql.py", spark_sql.argument_parser()),
                            ("runners/flink_sql.py", flink_sql.argument_parser())):
        out += [f"## `{command}`", "", "```text", parser.format_help().rstrip(), "```", ""]
    return "\n".join(out)
