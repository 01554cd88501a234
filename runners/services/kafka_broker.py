"""A single-node KRaft Apache Kafka broker, run from the jars Maven fetched into build/jars/kafka.

    python runners/services/kafka_broker.py start    # prints the bootstrap address
    python runners/services/kafka_broker.py stop

The broker is its own controller, listens on 127.0.0.1 only (PORT, and PORT+1 for the
controller), and keeps its log, its data and its pid under data/kafka-PORT/ (git-ignored).
`start` formats the storage on first use and returns once the broker answers; starting a
running broker is a no-op. Transactions work with one replica, so exactly-once sinks can use it.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from runners import CHECKOUT  # noqa: E402

JAR_DIR = CHECKOUT / "build" / "jars" / "kafka"
PORT = int(os.environ.get("SQLPLATFORM_KAFKA_PORT", "9092"))
HOME = Path(os.environ.get("SQLPLATFORM_KAFKA_DIR", CHECKOUT / "data" / f"kafka-{PORT}"))
HEAP = os.environ.get("SQLPLATFORM_KAFKA_HEAP", "512m")


class KafkaUnavailable(RuntimeError):
    pass


def bootstrap() -> str:
    return f"127.0.0.1:{PORT}"


def _properties() -> str:
    controller = PORT + 1
    return "\n".join([
        "process.roles=broker,controller",
        "node.id=1",
        f"controller.quorum.voters=1@127.0.0.1:{controller}",
        f"listeners=PLAINTEXT://127.0.0.1:{PORT},CONTROLLER://127.0.0.1:{controller}",
        f"advertised.listeners=PLAINTEXT://127.0.0.1:{PORT}",
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        f"log.dirs={HOME / 'logs'}",
        "num.partitions=2",
        # One node: internal topics cannot have more than one replica.
        "offsets.topic.replication.factor=1",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        # A Flink exactly-once sink holds transactions open up to a checkpoint interval and more.
        "transaction.max.timeout.ms=3600000",
        "",
    ])


def _log4j() -> str:
    return "\n".join([
        "Configuration:",
        "  Appenders:",
        "    File:",
        "      name: file",
        f"      fileName: {HOME / 'server.log'}",
        "      PatternLayout:",
        "        pattern: '[%d] %p %m (%c)%n'",
        "  Loggers:",
        "    Root:",
        "      level: INFO",
        "      AppenderRef:",
        "        - ref: file",
        "",
    ])


def _java(main_class: str, *args: str, heap: str = "256m") -> list[str]:
    if not any(JAR_DIR.glob("kafka_*.jar")):
        raise KafkaUnavailable(f"no Kafka jars in {JAR_DIR}: run `make jars`")
    return ["java", f"-Xmx{heap}", f"-Dlog4j2.configurationFile={HOME / 'log4j2.yaml'}",
            "-cp", f"{JAR_DIR}/*", main_class, *args]


def _answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", PORT), timeout=0.5):
            return True
    except OSError:
        return False


def _pid() -> int | None:
    pid_file = HOME / "broker.pid"
    if not pid_file.exists():
        return None
    pid = int(pid_file.read_text())
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    return pid


def running() -> bool:
    """True when a broker serves on PORT: this one, or another one a user started."""
    return _answers() and _ready()


def start(timeout: float = 90.0) -> str:
    """Start the broker unless one serves on PORT; return the bootstrap address once it does."""
    if running():
        return bootstrap()
    HOME.mkdir(parents=True, exist_ok=True)
    (HOME / "server.properties").write_text(_properties())
    (HOME / "log4j2.yaml").write_text(_log4j())
    if not (HOME / "logs" / "meta.properties").exists():
        format_storage(_cluster_id(), HOME / "server.properties")
    with open(HOME / "stdout.log", "ab") as out:
        process = subprocess.Popen(
            _java("kafka.Kafka", str(HOME / "server.properties"), heap=HEAP),
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    (HOME / "broker.pid").write_text(str(process.pid))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise KafkaUnavailable(f"the Kafka broker exited with {process.returncode}; "
                                   f"see {HOME / 'server.log'}")
        if _answers() and _ready():
            return bootstrap()
        time.sleep(0.5)
    stop()
    raise KafkaUnavailable(f"the Kafka broker did not start in {timeout:.0f}s; "
                           f"see {HOME / 'server.log'}")


def format_storage(cluster_id: str, properties: Path) -> None:
    """Format the broker's log folders (KRaft's StorageTool); its error, if any, in one line."""
    done = subprocess.run(_java("kafka.tools.StorageTool", "format", "--ignore-formatted",
                                "-t", cluster_id, "-c", str(properties)),
                          capture_output=True, text=True)
    if done.returncode != 0:
        said = [line.strip() for line in (done.stderr + done.stdout).splitlines()
                if line.strip() and not line.startswith(("\tat ", "SLF4J"))]
        raise KafkaUnavailable(f"formatting the Kafka storage ({properties}) failed with exit "
                               f"{done.returncode}: {said[0] if said else 'no message'}")


def _ready() -> bool:
    """True once the broker serves metadata, which is when clients can use it."""
    from confluent_kafka.admin import AdminClient

    try:
        AdminClient({"bootstrap.servers": bootstrap()}).list_topics(timeout=2)
        return True
    except Exception:
        return False


def _cluster_id(draw: Callable[[], bytes] = lambda: uuid.uuid4().bytes) -> str:
    # KRaft wants a base64url UUID without padding, as `kafka-storage.sh random-uuid` prints.
    # One in 64 starts with '-', which StorageTool's parser takes for an option; Kafka's
    # Uuid.randomUuid draws again then, and so do we.
    import base64

    while True:
        cluster_id = base64.urlsafe_b64encode(draw()).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def stop(timeout: float = 30.0) -> None:
    pid = _pid()
    if pid is None:
        return
    os.kill(pid, signal.SIGTERM)  # a controlled shutdown flushes and closes the logs
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not _exited(pid):
        time.sleep(0.3)
    if not _exited(pid):
        os.kill(pid, signal.SIGKILL)
    (HOME / "broker.pid").unlink(missing_ok=True)


def _exited(pid: int) -> bool:
    """The broker has stopped. When this process started it, it stays a zombie (and answers
    os.kill) until reaped here."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return True
    except ChildProcessError:  # started by another process: that one reaps it
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def create_topics(*names: str, partitions: int = 2) -> None:
    """Create the topics that do not exist yet."""
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap()})
    existing = set(admin.list_topics(timeout=10).topics)
    wanted = [NewTopic(n, num_partitions=partitions, replication_factor=1)
              for n in names if n not in existing]
    for future in admin.create_topics(wanted).values() if wanted else []:
        future.result()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop"])
    args = parser.parse_args(argv)
    try:
        if args.action == "start":
            print(start())
        else:
            stop()
    except KafkaUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
