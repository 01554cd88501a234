"""The seed's fraud rules in plain Python, in event time: the independent reference.

It reads the same JSON lines in arrival order and returns what each sink of the Flink job should
hold. Written from the seed's Java, not from our SQL: the detectors keep the seed's running
state, and only the order changes, from arrival to event time (what the seed meant).
Transactions of one user at the same millisecond keep their arrival order, as the seed's keyed
state sees them: the "last" of a minute is the last of its latest millisecond to arrive.

The job differs from the seed in one documented way (sql/flink/suspicious_sequence.sql):
MATCH_RECOGNIZE cannot report a large transaction whose every window of tests already ended at
an earlier large one. `sequence_not_matched` names those alerts; `expected_of_job` is the seed's
output without them, and nothing else removed.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal

# A user's history -> the model's alerts (tests/flink/model_reference.py).
Model = Callable[[list[dict]], list[dict]]

WATERMARK_DELAY_MS = 5000
RISKY = {"WIRE_TRANSFER", "CRYPTO", "GIFT_CARDS"}
SEQUENCE_REASON = "Multiple small test transactions followed by large amount"
TYPE_ORDER = ["HIGH_VELOCITY", "UNUSUAL_AMOUNT", "IMPOSSIBLE_TRAVEL", "SUSPICIOUS_SEQUENCE",
              "SUSPICIOUS_MERCHANT", "MODEL_SCORE"]


def java_format(x: float, digits: int) -> str:
    """Java's String.format("%.Nf", x): half-up on the double's shortest decimal form."""
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return str(Decimal(repr(x)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371
    d_lat, d_lon = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    a = (math.sin(d_lat / 2) * math.sin(d_lat / 2) + math.cos(math.radians(lat1))
         * math.cos(math.radians(lat2)) * math.sin(d_lon / 2) * math.sin(d_lon / 2))
    return r * 2 * math.atan2(math.sqrt(a), math.sqrt(1 - a))


def _number(value) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _integer(value) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def check(line: str) -> tuple[dict | None, int | None, str | None]:
    """(transaction, timestamp, error) of one line; the timestamp even when other fields fail."""
    try:
        record = json.loads(line, parse_constant=_refuse_constant)
    except ValueError:
        return None, None, "malformed JSON"
    if not isinstance(record, dict):
        return None, None, "malformed JSON"
    ts = _integer(record.get("timestamp"))
    txn = {"transactionId": record.get("transactionId"), "userId": record.get("userId"),
           "amount": _number(record.get("amount")),
           "merchantCategory": record.get("merchantCategory"),
           "latitude": _number(record.get("latitude")),
           "longitude": _number(record.get("longitude")), "timestamp": ts}
    error = None
    if not isinstance(txn["transactionId"], str):
        error = "transactionId missing"
    elif not isinstance(txn["userId"], str):
        error = "userId missing"
    elif txn["amount"] is None:
        error = "amount missing or not a number"
    elif txn["amount"] < 0 or math.isnan(txn["amount"]):
        error = "amount negative or NaN"
    elif ts is None:
        error = "timestamp missing or not an integer"
    elif txn["latitude"] is None or not -90 <= txn["latitude"] <= 90:
        error = "latitude missing or out of range"
    elif txn["longitude"] is None or not -180 <= txn["longitude"] <= 180:
        error = "longitude missing or out of range"
    return txn, ts, error


def alert(txn: dict, alert_type: str, reason: str, risk: float, alert_time: int,
           alert_millis: int | None = None) -> dict:
    return {"transactionId": txn["transactionId"], "userId": txn["userId"],
            "alertType": alert_type, "reason": reason, "riskScore": risk,
            "timestamp": txn["timestamp"] if alert_millis is None else alert_millis,
            "_time": alert_time}


def expected_of_job(lines: list[str], model: Model | None = None,
                    partitions: Sequence[int] | None = None) -> dict[str, list[dict]]:
    """What each sink of the Flink job holds: the seed's rules with the documented exception,
    and the fraud model's alerts (a user's history -> its MODEL_SCORE alerts), if any.
    `partitions` gives each line's Kafka partition, when there are several (see sort_lines)."""
    return evaluate(lines, documented_exception=True, model=model, partitions=partitions)


def evaluate(lines: list[str], *, documented_exception: bool = False,
             model: Model | None = None,
             partitions: Sequence[int] | None = None) -> dict[str, list[dict]]:
    """What each sink holds under the seed's rules after replaying `lines` in order; with
    documented_exception, without the sequence alerts MATCH_RECOGNIZE cannot raise; with a
    model, its alerts too (the sixth type)."""
    by_user, dead, late = sort_lines(lines, partitions)
    alerts: list[dict] = []
    for history in by_user.values():
        alerts += _velocity(history) + _amount(history) + _travel(history)
        sequence = seed_sequence(history)
        if documented_exception:
            unmatched = {a["transactionId"] for a in sequence_not_matched(history)}
            sequence = [a for a in sequence if a["transactionId"] not in unmatched]
        alerts += sequence + _merchant(history)
        if model:
            alerts += model(history)
    combined = _combine(alerts)
    return {
        "detector_alerts": [{k: v for k, v in a.items() if k != "_time"} for a in alerts],
        "alert_history": combined,
        "fraud_alerts": [a for a in combined if a["riskScore"] > 0.7],
        "dead_letters": dead,
        "late_transactions": late,
    }


def sort_lines(lines: list[str], partitions: Sequence[int] | None = None,
               ) -> tuple[dict[str, list[dict]], list[dict], list[dict]]:
    """(each user's valid on-time transactions in event-time order, ties in arrival order;
    the dead letters; the late lines) of `lines` replayed in order.

    A line is late when it is at or behind the watermark, the latest timestamp before it less
    5 s. On a topic of several partitions (`partitions[i]` is line i's), "before it" means in
    its own partition: Kafka keeps each partition's order and none across them (the seed's
    Kafka source, too, keeps a watermark per partition)."""
    watermarks: dict[int, int] = {}  # of each partition
    on_time: list[tuple[int, int, dict]] = []  # (timestamp, arrival, transaction)
    dead, late = [], []
    for arrival, line in enumerate(lines):
        partition = partitions[arrival] if partitions is not None else 0
        watermark = watermarks.get(partition)
        txn, ts, error = check(line)
        if error:
            dead.append({"line": line, "error": error})
        elif watermark is not None and ts <= watermark:
            late.append({"line": line})
        else:
            on_time.append((ts, arrival, txn))
        candidate = (ts if ts is not None else 0) - WATERMARK_DELAY_MS
        watermarks[partition] = candidate if watermark is None else max(watermark, candidate)
    by_user: dict[str, list[dict]] = defaultdict(list)
    for _, _, txn in sorted(on_time, key=lambda t: (t[0], t[1])):
        by_user[txn["userId"]].append(txn)
    return by_user, dead, late


def _velocity(history: list[dict]) -> list[dict]:
    """The seed's window of a minute; its last transaction is the last in event time and, of
    those at that millisecond, the last to arrive (history is in that order)."""
    minutes: dict[int, list[dict]] = defaultdict(list)
    for txn in history:
        minutes[txn["timestamp"] // 60000].append(txn)
    out = []
    for minute, txns in minutes.items():
        count = len(txns)
        if count > 5:
            last = txns[-1]
            out.append(alert(last, "HIGH_VELOCITY", f"{count} transactions in 1 minute",
                              min(0.5 + (count - 5) * 0.1, 1.0), minute * 60000 + 59999))
    return out


def _amount(history: list[dict]) -> list[dict]:
    out, count, total, squares = [], 0, 0.0, 0.0
    for txn in history:
        amount = txn["amount"]
        if count > 10:
            mean = total / count
            variance = squares / count - mean * mean
            std = math.sqrt(variance) if variance >= 0 else math.nan
            if amount > mean + 3 * std:
                ratio = amount / mean if mean else math.inf
                reason = (f"Amount ${java_format(amount, 2)} is {java_format(ratio, 1)}x higher "
                          f"than average ${java_format(mean, 2)}")
                out.append(alert(txn, "UNUSUAL_AMOUNT", reason, min((ratio - 1) * 0.2, 0.9),
                                  txn["timestamp"]))
        count, total, squares = count + 1, total + amount, squares + amount * amount
    return out


def _travel(history: list[dict]) -> list[dict]:
    out = []
    for previous, txn in zip(history, history[1:], strict=False):
        distance = distance_km(previous["latitude"], previous["longitude"], txn["latitude"],
                               txn["longitude"])
        hours = (txn["timestamp"] - previous["timestamp"]) / (1000.0 * 3600)
        speed = _speed(distance, hours)
        if hours < 2 and speed > 1000:
            reason = (f"{java_format(distance, 0)} km traveled in {java_format(hours, 1)} hours "
                      f"({java_format(speed, 0)} km/h)")
            out.append(alert(txn, "IMPOSSIBLE_TRAVEL", reason, 0.95, txn["timestamp"]))
    return out


def _speed(distance: float, hours: float) -> float:
    if hours == 0:  # Java's double division: x/0 is infinite, 0/0 is NaN
        return math.inf if distance > 0 else math.nan
    return distance / hours


def seed_sequence(history: list[dict]) -> list[dict]:
    """The seed's SuspiciousSequenceDetector: the last (up to) 5 before, at least 3 under $5."""
    out, recent = [], []
    for txn in history:
        if len(recent) >= 3 and sum(t["amount"] < 5.0 for t in recent) >= 3 \
                and txn["amount"] > 500:
            out.append(alert(txn, "SUSPICIOUS_SEQUENCE", SEQUENCE_REASON, 0.85,
                              txn["timestamp"]))
        recent = [*recent, txn][-5:]
    return out


def sequence_not_matched(history: list[dict]) -> list[dict]:
    """The seed's sequence alerts that MATCH_RECOGNIZE cannot raise: the pattern is matched from
    each start s (3 to 5 transactions, then a large one with 3 tests among them) and ends at the
    first large transaction that qualifies. A seed alert at e is lost when every start s of its
    window whose transactions up to e hold 3 tests reaches such a large transaction before e.
    Example: tests t t t, then large L1 and L2: the seed alerts both, the job L1 only."""
    def tests(start: int, end: int) -> int:
        return sum(t["amount"] < 5.0 for t in history[start:end])

    def qualifies(start: int, end: int) -> bool:
        return history[end]["amount"] > 500 and tests(start, end) >= 3

    alerted = {a["transactionId"] for a in seed_sequence(history)}
    lost = []
    for end, txn in enumerate(history):
        if txn["transactionId"] not in alerted:
            continue
        starts = [s for s in range(max(0, end - 5), end - 2) if tests(s, end) >= 3]
        if all(any(qualifies(s, m) for m in range(s + 3, end)) for s in starts):
            lost.append(txn)
    return lost


def _merchant(history: list[dict]) -> list[dict]:
    return [alert(t, "SUSPICIOUS_MERCHANT",
                   f"Transaction at high-risk merchant category: {t['merchantCategory']}", 0.6,
                   t["timestamp"])
            for t in history if t["merchantCategory"] in RISKY]


def _combine(alerts: list[dict]) -> list[dict]:
    groups: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for alert in alerts:
        groups[(alert["transactionId"], alert["_time"] // 5000)].append(alert)
    combined = []
    for (transaction_id, _), group in groups.items():
        present = [t for t in TYPE_ORDER if any(a["alertType"] == t for a in group)]
        risk = 1.0
        for alert_type in TYPE_ORDER:
            top = max((a["riskScore"] for a in group if a["alertType"] == alert_type), default=0)
            risk *= 1 - top
        combined.append({
            "transactionId": transaction_id, "userId": group[0]["userId"],
            "alertType": ",".join(present),
            "reason": "; ".join(next(a["reason"] for a in group if a["alertType"] == t)
                                for t in present),
            "riskScore": 1 - risk, "timestamp": max(a["timestamp"] for a in group)})
    return combined
