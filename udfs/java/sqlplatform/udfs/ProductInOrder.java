package sqlplatform.udfs;

import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.functions.AggregateFunction;
import org.apache.flink.types.Row;

/**
 * {@code product_in_order(x, position)}: the product of the group's x, multiplied from left to
 * right in the order of position (then of x); NULL values are skipped, and a group without a
 * value gives NULL.
 *
 * <p>Floating-point products depend on the order of their factors, so an aggregate that
 * multiplied in arrival order could give the same rows two results in their last bits. In this
 * order, the result is bit for bit {@code x1 * x2 * ... * xn} written out in SQL.
 */
@FunctionHint(
        input = {@DataTypeHint("DOUBLE"), @DataTypeHint("INT")},
        accumulator = @DataTypeHint("ROW<positions ARRAY<INT>, factors ARRAY<DOUBLE>>"),
        output = @DataTypeHint("DOUBLE"))
public class ProductInOrder extends AggregateFunction<Double, Row> {

    @Override
    public Row createAccumulator() {
        return Row.of(new Integer[0], new Double[0]);
    }

    public void accumulate(Row accumulator, Double factor, Integer position) {
        if (factor != null) {
            PositionOrder.append(accumulator, factor, position);
        }
    }

    @Override
    public Double getValue(Row accumulator) {
        Double[] factors = PositionOrder.order(accumulator);
        if (factors.length == 0) {
            return null;
        }
        double product = factors[0];
        for (int i = 1; i < factors.length; i++) {
            product *= factors[i];
        }
        return product;
    }
}
