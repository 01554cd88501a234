package sqlplatform.udfs;

import java.util.Arrays;
import java.util.Comparator;
import org.apache.flink.types.Row;

/**
 * The accumulator of the in-order aggregates (join_in_order, product_in_order): field 0 holds
 * the positions, field 1 the values, in arrival order; {@link #order} gives them sorted by
 * position, then by value, so the result never depends on the order the rows arrived in.
 */
final class PositionOrder {

    private PositionOrder() {}

    /** Appends a value and its position to the accumulator's two arrays (few rows per group). */
    static <V> void append(Row accumulator, V value, Integer position) {
        Integer[] positions = (Integer[]) accumulator.getField(0);
        @SuppressWarnings("unchecked")
        V[] values = (V[]) accumulator.getField(1);
        Integer[] morePositions = Arrays.copyOf(positions, positions.length + 1);
        V[] moreValues = Arrays.copyOf(values, values.length + 1);
        morePositions[positions.length] = position;
        moreValues[values.length] = value;
        accumulator.setField(0, morePositions);
        accumulator.setField(1, moreValues);
    }

    /** The accumulated values, by position (NULL positions last), then by value. */
    static <V extends Comparable<V>> V[] order(Row accumulator) {
        Integer[] positions = (Integer[]) accumulator.getField(0);
        @SuppressWarnings("unchecked")
        V[] values = (V[]) accumulator.getField(1);
        Integer[] order = new Integer[values.length];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.<Integer, Integer>comparing(
                        i -> positions[i], Comparator.nullsLast(Comparator.naturalOrder()))
                .thenComparing(i -> values[i]));
        V[] sorted = Arrays.copyOf(values, values.length);
        for (int i = 0; i < order.length; i++) {
            sorted[i] = values[order[i]];
        }
        return sorted;
    }
}
