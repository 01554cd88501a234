"""Run the Flink SQL job: `python runners/flink_sql.py sql/flink` (see --help).

The command's short name; the runner is runners/engines/flink_sql.py. From the main environment
it goes on in the Flink one (.venv-flink), as the runner itself does.
"""

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from runners.engines import flink_env

    flink_env.hand_over(__file__, sys.argv[1:])
    from runners.engines.flink_sql import main

    sys.exit(main())
