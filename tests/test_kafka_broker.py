"""The local broker's cluster id must survive Kafka's own command-line parser."""
import base64

from runners.services import kafka_broker


def test_a_cluster_id_never_starts_with_a_dash() -> None:
    # A first byte of 0xF8 encodes as '-', which StorageTool's `-t` reads as an option
    # (a fresh-clone CI run failed on '-TFhs367THujOj2nuHYzwA'). Kafka's own
    # Uuid.randomUuid draws again in that case; so must we.
    draws = iter([bytes([0xF8]) + bytes(15), bytes([0x10]) + bytes(15)])
    cluster_id = kafka_broker._cluster_id(lambda: next(draws))
    assert cluster_id == base64.urlsafe_b64encode(bytes([0x10]) + bytes(15)).decode().rstrip("=")
    assert not cluster_id.startswith("-")


def test_a_failing_storage_format_is_one_line_naming_the_cause(tmp_path) -> None:
    """StorageTool's own error reaches the user instead of a CalledProcessError traceback."""
    import pytest

    properties = tmp_path / "server.properties"
    properties.write_text("process.roles=broker,controller\nnode.id=1\n")  # no log.dirs
    with pytest.raises(kafka_broker.KafkaUnavailable) as raised:
        kafka_broker.format_storage("AAAAAAAAAAAAAAAAAAAAAA", properties)
    message = str(raised.value)
    assert message.startswith(f"formatting the Kafka storage ({properties}) failed with exit 1: ")
    assert "\n" not in message and '"controller.listener.names"' in message
