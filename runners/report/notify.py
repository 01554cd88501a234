"""Pipeline notifications: Slack when a webhook connection is configured, a local record otherwise.

The lack of Slack is never a crash: without the connection, a notification is logged and
appended, as one JSON line, to the outbox file (the DAG's `notifications_path`), where tests
and people can read it. A Slack connection's password (or host) holds the webhook URL.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.request
from pathlib import Path

log = logging.getLogger(__name__)


def webhook_url(conn_id: str) -> str | None:
    """The webhook URL of Airflow connection `conn_id`, or None when it is not configured."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        connection = Connection.get(conn_id)
    except AirflowNotFoundException:
        return None
    for candidate in (connection.password, connection.host):
        if candidate and candidate.startswith("https://"):
            return candidate
    raise ValueError(f"connection {conn_id!r} has no https:// webhook URL in password or host")


def notify(event: str, message: str, *, outbox: str | Path,
           conn_id: str = "slack_webhook") -> str:
    """Send `message`; return where it went: 'slack' or the outbox path."""
    url = webhook_url(conn_id)
    if url:
        request = urllib.request.Request(url, data=json.dumps({"text": message}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (https only)
            response.read()
        return "slack"
    outbox = Path(outbox)
    outbox.parent.mkdir(parents=True, exist_ok=True)
    record = {"at": dt.datetime.now(dt.UTC).isoformat(), "event": event, "message": message}
    with outbox.open("a") as file:
        file.write(json.dumps(record) + "\n")
    log.warning("no %r connection: notification %s recorded in %s:\n%s",
                conn_id, event, outbox, message)
    return str(outbox)
