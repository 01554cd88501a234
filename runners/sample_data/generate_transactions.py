"""Generate card transactions in the seed's Transaction JSON, with labelled fraud scenarios.

    python runners/sample_data/generate_transactions.py --transactions 100000 \
        --out data/sample/transactions
    python runners/sample_data/generate_transactions.py --kafka 127.0.0.1:9092 --rate 5000

Users have a home city, a spending habit (a log-normal amount) and waking hours. On top of their
ordinary transactions it injects, for every detector, labelled scenarios:
  velocity     6 to 9 transactions of one user inside one event-time minute;
  amount       a purchase far above a user's habit, after at least 11 ordinary ones;
  travel       a transaction in a city thousands of km away, minutes after the previous one;
  sequence     3 or 4 card tests under $5, then one over $500;
  merchant     a transaction at WIRE_TRANSFER, CRYPTO or GIFT_CARDS;
  tie          2 or 3 transactions of a user in one millisecond, at home or far away, some
               of them card tests or large, so every detector meets ties in arrival order;
  takeover     a stolen card used in a far city: 2 to 4 purchases of 1.6 to 2 times the user's
               habit, 10 to 40 minutes apart, the first 3 to 6 hours after the card was last
               seen at home. No rule sees it (too slow to be impossible travel, too small to be
               an unusual amount); the fraud model can (its distance from the card's first use).
Amounts sit on the rules' edges too: a sequence's tests are sometimes exactly $4.99 or $5.00
(not a test) and its large amount exactly $500.00 (not large) or $500.01; a velocity burst
sometimes ends with two transactions in its last millisecond; a far-away transaction is
sometimes exactly 2 hours after the one before (not impossible). Such unflagged ones carry no
label.
Lines are written in arrival order: event time plus a jitter of up to 3 s (so out of order, yet
within the 5 s watermark), a few events arrive minutes late, and a few lines are bad (malformed
JSON, missing fields, wrong types, negative or NaN amounts, null user ids).

Output: `transactions.jsonl` in --out, and `_labels.jsonl` beside it (line, transactionId,
scenario) for the injected transactions and the late and bad lines; the labels table of
confirmed fraud in --labels-out (`fraud_labels.jsonl`: transaction_id, label, label_time, the
chargeback's time, 1 hour to LABEL_DELAY_DAYS days after the transaction); or, with --kafka,
the lines produced to the `transactions` topic at --rate lines per second.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

if str(Path(__file__).resolve().parents[2]) not in sys.path:  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from runners.sample_data import sample_marker  # noqa: E402

CITIES = [
    ("New York", 40.7128, -74.0060), ("Los Angeles", 34.0522, -118.2437),
    ("Chicago", 41.8781, -87.6298), ("Houston", 29.7604, -95.3698),
    ("Toronto", 43.6532, -79.3832), ("Mexico City", 19.4326, -99.1332),
    ("Sao Paulo", -23.5505, -46.6333), ("London", 51.5074, -0.1278),
    ("Paris", 48.8566, 2.3522), ("Berlin", 52.5200, 13.4050),
    ("Madrid", 40.4168, -3.7038), ("Rome", 41.9028, 12.4964),
    ("Lagos", 6.5244, 3.3792), ("Cairo", 30.0444, 31.2357),
    ("Dubai", 25.2048, 55.2708), ("Mumbai", 19.0760, 72.8777),
    ("Singapore", 1.3521, 103.8198), ("Tokyo", 35.6762, 139.6503),
    ("Seoul", 37.5665, 126.9780), ("Sydney", -33.8688, 151.2093),
]
CATEGORIES = ["GROCERY", "RESTAURANT", "GAS", "RETAIL", "ONLINE", "TRAVEL", "PHARMACY",
              "ENTERTAINMENT", "UTILITIES", "ELECTRONICS"]
RISKY_CATEGORIES = ["WIRE_TRANSFER", "CRYPTO", "GIFT_CARDS"]
SCENARIOS = ["velocity", "amount", "travel", "sequence", "merchant", "tie", "takeover"]
# The scenarios that are fraud: a confirmed label (a chargeback) comes for each, later.
FRAUD = ("velocity", "amount", "travel", "sequence", "merchant", "takeover")
LABEL_DELAY_DAYS = 7
START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS
WAKING_HOURS = 16


@dataclass
class User:
    user_id: str
    card_number: str
    city: tuple[str, float, float]
    typical_amount: float
    wakes_at: int  # hour of day, UTC
    offset: tuple[float, float] = (0.0, 0.0)

    def location(self, city: tuple[str, float, float] | None = None):
        # Where the user's card is used in a city: one fixed spot, since the seed's travel rule
        # flags even a few km covered in seconds.
        name, lat, lon = city or self.city
        return name, round(lat + self.offset[0], 5), round(lon + self.offset[1], 5)


@dataclass
class Rates:
    """How often each scenario starts, per user-day; the share of late and bad lines; and whether
    a user's transactions may share a millisecond (the tie scenario, a burst's last two)."""
    scenario_per_user: float = 0.004
    late: float = 0.001
    bad: float = 0.001
    same_millisecond: bool = True


def make_users(count: int, rng: random.Random) -> list[User]:
    return [User(user_id=f"U{n:06d}", card_number=f"4{rng.randrange(10**14, 10**15)}",
                 city=rng.choice(CITIES), typical_amount=round(rng.lognormvariate(3.3, 0.7), 2),
                 wakes_at=rng.randrange(5, 10),
                 offset=(rng.uniform(-0.05, 0.05), rng.uniform(-0.05, 0.05)))
            for n in range(count)]


def transaction(rng: random.Random, user: User, ts: int, amount: float, category: str,
                city: tuple[str, float, float] | None = None) -> dict:
    name, lat, lon = user.location(city)
    return {"transactionId": f"T{ts:x}{rng.getrandbits(40):010x}", "userId": user.user_id,
            "cardNumber": user.card_number, "amount": round(amount, 2),
            "merchantId": f"M{rng.randrange(100000):05d}", "merchantCategory": category,
            "location": name, "latitude": lat, "longitude": lon, "timestamp": ts}


def ordinary(rng: random.Random, user: User, ts: int) -> dict:
    amount = max(1.0, rng.lognormvariate(0, 0.35) * user.typical_amount)
    return transaction(rng, user, ts, amount, rng.choice(CATEGORIES))


def far_city(user: User) -> tuple[str, float, float]:
    """The city farthest from the user's home, by a rough measure in degrees."""
    return max(CITIES, key=lambda c: abs(c[2] - user.city[2]) + abs(c[1] - user.city[1]))


def edge_or(rng: random.Random, edges: tuple[float, float], otherwise: float) -> float:
    """One of a rule's two edge amounts one time in five, otherwise `otherwise`."""
    return rng.choice(edges) if rng.random() < 0.2 else otherwise


def scenario(rng: random.Random, kind: str, user: User, ts: int,
             same_millisecond: bool = True) -> list[tuple[dict, str | None]]:
    """The transactions of one injected scenario starting at ts; the flagged ones are labelled."""
    if kind == "velocity":
        window = ts - ts % MINUTE_MS
        stamps = sorted(window + rng.randrange(MINUTE_MS) for _ in range(rng.randint(6, 9)))
        if rng.random() < 0.3 and same_millisecond:  # the burst's last millisecond twice
            stamps[-2] = stamps[-1]
        return [(ordinary(rng, user, s), kind) for s in stamps]
    if kind == "amount":
        history = [(ordinary(rng, user, ts + i * 7 * MINUTE_MS), None) for i in range(12)]
        big = transaction(rng, user, ts + 12 * 7 * MINUTE_MS,
                          user.typical_amount * rng.uniform(20, 60), "ELECTRONICS")
        return [*history, (big, kind)]
    if kind == "travel":
        far = far_city(user)
        first = ordinary(rng, user, ts)
        exactly_two_hours = rng.random() < 0.3
        after = 120 * MINUTE_MS if exactly_two_hours else rng.randrange(5, 60) * MINUTE_MS
        second = transaction(rng, user, ts + after, user.typical_amount,
                             rng.choice(CATEGORIES), city=far)
        return [(first, None), (second, None if exactly_two_hours else kind)]
    if kind == "sequence":
        amounts = [edge_or(rng, (4.99, 5.0), rng.uniform(0.5, 4.99))
                   for _ in range(rng.randint(3, 4))]
        tests = [(transaction(rng, user, ts + i * MINUTE_MS, amount, "ONLINE"), None)
                 for i, amount in enumerate(amounts)]
        large = edge_or(rng, (500.0, 500.01), rng.uniform(600, 3000))
        big = transaction(rng, user, ts + 10 * MINUTE_MS, large, "ELECTRONICS")
        flagged = sum(a < 5 for a in amounts) >= 3 and large > 500
        return [*tests, (big, kind if flagged else None)]
    if kind == "merchant":
        return [(transaction(rng, user, ts, user.typical_amount * 3, rng.choice(RISKY_CATEGORIES)),
                 kind)]
    if kind == "tie":
        far = far_city(user)
        tied = []
        for _ in range(rng.randint(2, 3)):
            amount = rng.choice([user.typical_amount, 1.5, 900.0])
            city = rng.choice([None, far])
            tied.append((transaction(rng, user, ts, amount, rng.choice(CATEGORIES), city=city),
                         None))
        return tied
    if kind == "takeover":
        far = far_city(user)
        home = ordinary(rng, user, ts)
        at = ts + rng.randrange(180, 360) * MINUTE_MS
        stolen = []
        for _ in range(rng.randint(2, 4)):
            stolen.append((transaction(rng, user, at, user.typical_amount * rng.uniform(1.6, 2.0),
                                       rng.choice(["ELECTRONICS", "ONLINE", "RETAIL"]), city=far),
                           kind))
            at += rng.randrange(10, 40) * MINUTE_MS
        return [(home, None), *stolen]
    raise ValueError(kind)


def bad_line(rng: random.Random, good: dict) -> str:
    broken = dict(good)
    fault = rng.randrange(6)
    if fault == 0:
        return json.dumps(good)[: rng.randrange(5, 40)]  # truncated: malformed JSON
    if fault == 1:
        broken.pop(rng.choice(["transactionId", "userId", "amount", "timestamp"]))
    elif fault == 2:
        broken["amount"] = "twelve"
    elif fault == 3:
        broken["amount"] = -abs(broken["amount"])
    elif fault == 4:
        return json.dumps(broken).replace(f'"amount": {json.dumps(broken["amount"])}',
                                          '"amount": NaN')
    else:
        broken["userId"] = None
    return json.dumps(broken)


def events(count: int, users: int, seed: int,
           rates: Rates) -> Iterator[tuple[int, str, str | None]]:
    """(arrival_ms, JSON line, label) in arrival order, about `count` of them."""
    rng = random.Random(seed)
    people = make_users(users, rng)
    per_user = max(1, count // users)
    # About 1.5 transactions per waking hour, over as many days as that takes.
    days = max(1, round(per_user / (1.5 * WAKING_HOURS)))
    produced: list[tuple[int, dict, str | None]] = []
    for user in people:
        n = 0
        while n < per_user:
            # Within the user's waking hours, on one of the days.
            ts = (START_MS + rng.randrange(days) * DAY_MS + user.wakes_at * HOUR_MS
                  + rng.randrange(WAKING_HOURS * HOUR_MS))
            if rng.random() < rates.scenario_per_user * per_user / 10:
                kinds = SCENARIOS if rates.same_millisecond else \
                    [k for k in SCENARIOS if k != "tie"]
                batch = scenario(rng, rng.choice(kinds), user, ts, rates.same_millisecond)
            else:
                batch = [(ordinary(rng, user, ts), None)]
            produced.extend((t["timestamp"], t, label) for t, label in batch)
            n += len(batch)
    arrivals = []
    for ts, record, label in produced:
        roll = rng.random()
        if roll < rates.late:
            arrival, label = ts + rng.randrange(2, 10) * MINUTE_MS, "late"
        else:
            arrival = ts + rng.randrange(3000)
        line = bad_line(rng, record) if rng.random() < rates.bad else json.dumps(record)
        if line != json.dumps(record):
            label = "bad"
        arrivals.append((arrival, record["transactionId"], line, label))
    arrivals.sort()
    for arrival, _, line, label in arrivals:
        yield arrival, line, label


def write_files(out: Path, count: int, users: int, seed: int, rates: Rates,
                labels_out: Path | None = None) -> int:
    """The lines, their scenario labels, and (with labels_out) the table of confirmed fraud."""
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    confirmed = []
    delays = random.Random(seed + 1)  # its own stream: the lines stay those of the seed
    with open(out / "transactions.jsonl", "w") as lines, open(out / "_labels.jsonl", "w") as labels:
        for _, line, label in events(count, users, seed, rates):
            lines.write(line + "\n")
            written += 1
            if label:
                try:
                    record = json.loads(line)
                except ValueError:
                    record = {}
                labels.write(json.dumps({"line": written,
                                         "transactionId": record.get("transactionId"),
                                         "scenario": label}) + "\n")
                if label in FRAUD:
                    delay = delays.randrange(HOUR_MS, LABEL_DELAY_DAYS * DAY_MS)
                    confirmed.append({"transaction_id": record["transactionId"],
                                      "label": "fraud", "label_time": record["timestamp"] + delay})
    if labels_out is not None:
        write_labels(labels_out, confirmed)
    return written


def write_labels(folder: Path, labels: list[dict]) -> None:
    """The labels table, replaced whole (a re-run does not add to it)."""
    folder.mkdir(parents=True, exist_ok=True)
    staged = folder / ".fraud_labels.jsonl.tmp"
    staged.write_text("".join(json.dumps(label) + "\n" for label in labels))
    staged.replace(folder / "fraud_labels.jsonl")


def ensure(count: int, out: Path, seed: int = 7, labels_out: Path | None = None) -> bool:
    """Generate unless `out` already holds lines made with these arguments by this generator;
    True if generated."""
    return sample_marker.ensure(out, Path(__file__),
                                {"transactions": count, "seed": seed,
                                 "labels_out": str(labels_out)},
                                lambda: write_files(out, count, max(1, count // 50), seed, Rates(),
                                                    labels_out))


# Idempotent, acknowledged by every in-sync replica: a broker restart while the generator runs
# neither loses a transaction nor writes one twice (the producer retries with sequence numbers).
PRODUCER_SETTINGS = {"enable.idempotence": True, "acks": "all", "linger.ms": 5}


class DeliveryFailed(RuntimeError):
    pass


def send(bootstrap: str, topic: str, lines: Iterable[str], rate: float = 0) -> int:
    """Produce the lines in order, keyed by user; with a rate, at about `rate` lines a second.

    Returns how many were sent once every one is acknowledged; raises DeliveryFailed, naming
    how many and why, if any was not (after the producer's own retries, 5 minutes by default).
    """
    from confluent_kafka import Producer

    failures: list[str] = []

    def delivered(error, _message) -> None:
        if error is not None:
            failures.append(str(error))

    producer = Producer({"bootstrap.servers": bootstrap, **PRODUCER_SETTINGS})
    started = time.monotonic()
    sent = 0
    for line in lines:
        key = _user_of(line)
        while True:
            try:
                producer.produce(topic, value=line.encode(), key=key.encode() if key else None,
                                 on_delivery=delivered)
                break
            except BufferError:  # the local queue is full (the broker is away): let it drain
                producer.poll(0.5)
        sent += 1
        if sent % 50 == 0:
            producer.poll(0)
            if rate > 0:
                time.sleep(max(0.0, sent / rate - (time.monotonic() - started)))
    producer.flush()
    if failures:
        raise DeliveryFailed(f"{len(failures)} of {sent} lines were not delivered to {topic}: "
                             f"{failures[0]}")
    return sent


def produce(bootstrap: str, topic: str, count: int, users: int, seed: int, rates: Rates,
            rate: float) -> int:
    return send(bootstrap, topic, (line for _, line, _ in events(count, users, seed, rates)), rate)


def _user_of(line: str) -> str | None:
    try:
        user = json.loads(line).get("userId")
    except (ValueError, AttributeError):
        return None
    return user if isinstance(user, str) else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=100_000, help="about how many")
    parser.add_argument("--users", type=int, default=0, help="default: transactions / 50")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("data/sample/transactions"))
    parser.add_argument("--labels-out", type=Path, default=Path("data/lake/fraud_labels"),
                        help="the labels table of confirmed fraud (with --out)")
    parser.add_argument("--kafka", metavar="BOOTSTRAP", help="produce to Kafka instead of files")
    parser.add_argument("--topic", default="transactions")
    parser.add_argument("--rate", type=float, default=0, help="lines per second to Kafka (0: max)")
    args = parser.parse_args(argv)
    users = args.users or max(1, args.transactions // 50)
    if args.kafka:
        try:
            sent = produce(args.kafka, args.topic, args.transactions, users, args.seed, Rates(),
                           args.rate)
        except DeliveryFailed as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(f"produced {sent:,} lines to {args.topic}")
    else:
        written = write_files(args.out, args.transactions, users, args.seed, Rates(),
                              args.labels_out)
        print(f"wrote {written:,} lines to {args.out / 'transactions.jsonl'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
