package sqlplatform.udfs;

import org.apache.flink.table.functions.AggregateFunction;

/**
 * {@code sum_of_previous(x) OVER (... ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)}: the sum
 * of x over the rows before the current one, added in the window's order; 0 on the first row.
 *
 * <p>Flink rejects a frame ending at 1 PRECEDING, and SUM(x) - x can differ from the sum of the
 * rows before in the last bit; this is the running total a keyed process function would hold
 * before adding the current row. NULL values add nothing.
 */
public class SumOfPrevious extends AggregateFunction<Double, SumOfPrevious.Accumulator> {

    /** The sum of every value accumulated, and the sum before the last one. */
    public static class Accumulator {
        public double sum;
        public double before;
    }

    @Override
    public Accumulator createAccumulator() {
        return new Accumulator();
    }

    public void accumulate(Accumulator accumulator, Double value) {
        accumulator.before = accumulator.sum;
        if (value != null) {
            accumulator.sum += value;
        }
    }

    @Override
    public Double getValue(Accumulator accumulator) {
        return accumulator.before;
    }
}
