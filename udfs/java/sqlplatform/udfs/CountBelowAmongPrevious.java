package sqlplatform.udfs;

import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.functions.AggregateFunction;

/**
 * {@code count_below_among_previous(x, bound, n) OVER (... ROWS BETWEEN UNBOUNDED PRECEDING AND
 * CURRENT ROW)}: how many of the n rows before the current one have x < bound (fewer rows at the
 * start of the frame; NULL values are not below).
 *
 * <p>The seed's sequence detector looks at the user's last five amounts this way; a ROWS BETWEEN
 * n PRECEDING frame would keep every row in keyed state a second time. This keeps n flags.
 */
@FunctionHint(
        input = {@DataTypeHint("DOUBLE"), @DataTypeHint("DOUBLE"), @DataTypeHint("INT")},
        output = @DataTypeHint("BIGINT"))
public class CountBelowAmongPrevious
        extends AggregateFunction<Long, CountBelowAmongPrevious.Accumulator> {

    /** Of the rows before the current one, the latest n: below[i] says whether row i was below
     * the bound, oldest first; and whether the current row is. */
    public static class Accumulator {
        public boolean[] below = new boolean[0];
        public boolean currentBelow;
        public boolean started;
    }

    @Override
    public Accumulator createAccumulator() {
        return new Accumulator();
    }

    public void accumulate(Accumulator accumulator, Double value, Double bound, Integer n) {
        if (accumulator.started) {  // the row that was current is now one of the previous
            boolean[] before = accumulator.below;
            int kept = Math.max(0, Math.min(before.length, n - 1));
            boolean[] below = new boolean[n > 0 ? kept + 1 : 0];
            System.arraycopy(before, before.length - kept, below, 0, kept);
            if (n > 0) {
                below[kept] = accumulator.currentBelow;
            }
            accumulator.below = below;
        }
        accumulator.started = true;
        accumulator.currentBelow = value != null && value < bound;
    }

    @Override
    public Long getValue(Accumulator accumulator) {
        long count = 0;
        for (boolean below : accumulator.below) {
            count += below ? 1 : 0;
        }
        return count;
    }
}
