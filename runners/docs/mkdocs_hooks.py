"""MkDocs hooks (mkdocs.yml): add the generated pages to the site at build time.

The catalog and the CLI reference are never written into docs/; each build makes them from the
SQL files and the parsers. A header that lacks a section is a warning, which --strict fails on.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # mkdocs loads this by path

from runners.docs import catalog, cli_reference  # noqa: E402

log = logging.getLogger("mkdocs.plugins.catalog")


def on_files(files, config):  # noqa: ANN001, ANN201 (MkDocs' hook signature)
    from mkdocs.structure.files import File

    built = catalog.build()
    for problem in built.problems:
        log.warning("catalog: %s", problem)
    for path, content in built.pages.items():
        files.append(File.generated(config, f"catalog/{path}", content=content))
    for path, content in built.images.items():
        files.append(File.generated(config, f"catalog/{path}", content=content))
    files.append(File.generated(config, "reference/cli.md", content=cli_reference.page()))
    return files
