package sqlplatform.connectors;

import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.connector.source.SplitsAssignment;
import org.apache.flink.api.connector.source.ReaderInfo;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.metrics.groups.SplitEnumeratorMetricGroup;

import java.io.IOException;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

/**
 * A source whose readers left without a split once the enumerator has handed out its splits mark
 * themselves idle, so that they no longer hold the job's watermark back. Everything else is the
 * wrapped source's.
 *
 * <p>Why: a topic of P partitions read by N > P readers leaves N - P of them without one. Kafka's
 * unbounded source neither finishes them nor marks them idle, so their watermark stays at its
 * start and every event-time window waits forever. An idle timeout would release them, but also
 * any reader whose partitions go quiet for a while, and idleness is what once dropped alerts in
 * this job (docs/fraud-detection.md, "Watermarks and known limits"). A reader without a split is
 * different: it has nothing to say, ever, so it is idle for good.
 *
 * <p>When: the enumerator runs its work in {@code callAsync}; once none is outstanding, the splits
 * of that discovery are assigned, and each registered reader (and any that registers later) is
 * told {@link IdleIfWithoutSplits}. A reader marks itself idle only if it has no split then: one
 * restored with its splits from a checkpoint keeps them. A reader must not go idle before that
 * point: its split, when it came, would find the other readers' watermark ahead of its records.
 */
public final class SpareReadersIdleSource<T, SplitT extends SourceSplit, CheckpointT>
        implements Source<T, SplitT, CheckpointT> {
    private static final long serialVersionUID = 1L;

    private final Source<T, SplitT, CheckpointT> source;

    public SpareReadersIdleSource(Source<T, SplitT, CheckpointT> source) {
        this.source = source;
    }

    /** Sent by the enumerator to each reader once the splits are handed out. */
    public static final class IdleIfWithoutSplits implements SourceEvent {
        private static final long serialVersionUID = 1L;
    }

    @Override
    public Boundedness getBoundedness() {
        return source.getBoundedness();
    }

    @Override
    public SplitEnumerator<SplitT, CheckpointT> createEnumerator(
            SplitEnumeratorContext<SplitT> context) throws Exception {
        TellingContext<SplitT> telling = new TellingContext<>(context);
        return new Enumerator<>(source.createEnumerator(telling), telling);
    }

    @Override
    public SplitEnumerator<SplitT, CheckpointT> restoreEnumerator(
            SplitEnumeratorContext<SplitT> context, CheckpointT checkpoint) throws Exception {
        TellingContext<SplitT> telling = new TellingContext<>(context);
        return new Enumerator<>(source.restoreEnumerator(telling, checkpoint), telling);
    }

    @Override
    public SimpleVersionedSerializer<SplitT> getSplitSerializer() {
        return source.getSplitSerializer();
    }

    @Override
    public SimpleVersionedSerializer<CheckpointT> getEnumeratorCheckpointSerializer() {
        return source.getEnumeratorCheckpointSerializer();
    }

    @Override
    public SourceReader<T, SplitT> createReader(SourceReaderContext context) throws Exception {
        return new Reader<>(source.createReader(context));
    }

    /**
     * The enumerator's context, counting its outstanding asynchronous work: when the count falls
     * back to 0, what that work discovered is assigned, and the readers are told.
     */
    private static final class TellingContext<SplitT extends SourceSplit>
            implements SplitEnumeratorContext<SplitT> {
        private final SplitEnumeratorContext<SplitT> context;
        private int outstanding;
        private boolean assigned;

        TellingContext(SplitEnumeratorContext<SplitT> context) {
            this.context = context;
        }

        boolean assigned() {
            return assigned;
        }

        void tell(int subtask) {
            context.sendEventToSourceReader(subtask, new IdleIfWithoutSplits());
        }

        private <V> BiConsumer<V, Throwable> counted(BiConsumer<V, Throwable> handler) {
            outstanding++;
            return (value, error) -> {
                try {
                    handler.accept(value, error);
                } finally {
                    outstanding--;
                    if (outstanding == 0 && error == null) {
                        assigned = true;
                        context.registeredReaders().keySet().forEach(this::tell);
                    }
                }
            };
        }

        @Override
        public <V> void callAsync(Callable<V> callable, BiConsumer<V, Throwable> handler) {
            context.callAsync(callable, counted(handler));
        }

        @Override
        public <V> void callAsync(
                Callable<V> callable, BiConsumer<V, Throwable> handler, long delay, long period) {
            // Periodic discovery (new partitions): not counted, it never ends.
            context.callAsync(callable, handler, delay, period);
        }

        @Override
        public SplitEnumeratorMetricGroup metricGroup() {
            return context.metricGroup();
        }

        @Override
        public void sendEventToSourceReader(int subtaskId, SourceEvent event) {
            context.sendEventToSourceReader(subtaskId, event);
        }

        @Override
        public void sendEventToSourceReader(int subtaskId, int attemptNumber, SourceEvent event) {
            context.sendEventToSourceReader(subtaskId, attemptNumber, event);
        }

        @Override
        public int currentParallelism() {
            return context.currentParallelism();
        }

        @Override
        public Map<Integer, ReaderInfo> registeredReaders() {
            return context.registeredReaders();
        }

        @Override
        public Map<Integer, Map<Integer, ReaderInfo>> registeredReadersOfAttempts() {
            return context.registeredReadersOfAttempts();
        }

        @Override
        public void assignSplits(SplitsAssignment<SplitT> assignment) {
            context.assignSplits(assignment);
        }

        @Override
        public void signalNoMoreSplits(int subtask) {
            context.signalNoMoreSplits(subtask);
        }

        @Override
        public void runInCoordinatorThread(Runnable runnable) {
            context.runInCoordinatorThread(runnable);
        }

        @Override
        public void setIsProcessingBacklog(boolean isProcessingBacklog) {
            context.setIsProcessingBacklog(isProcessingBacklog);
        }
    }

    /** The wrapped enumerator; a reader that registers after the assignment is told at once. */
    private static final class Enumerator<SplitT extends SourceSplit, CheckpointT>
            implements SplitEnumerator<SplitT, CheckpointT> {
        private final SplitEnumerator<SplitT, CheckpointT> enumerator;
        private final TellingContext<SplitT> context;

        Enumerator(SplitEnumerator<SplitT, CheckpointT> enumerator, TellingContext<SplitT> context) {
            this.enumerator = enumerator;
            this.context = context;
        }

        @Override
        public void start() {
            enumerator.start();
        }

        @Override
        public void handleSplitRequest(int subtaskId, String requesterHostname) {
            enumerator.handleSplitRequest(subtaskId, requesterHostname);
        }

        @Override
        public void addSplitsBack(List<SplitT> splits, int subtaskId) {
            enumerator.addSplitsBack(splits, subtaskId);
        }

        @Override
        public void addReader(int subtaskId) {
            enumerator.addReader(subtaskId); // assigns the reader's pending splits, if any
            if (context.assigned()) {
                context.tell(subtaskId);
            }
        }

        @Override
        public CheckpointT snapshotState(long checkpointId) throws Exception {
            return enumerator.snapshotState(checkpointId);
        }

        @Override
        public void close() throws IOException {
            enumerator.close();
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) throws Exception {
            enumerator.notifyCheckpointComplete(checkpointId);
        }

        @Override
        public void handleSourceEvent(int subtaskId, SourceEvent sourceEvent) {
            enumerator.handleSourceEvent(subtaskId, sourceEvent);
        }
    }

    /** The wrapped reader, which marks its output idle when told and without a split. */
    private static final class Reader<T, SplitT extends SourceSplit>
            implements SourceReader<T, SplitT> {
        private final SourceReader<T, SplitT> reader;
        private final Set<String> splits = new HashSet<>();
        private final CompletableFuture<Void> told = new CompletableFuture<>();
        private boolean idle;

        Reader(SourceReader<T, SplitT> reader) {
            this.reader = reader;
        }

        private boolean goesIdle() {
            return told.isDone() && splits.isEmpty() && !idle;
        }

        @Override
        public void start() {
            reader.start();
        }

        @Override
        public InputStatus pollNext(ReaderOutput<T> output) throws Exception {
            if (goesIdle()) {
                output.markIdle();
                idle = true;
                return InputStatus.NOTHING_AVAILABLE;
            }
            return reader.pollNext(output);
        }

        @Override
        public CompletableFuture<Void> isAvailable() {
            if (goesIdle()) {
                return CompletableFuture.completedFuture(null);
            }
            if (idle || !splits.isEmpty()) {
                return reader.isAvailable();
            }
            // Without a split, the wrapped reader has nothing to make available: wake up when told.
            return CompletableFuture.anyOf(reader.isAvailable(), told).thenApply(any -> null);
        }

        @Override
        public void addSplits(List<SplitT> added) {
            added.forEach(split -> splits.add(split.splitId()));
            reader.addSplits(added);
        }

        @Override
        public void notifyNoMoreSplits() {
            reader.notifyNoMoreSplits();
        }

        @Override
        public void handleSourceEvents(SourceEvent sourceEvent) {
            if (sourceEvent instanceof IdleIfWithoutSplits) {
                told.complete(null);
            } else {
                reader.handleSourceEvents(sourceEvent);
            }
        }

        @Override
        public List<SplitT> snapshotState(long checkpointId) {
            return reader.snapshotState(checkpointId);
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) throws Exception {
            reader.notifyCheckpointComplete(checkpointId);
        }

        @Override
        public void notifyCheckpointAborted(long checkpointId) throws Exception {
            reader.notifyCheckpointAborted(checkpointId);
        }

        @Override
        public void pauseOrResumeSplits(
                Collection<String> splitsToPause, Collection<String> splitsToResume) {
            reader.pauseOrResumeSplits(splitsToPause, splitsToResume);
        }

        @Override
        public void close() throws Exception {
            reader.close();
        }
    }
}
