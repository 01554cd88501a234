package sqlplatform.udfs;

import java.util.Arrays;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.functions.AggregateFunction;

/**
 * {@code count_within(t, span) OVER (... ORDER BY event_time ROWS BETWEEN UNBOUNDED PRECEDING AND
 * CURRENT ROW)}: how many rows up to and including the current one have t > current t - span.
 *
 * <p>A sliding count over the running frame. A second OVER with RANGE BETWEEN INTERVAL PRECEDING
 * would keep every row in keyed state again and sort by time, not by arrival among ties; this
 * keeps only the times still inside the span. Rows arrive in the frame's order, so the oldest
 * leave from the front.
 *
 * <p>The accumulator is RAW: kept in state as the Java object, serialized only when a checkpoint
 * copies it. As a structured type, its array was converted element by element on every row.
 */
@FunctionHint(
        input = {@DataTypeHint("BIGINT"), @DataTypeHint("BIGINT")},
        accumulator = @DataTypeHint(value = "RAW", bridgedTo = CountWithin.Accumulator.class),
        output = @DataTypeHint("BIGINT"))
public class CountWithin extends AggregateFunction<Long, CountWithin.Accumulator> {

    /** The times inside the span of the latest row, oldest first: times[0 .. count). */
    public static class Accumulator {
        public long[] times = new long[8];
        public int count;
    }

    @Override
    public Accumulator createAccumulator() {
        return new Accumulator();
    }

    public void accumulate(Accumulator accumulator, Long time, Long span) {
        if (time == null) {
            return;
        }
        long[] times = accumulator.times;
        int expired = 0;
        while (expired < accumulator.count && times[expired] <= time - span) {
            expired++;
        }
        int kept = accumulator.count - expired;
        if (kept + 1 > times.length) {
            times = Arrays.copyOf(times, 2 * times.length);
        }
        System.arraycopy(accumulator.times, expired, times, 0, kept);
        times[kept] = time;
        accumulator.times = times;
        accumulator.count = kept + 1;
    }

    @Override
    public Long getValue(Accumulator accumulator) {
        return (long) accumulator.count;
    }
}
