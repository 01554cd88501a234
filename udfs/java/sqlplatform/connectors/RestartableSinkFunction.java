package sqlplatform.connectors;

import org.apache.flink.api.common.ExecutionConfig;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFunction;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.InputTypeConfigurable;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.sink.legacy.RichSinkFunction;
import org.apache.flink.streaming.api.functions.sink.legacy.SinkFunction;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A checkpointed sink function whose {@code close()} never throws after a failure.
 *
 * <p>It flushes in {@code finish()} (end of input, through the sink's checkpoint flush), so an
 * error there still fails the job; {@code close()} then has nothing left to write. On the failure
 * and cancel paths, an error from {@code close()} is logged instead of ending the TaskManager:
 * the job restarts from its last checkpoint, whose flush wrote every row before it.
 */
public class RestartableSinkFunction<T> extends RichSinkFunction<T>
        implements CheckpointedFunction, InputTypeConfigurable {

    private static final Logger LOG = LoggerFactory.getLogger(RestartableSinkFunction.class);

    private final SinkFunction<T> sink;
    private boolean finished;

    public RestartableSinkFunction(SinkFunction<T> sink) {
        if (!(sink instanceof CheckpointedFunction)) {
            throw new IllegalArgumentException(
                    "only a sink that flushes at checkpoints can skip its last flush: " + sink);
        }
        this.sink = sink;
    }

    @Override
    public void setRuntimeContext(RuntimeContext context) {
        super.setRuntimeContext(context);
        if (sink instanceof RichFunction) {
            ((RichFunction) sink).setRuntimeContext(context);
        }
    }

    @Override
    public void setInputType(TypeInformation<?> type, ExecutionConfig executionConfig) {
        if (sink instanceof InputTypeConfigurable) {
            ((InputTypeConfigurable) sink).setInputType(type, executionConfig);
        }
    }

    @Override
    public void open(OpenContext context) throws Exception {
        if (sink instanceof RichFunction) {
            ((RichFunction) sink).open(context);
        }
    }

    @Override
    public void invoke(T value, Context context) throws Exception {
        sink.invoke(value, context);
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        ((CheckpointedFunction) sink).initializeState(context);
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        ((CheckpointedFunction) sink).snapshotState(context);
    }

    @Override
    public void finish() throws Exception {
        sink.finish();
        // The JDBC sink's snapshotState is its flush; it does not read the context.
        ((CheckpointedFunction) sink).snapshotState(null);
        finished = true;
    }

    @Override
    public void close() throws Exception {
        try {
            if (sink instanceof RichFunction) {
                ((RichFunction) sink).close();
            }
        } catch (Exception error) {
            if (finished) {
                throw error;
            }
            LOG.warn(
                    "{} could not write its last rows while the task stopped; the job restarts "
                            + "from its last checkpoint and writes them again",
                    sink.getClass().getSimpleName(),
                    error);
        }
    }
}
