package sqlplatform.udfs;

import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.functions.AggregateFunction;

/**
 * {@code count_below_among_previous(x, bound, n) OVER (... ROWS BETWEEN UNBOUNDED PRECEDING AND
 * CURRENT ROW)}: how many of the n rows before the current one have x < bound (fewer rows at the
 * start of the frame; NULL values are not below). n is at most 62.
 *
 * <p>The seed's sequence detector looks at the user's last five amounts this way; a ROWS BETWEEN
 * n PRECEDING frame would keep every row in keyed state a second time. This keeps n + 1 bits in
 * one long: an array in the accumulator cost a conversion of its every element on every row.
 */
@FunctionHint(
        input = {@DataTypeHint("DOUBLE"), @DataTypeHint("DOUBLE"), @DataTypeHint("INT")},
        output = @DataTypeHint("BIGINT"))
public class CountBelowAmongPrevious
        extends AggregateFunction<Long, CountBelowAmongPrevious.Accumulator> {

    /** The widest n: the current row's bit and n more fit in a long's 63 low bits. */
    public static final int MOST_PREVIOUS = 62;

    /** Bit 0: whether the current row is below the bound; bit i: the row i rows before it. */
    public static class Accumulator {
        public long below;
    }

    @Override
    public Accumulator createAccumulator() {
        return new Accumulator();
    }

    public void accumulate(Accumulator accumulator, Double value, Double bound, Integer n) {
        if (n == null || n < 0 || n > MOST_PREVIOUS) {
            throw new IllegalArgumentException("count_below_among_previous: n is " + n
                    + "; it must be from 0 to " + MOST_PREVIOUS);
        }
        long current = value != null && value < bound ? 1L : 0L;
        long kept = (1L << (n + 1)) - 1;  // the current row and the n before it
        accumulator.below = ((accumulator.below << 1) | current) & kept;
    }

    @Override
    public Long getValue(Accumulator accumulator) {
        return (long) Long.bitCount(accumulator.below >>> 1);
    }
}
