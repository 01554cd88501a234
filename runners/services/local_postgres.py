"""A throwaway PostgreSQL server for tests and the platform profile on one machine.

    python runners/services/local_postgres.py start    # prints the warehouse URL
    python runners/services/local_postgres.py stop

It runs Debian's `postgresql` package binaries on a cluster of its own under
/tmp/sqlplatform-pg-PORT (a path the `postgres` user can always reach), bound to 127.0.0.1,
with trust authentication for local connections only, so no password exists anywhere. As root
it runs the server as the `postgres` user, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

PORT = int(os.environ.get("SQLPLATFORM_PG_PORT", "54329"))
DATA_DIR = Path(os.environ.get("SQLPLATFORM_PG_DIR", f"/tmp/sqlplatform-pg-{PORT}"))
DATABASE = "warehouse"
USER = "sqlplatform"


class PostgresUnavailable(RuntimeError):
    pass


def url(database: str = DATABASE) -> str:
    return f"postgresql://{USER}@127.0.0.1:{PORT}/{database}"


def _bin(name: str) -> str:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    found = candidates[0] if candidates else shutil.which(name)
    if not found:
        raise PostgresUnavailable(
            f"PostgreSQL's {name} is not installed: install Debian's package with "
            "`apt-get install -y postgresql` (`make test` does)")
    return found


def _as_server_user(args: list[str], check: bool = True) -> subprocess.CompletedProcess:
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, check=check, text=True, capture_output=True)


def _is_running() -> bool:
    if not (DATA_DIR / "postmaster.pid").exists():
        return False
    return _as_server_user([_bin("pg_ctl"), "status", "-D", str(DATA_DIR)], check=False
                           ).returncode == 0


def start() -> str:
    """Start the server if it is not running; return the warehouse URL."""
    if _is_running():
        return url()
    if not (DATA_DIR / "PG_VERSION").exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(DATA_DIR, "postgres", "postgres")
        _as_server_user([_bin("initdb"), "-D", str(DATA_DIR), "-U", "postgres",
                         "--auth=trust", "--encoding=UTF8", "--locale=C"])
    log = DATA_DIR / "server.log"
    _as_server_user([_bin("pg_ctl"), "start", "-w", "-t", "60", "-D", str(DATA_DIR),
                     "-l", str(log), "-o",
                     f"-c listen_addresses=127.0.0.1 -c port={PORT} -k /tmp -c fsync=off"])
    _bootstrap()
    return url()


def _bootstrap() -> None:
    psql = [_bin("psql"), "-h", "127.0.0.1", "-p", str(PORT), "-U", "postgres", "-v",
            "ON_ERROR_STOP=1", "-q", "-d", "postgres"]
    for _ in range(30):
        if subprocess.run([*psql, "-c", "SELECT 1"], capture_output=True).returncode == 0:
            break
        time.sleep(0.5)
    exists = subprocess.run([*psql, "-tAc", f"SELECT 1 FROM pg_roles WHERE rolname='{USER}'"],
                            capture_output=True, text=True, check=True).stdout.strip()
    if not exists:
        subprocess.run([*psql, "-c", f"CREATE ROLE {USER} LOGIN CREATEDB"], check=True)
    has_db = subprocess.run([*psql, "-tAc",
                             f"SELECT 1 FROM pg_database WHERE datname='{DATABASE}'"],
                            capture_output=True, text=True, check=True).stdout.strip()
    if not has_db:
        subprocess.run([*psql, "-c", f"CREATE DATABASE {DATABASE} OWNER {USER}"], check=True)


def stop() -> None:
    if _is_running():
        _as_server_user([_bin("pg_ctl"), "stop", "-m", "fast", "-D", str(DATA_DIR)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop", "url"])
    args = parser.parse_args(argv)
    try:
        if args.action == "start":
            print(start())
        elif args.action == "stop":
            stop()
        else:
            print(url())
    except PostgresUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as error:
        print(f"error: {' '.join(error.cmd)} failed:\n{error.stderr}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
