package sqlplatform.udfs;

import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.functions.ScalarFunction;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code partition_watermark(source_partition, event_time, bound_millis)}: the watermark of the
 * line's own partition (a Kafka partition, or a file) when the line arrives, that is the latest event time of the partition's
 * earlier lines minus the bound; NULL for a partition's first line. A line is late when its
 * event time is at or behind it.
 *
 * <p>Why not Flink's {@code CURRENT_WATERMARK}: a reader holding several partitions (more
 * partitions than readers) emits the smallest of their watermarks, so whether a line is late
 * would depend on how far the reader had read the other partitions, which is a matter of fetch
 * timing. This depends only on the partition's own order, which Kafka keeps. It is never behind
 * Flink's watermark downstream (a minimum over partitions), so a line it lets through is never
 * dropped by a detector. With one partition per reader it equals {@code CURRENT_WATERMARK}.
 *
 * <p>It keeps a value per partition for this subtask: each partition is read by one reader, in
 * order, and a Calc chained to the reader calls this once per line. Like Flink's watermark, the
 * values are not checkpointed: after a restore each partition starts again from NULL.
 */
public class PartitionWatermark extends ScalarFunction {
    private static final long serialVersionUID = 1L;

    private final Map<Object, Long> latestOfPartition = new HashMap<>();

    /** A Kafka partition's number. */
    public @DataTypeHint("TIMESTAMP_LTZ(3)") Instant eval(
            Integer sourcePartition,
            @DataTypeHint("TIMESTAMP_LTZ(3)") Instant eventTime,
            Long boundMillis) {
        return watermarkBefore(sourcePartition, eventTime, boundMillis);
    }

    /** A file's path. */
    public @DataTypeHint("TIMESTAMP_LTZ(3)") Instant eval(
            String sourcePartition,
            @DataTypeHint("TIMESTAMP_LTZ(3)") Instant eventTime,
            Long boundMillis) {
        return watermarkBefore(sourcePartition, eventTime, boundMillis);
    }

    private Instant watermarkBefore(Object sourcePartition, Instant eventTime, long boundMillis) {
        Long latest = latestOfPartition.get(sourcePartition);
        if (eventTime != null) {
            long candidate = eventTime.toEpochMilli() - boundMillis;
            if (latest == null || candidate > latest) {
                latestOfPartition.put(sourcePartition, candidate);
            }
        }
        return latest == null ? null : Instant.ofEpochMilli(latest);
    }

    @Override
    public boolean isDeterministic() {
        // Its answer depends on the lines before: the planner must neither fold nor repeat it.
        return false;
    }
}
