package sqlplatform.connectors;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamSource;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.transformations.SourceTransformation;
import org.apache.flink.streaming.connectors.kafka.table.KafkaDynamicTableFactory;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.ProviderContext;
import org.apache.flink.table.connector.source.DataStreamScanProvider;
import org.apache.flink.table.connector.source.DynamicTableSource;
import org.apache.flink.table.connector.source.ScanTableSource;
import org.apache.flink.table.connector.source.abilities.SupportsReadingMetadata;
import org.apache.flink.table.connector.source.abilities.SupportsWatermarkPushDown;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.factories.DynamicTableSourceFactory;
import org.apache.flink.table.types.DataType;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code 'connector' = 'kafka-spare-readers-idle'}: the Kafka connector's source, with every option
 * of {@code 'connector' = 'kafka'}, whose readers left without a partition are idle instead of
 * holding the watermark back (see {@link SpareReadersIdleSource}). So a job can read a topic of
 * fewer partitions than its parallelism, each reader chained to what follows it.
 */
public class KafkaSpareReadersIdleTableFactory implements DynamicTableSourceFactory {

    public static final String IDENTIFIER = "kafka-spare-readers-idle";

    private final KafkaDynamicTableFactory kafka = new KafkaDynamicTableFactory();

    @Override
    public String factoryIdentifier() {
        return IDENTIFIER;
    }

    @Override
    public Set<ConfigOption<?>> requiredOptions() {
        return kafka.requiredOptions();
    }

    @Override
    public Set<ConfigOption<?>> optionalOptions() {
        return kafka.optionalOptions();
    }

    @Override
    public Set<ConfigOption<?>> forwardOptions() {
        return kafka.forwardOptions();
    }

    @Override
    public DynamicTableSource createDynamicTableSource(Context context) {
        return new TableSource(kafka.createDynamicTableSource(context));
    }

    /** Kafka's table source; its DataStream's source wrapped. */
    private static final class TableSource
            implements ScanTableSource, SupportsReadingMetadata, SupportsWatermarkPushDown {
        private final DynamicTableSource kafkaSource;

        TableSource(DynamicTableSource kafkaSource) {
            this.kafkaSource = kafkaSource;
        }

        @Override
        public ChangelogMode getChangelogMode() {
            return ((ScanTableSource) kafkaSource).getChangelogMode();
        }

        @Override
        public ScanRuntimeProvider getScanRuntimeProvider(ScanContext context) {
            ScanRuntimeProvider provider =
                    ((ScanTableSource) kafkaSource).getScanRuntimeProvider(context);
            if (!(provider instanceof DataStreamScanProvider)) {
                throw new IllegalStateException(
                        IDENTIFIER + " wraps the Kafka connector's DataStream source, which this "
                                + "connector version no longer returns: " + provider);
            }
            DataStreamScanProvider kafkaProvider = (DataStreamScanProvider) provider;
            return new DataStreamScanProvider() {
                @Override
                public DataStream<RowData> produceDataStream(
                        ProviderContext providerContext, StreamExecutionEnvironment env) {
                    return wrapped(kafkaProvider.produceDataStream(providerContext, env), env);
                }

                @Override
                public boolean isBounded() {
                    return kafkaProvider.isBounded();
                }

                @Override
                public Optional<Integer> getParallelism() {
                    return kafkaProvider.getParallelism(); // scan.parallelism
                }
            };
        }

        @SuppressWarnings({"unchecked", "rawtypes"})
        private static DataStream<RowData> wrapped(
                DataStream<RowData> kafkaStream, StreamExecutionEnvironment env) {
            SourceTransformation<RowData, ?, ?> kafka =
                    (SourceTransformation<RowData, ?, ?>) kafkaStream.getTransformation();
            WatermarkStrategy<RowData> watermarks = kafka.getWatermarkStrategy();
            DataStreamSource<RowData> source =
                    env.fromSource(
                            new SpareReadersIdleSource(kafka.getSource()),
                            watermarks,
                            kafka.getName(),
                            kafka.getOutputType());
            if (kafka.getUid() != null) {
                source.uid(kafka.getUid());
            }
            return source;
        }

        @Override
        public DynamicTableSource copy() {
            return new TableSource(kafkaSource.copy());
        }

        @Override
        public String asSummaryString() {
            return IDENTIFIER;
        }

        @Override
        public Map<String, DataType> listReadableMetadata() {
            return ((SupportsReadingMetadata) kafkaSource).listReadableMetadata();
        }

        @Override
        public void applyReadableMetadata(List<String> metadataKeys, DataType producedDataType) {
            ((SupportsReadingMetadata) kafkaSource)
                    .applyReadableMetadata(metadataKeys, producedDataType);
        }

        @Override
        public boolean supportsMetadataProjection() {
            return ((SupportsReadingMetadata) kafkaSource).supportsMetadataProjection();
        }

        @Override
        public void applyWatermark(WatermarkStrategy<RowData> watermarkStrategy) {
            ((SupportsWatermarkPushDown) kafkaSource).applyWatermark(watermarkStrategy);
        }
    }
}
