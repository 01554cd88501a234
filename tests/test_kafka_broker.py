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
