package sqlplatform.connectors;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.connector.jdbc.core.table.JdbcDynamicTableFactory;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.sink.DynamicTableSink;
import org.apache.flink.table.connector.sink.legacy.SinkFunctionProvider;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.factories.DynamicTableSinkFactory;

import java.util.Set;

/**
 * {@code 'connector' = 'restartable-jdbc'}: the JDBC connector's sink, with every option of
 * {@code 'connector' = 'jdbc'}, that survives a failover while its database is down.
 *
 * <p>The JDBC sink of flink-connector-jdbc 4.0 throws its write error again from {@code close()},
 * which Flink calls while cleaning up the failed task. A task whose clean-up throws is a fatal
 * error: the TaskManager stops, and an in-process MiniCluster has no other one, so the job waits
 * for slots and never recovers (stopping PostgreSQL for 20 s did this). Here the sink flushes at
 * end of input, where an error still fails the job, and a failed flush during clean-up is logged:
 * the rows since the last checkpoint are replayed from it and upserted again.
 */
public class RestartableJdbcTableFactory implements DynamicTableSinkFactory {

    public static final String IDENTIFIER = "restartable-jdbc";

    private final JdbcDynamicTableFactory jdbc = new JdbcDynamicTableFactory();

    @Override
    public String factoryIdentifier() {
        return IDENTIFIER;
    }

    @Override
    public Set<ConfigOption<?>> requiredOptions() {
        return jdbc.requiredOptions();
    }

    @Override
    public Set<ConfigOption<?>> optionalOptions() {
        return jdbc.optionalOptions();
    }

    @Override
    public Set<ConfigOption<?>> forwardOptions() {
        return jdbc.forwardOptions();
    }

    @Override
    public DynamicTableSink createDynamicTableSink(Context context) {
        return new Sink(jdbc.createDynamicTableSink(context));
    }

    /** The JDBC table sink, its sink function wrapped. */
    private static final class Sink implements DynamicTableSink {
        private final DynamicTableSink jdbcSink;

        Sink(DynamicTableSink jdbcSink) {
            this.jdbcSink = jdbcSink;
        }

        @Override
        public ChangelogMode getChangelogMode(ChangelogMode requestedMode) {
            return jdbcSink.getChangelogMode(requestedMode);
        }

        @Override
        public SinkRuntimeProvider getSinkRuntimeProvider(Context context) {
            SinkRuntimeProvider provider = jdbcSink.getSinkRuntimeProvider(context);
            if (!(provider instanceof SinkFunctionProvider)) {
                throw new IllegalStateException(
                        "restartable-jdbc wraps the JDBC connector's SinkFunction, which this "
                                + "connector version no longer returns: " + provider);
            }
            SinkFunctionProvider functions = (SinkFunctionProvider) provider;
            return SinkFunctionProvider.of(
                    new RestartableSinkFunction<RowData>(functions.createSinkFunction()),
                    functions.getParallelism().orElse(null));
        }

        @Override
        public DynamicTableSink copy() {
            return new Sink(jdbcSink.copy());
        }

        @Override
        public String asSummaryString() {
            return "restartable " + jdbcSink.asSummaryString();
        }
    }
}
