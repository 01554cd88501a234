package sqlplatform.ml;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;

import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.functions.AsyncPredictFunction;
import org.apache.flink.table.functions.FunctionContext;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Scores rows in small batches, one ONNX Runtime call a batch: each row's features as floats
 * (NULL as NaN, which the model treats as missing), the probability of the positive class, and
 * the model's version.
 *
 * <p>Why batches: one call costs about as much in its own overhead (JNI, tensors, the
 * session's bookkeeping) as a random forest's trees cost for a row, so a call a row doubled
 * the model's price (docs/performance.md). Flink's async ML_PREDICT hands over each row and
 * waits for its future, in order; this function gathers the rows and scores them on a thread
 * of its own, as soon as {@code batchSize} are waiting or the first has waited
 * {@code waitMillis}. The operator must let at least {@code batchSize} rows be in flight (its
 * {@code max-concurrent-operations}), or a batch never fills and each waits the whole time.
 * A row's score does not depend on the batch it is in.
 */
public class OnnxBatchPredictFunction extends AsyncPredictFunction {
    private static final long serialVersionUID = 1L;

    private final OnnxModelFile file;
    private final int batchSize;
    private final long waitMillis;

    private transient OrtSession session;
    private transient ScheduledExecutorService scorer; // one thread: scores and timers in turn
    private transient StringData versionData;
    private transient Batch waiting;

    /** Rows waiting for a score: their features, row after row, and their futures. */
    private record Batch(float[] features, List<CompletableFuture<Collection<RowData>>> scores) {}

    OnnxBatchPredictFunction(OnnxModelFile file, int batchSize, long waitMillis) {
        this.file = file;
        this.batchSize = batchSize;
        this.waitMillis = waitMillis;
    }

    @Override
    public void open(FunctionContext context) throws Exception {
        String actual = OnnxModelFile.sha256Of(java.nio.file.Path.of(file.path));
        if (!actual.equals(file.sha256)) {
            throw new IllegalStateException("model file " + file.path + " changed after the job"
                    + " was planned: its sha256 is " + actual + ", not " + file.sha256);
        }
        session = OnnxModelFile.open(file.path);
        versionData = StringData.fromString(file.version);
        waiting = newBatch();
        scorer = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "onnx-scorer " + file.path);
            thread.setDaemon(true);
            return thread;
        });
    }

    @Override
    public CompletableFuture<Collection<RowData>> asyncPredict(RowData row) {
        CompletableFuture<Collection<RowData>> score = new CompletableFuture<>();
        synchronized (this) {
            // The row is copied now: the operator may reuse it once this returns.
            int offset = waiting.scores().size() * file.features;
            for (int i = 0; i < file.features; i++) {
                waiting.features()[offset + i] =
                        row.isNullAt(i) ? Float.NaN : (float) row.getDouble(i);
            }
            waiting.scores().add(score);
            if (waiting.scores().size() == batchSize) {
                Batch full = take();
                scorer.execute(() -> score(full));
            } else if (waiting.scores().size() == 1) {
                Batch started = waiting;
                scorer.schedule(() -> scoreIfStillWaiting(started), waitMillis,
                        TimeUnit.MILLISECONDS);
            }
        }
        return score;
    }

    private Batch newBatch() {
        return new Batch(new float[batchSize * file.features], new ArrayList<>(batchSize));
    }

    private Batch take() {
        Batch taken = waiting;
        waiting = newBatch();
        return taken;
    }

    /** The timer of a batch's first row: the batch, unless it filled and went already. */
    private void scoreIfStillWaiting(Batch started) {
        Batch due;
        synchronized (this) {
            if (waiting != started || started.scores().isEmpty()) {
                return;
            }
            due = take();
        }
        score(due);
    }

    private void score(Batch batch) {
        int rows = batch.scores().size();
        try (OnnxTensor tensor = OnnxTensor.createTensor(OrtEnvironment.getEnvironment(),
                FloatBuffer.wrap(batch.features(), 0, rows * file.features),
                new long[] {rows, file.features});
             OrtSession.Result result = session.run(Map.of(file.input, tensor),
                     Set.of(OnnxModelFile.PROBABILITIES))) {
            float[][] probabilities = (float[][]) result.get(0).getValue();
            for (int r = 0; r < rows; r++) {
                batch.scores().get(r).complete(
                        List.of(GenericRowData.of((double) probabilities[r][1], versionData)));
            }
        } catch (Exception error) {
            IllegalStateException failure = new IllegalStateException("scoring with model file "
                    + file.path + ": " + error.getMessage(), error);
            batch.scores().forEach(score -> score.completeExceptionally(failure));
        }
    }

    @Override
    public void close() throws Exception {
        if (scorer != null) {
            scorer.shutdownNow();
            scorer.awaitTermination(10, TimeUnit.SECONDS);
        }
        if (session != null) {
            session.close();
        }
    }
}
