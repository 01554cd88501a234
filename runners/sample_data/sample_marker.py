"""Sample data made once, and made again when its arguments or its generator change.

A folder of generated data holds `_generated.json`: the arguments it was made with and the
sha256 of the generator's source. Reusing data whose generator has since changed would run the
demo and the benchmarks on an older idea of the data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

MARKER = "_generated.json"


def ensure(out: Path, generator: Path, arguments: dict, make: Callable[[], object]) -> bool:
    """Call `make` unless `out` holds data from these arguments and this generator; True if
    it was called."""
    marker = out / MARKER
    wanted = {**arguments, "generator_sha256": hashlib.sha256(generator.read_bytes()).hexdigest()}
    if marker.is_file() and json.loads(marker.read_text()) == wanted:
        return False
    make()
    marker.write_text(json.dumps(wanted))
    return True
