"""Run Spark SQL files: `python runners/spark_sql.py sql/spark/segments.sql` (see --help).

The command's short name; the runner is runners/engines/spark_sql.py.
"""

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from runners.engines.spark_sql import main

    sys.exit(main())
