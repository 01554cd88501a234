"""The fraud job through a burst: the platform job at a steady rate, then ten times it for 30 s.

    python benchmarks/fraud_burst.py [--rate 1000] [--factor 10] [--burst-seconds 30] [--repeat 3]

The job runs as deployed (runners/flink_sql.py --profile platform: Kafka in, exactly-once Kafka
out, the warehouse over JDBC in the PostgreSQL of runners/services/local_postgres.py). The
generator's producer sends --rate lines/s for --before seconds, --factor times that for
--burst-seconds, then --rate again for --after seconds. Every second the benchmark reads the
input topic's end offset and the offset the job's consumer group has committed (the Kafka source
commits at each completed checkpoint, so the lag is exact to one checkpoint interval). It prints:
- the peak consumer lag, in records and in seconds of steady input;
- the catch-up time: from the burst's last record to the job's committed offset passing it;
- whether a read_committed consumer of fraud-alerts then holds exactly the reference's alerts
  (tests/flink/seed_rules.py), each once: the job may fall behind, but loses nothing.
Each run is a new job on a new topic; the figures are medians of --repeat runs, and the exit
status is 1 if any run's alerts differ from the reference.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from runners.engines import flink_env  # noqa: E402

if __name__ == "__main__":  # started from the main environment: go on in the Flink one
    flink_env.hand_over(__file__, sys.argv[1:])

DATA = REPO / "data" / "bench"


def committed_offset(broker: str, group: str, topic: str) -> int:
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": broker, "group.id": group,
                         "enable.auto.commit": False})
    try:
        [partition] = consumer.committed([TopicPartition(topic, 0)], timeout=5)
        return max(partition.offset, 0)
    finally:
        consumer.close()


def burst_run(args: argparse.Namespace) -> dict:
    """One run: the job started, the three phases produced, the lag sampled, alerts checked."""
    from runners.engines.flink_sql import latest_checkpoint
    from runners.sample_data.generate_transactions import Rates, events, send
    from runners.services import kafka_broker, local_postgres
    from tests.flink import seed_rules
    from tests.flink.platform_io import (
        consume_committed,
        create_job_topics,
        new_warehouse,
        partition_offsets,
    )
    from tests.flink.platform_job import closing_line, start_job
    from tests.flink.test_fraud_end_to_end import alert_set

    phases = [(args.rate, args.before), (args.rate * args.factor, args.burst_seconds),
              (args.rate, args.after)]
    total = int(sum(rate * seconds for rate, seconds in phases))
    lines = [line for _, line, _ in events(total, max(1, total // 50), 31,
                                           Rates(late=0, same_millisecond=False))]
    lines.append(closing_line(lines))
    cuts = [0]
    for rate, seconds in phases:
        cuts.append(min(len(lines), cuts[-1] + int(rate * seconds)))
    cuts[-1] = len(lines)

    broker = kafka_broker.start()
    topic = f"burst-{uuid.uuid4().hex[:8]}"
    group = topic  # start_job names the consumer group after the topic
    create_job_topics(topic)
    DATA.mkdir(parents=True, exist_ok=True)
    checkpoints = DATA / "checkpoints" / topic
    log = DATA / f"{topic}.log"
    job = start_job(broker, new_warehouse(local_postgres.start())[2], topic, checkpoints, log,
                    bounded=False, restore=False,
                    env={"FLINK_CHECKPOINT_INTERVAL": args.checkpoint_interval})
    samples: list[tuple[float, int, int]] = []  # (seconds, end offset, committed offset)
    marks: dict[str, float] = {}
    try:
        deadline = time.monotonic() + 180
        while latest_checkpoint(checkpoints.as_uri()) is None:
            if job.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the job did not start:\n{log.read_text()[-3000:]}")
            time.sleep(1)
        started = time.monotonic()
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                samples.append((time.monotonic() - started, partition_offsets(broker, topic)[1],
                                committed_offset(broker, group, topic)))
                time.sleep(1)

        sampler = threading.Thread(target=sample)
        sampler.start()
        for (rate, _), name, first, last in zip(phases, ["before", "burst", "after"], cuts[:-1],
                                                cuts[1:], strict=True):
            began = time.monotonic()
            send(broker, topic, lines[first:last], rate)
            marks[name] = time.monotonic() - started
            print(f"  {name:>6}: {last - first:,} lines in {time.monotonic() - began:.1f} s "
                  f"({(last - first) / (time.monotonic() - began):,.0f}/s)", flush=True)
        burst_end_offset = cuts[2]
        deadline = time.monotonic() + 300
        while committed_offset(broker, group, topic) < len(lines) and time.monotonic() < deadline:
            time.sleep(1)
        time.sleep(6)
        stop.set()
        sampler.join()
        got = consume_committed(broker, f"{topic}-alerts")
    finally:
        os.killpg(job.pid, signal.SIGKILL)
        job.wait()

    expected = seed_rules.expected_of_job(lines)["fraud_alerts"]
    peak_at, peak_end, peak_committed = max(samples, key=lambda s: s[1] - s[2])
    caught_up = next((at for at, _, done in samples if done >= burst_end_offset), None)
    exact = alert_set(got) == alert_set(expected) and len(got) == len(expected)
    run = {"peak_lag": peak_end - peak_committed, "peak_at_s": round(peak_at),
           "burst_s": (round(marks["before"]), round(marks["burst"])),
           "catch_up_s": None if caught_up is None else round(caught_up - marks["burst"], 1),
           "alerts": len(got), "expected": len(expected), "exact": exact}
    print(f"  peak lag {run['peak_lag']:,} records {run['peak_at_s']} s into the stream "
          f"(burst {run['burst_s'][0]}-{run['burst_s'][1]} s); caught up "
          f"{run['catch_up_s']} s after the burst; alerts {len(got):,} of {len(expected):,}, "
          f"{'every one once' if exact else 'NOT THE SAME'}", flush=True)
    return run



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=1000, help="steady lines/s")
    parser.add_argument("--factor", type=float, default=10, help="the burst's rate / --rate")
    parser.add_argument("--before", type=float, default=20, help="seconds before the burst")
    parser.add_argument("--burst-seconds", type=float, default=30)
    parser.add_argument("--after", type=float, default=60, help="seconds after the burst")
    parser.add_argument("--checkpoint-interval", default="2 s")
    parser.add_argument("--repeat", type=int, default=3, help="runs; medians are printed")
    args = parser.parse_args(argv)
    runs = []
    for number in range(1, args.repeat + 1):
        print(f"run {number} of {args.repeat}", flush=True)
        runs.append(burst_run(args))
    lags = [r["peak_lag"] for r in runs]
    catch_ups = [r["catch_up_s"] for r in runs if r["catch_up_s"] is not None]
    print(f"steady {args.rate:,.0f}/s, burst {args.rate * args.factor:,.0f}/s for "
          f"{args.burst_seconds:.0f} s, checkpoints every {args.checkpoint_interval}; "
          f"medians of {len(runs)}:")
    print(f"  peak consumer lag {statistics.median(lags):,.0f} records "
          f"({statistics.median(lags) / args.rate:.0f} s of steady input; runs {lags})")
    print(f"  caught up {statistics.median(catch_ups) if catch_ups else 'never'} s after the "
          f"burst's last record (runs {[r['catch_up_s'] for r in runs]}; to the checkpoint "
          f"interval)")
    exact = all(r["exact"] for r in runs)
    print(f"  alerts: {'every one once in every run' if exact else 'NOT THE SAME in a run'}")
    return 0 if exact else 1



if __name__ == "__main__":
    sys.exit(main())
