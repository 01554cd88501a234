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
 * <p>Why batches: one call costs more in its own overhead (JNI, tensors, the session's
 * bookkeeping) than the trees cost for a row, so a call a row would be most of the model's
 * price (docs/performance.md). Flink's async ML_PREDICT hands over each row and waits for its
 * future, in order; this function gathers the rows and scores them when {@code batchSize} are
 * waiting, or when the first has waited {@code waitMillis}. The operator must let at least
 * {@code batchSize} rows be in flight (its {@code max-concurrent-operations}), or a batch
 * never fills and each waits the whole time. A row's score does not depend on the batch it
 * is in.
 *
 * <p>Which thread scores: a full batch, the one that handed over its last row (the task's),
 * so its scores are completed where the operator emits them, with no handover to another
 * thread and back for each row; only a batch that did not fill in time is scored by the
 * timer's thread.
 */
public class OnnxBatchPredictFunction extends AsyncPredictFunction {
    private static final long serialVersionUID = 1L;

    private final OnnxModelFile file;
    private final int batchSize;
    private final long waitMillis;

    private transient OrtSession session;
    private transient ScheduledExecutorService timer; // scores the batches that wait too long
    private transient boolean timerSet; // guarded by this: one timer at a time
    private transient StringData versionData;
    private transient Batch waiting; // guarded by this

    /** Rows waiting for a score: their features, row after row, and their futures. */
    private static final class Batch {
        final float[] features;
        final List<CompletableFuture<Collection<RowData>>> scores;
        long firstRowNanos; // when its first row came (System.nanoTime)

        Batch(int rows, int features) {
            this.features = new float[rows * features];
            this.scores = new ArrayList<>(rows);
        }
    }

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
        waiting = new Batch(batchSize, file.features);
        timer = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "onnx-batch-wait " + file.path);
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * What ML_PREDICT calls for each row: its features as the planner passes them (a Double
     * each, or null) and the future the operator waits for. It replaces AsyncPredictFunction's,
     * which wraps the features in a row for {@link #asyncPredict} and chains a second future to
     * the one it returns: objects and a completion a row that scoring does not need.
     */
    @Override
    public void eval(CompletableFuture<Collection<RowData>> score, Object... features) {
        Batch full;
        synchronized (this) {
            // Copied now, as floats: the operator may reuse its row once this returns.
            int offset = waiting.scores.size() * file.features;
            for (int i = 0; i < file.features; i++) {
                waiting.features[offset + i] =
                        features[i] == null ? Float.NaN : ((Number) features[i]).floatValue();
            }
            full = add(score);
        }
        if (full != null) {
            score(full);
        }
    }

    /** The same for a caller with a row (ML_PREDICT calls {@link #eval}). */
    @Override
    public CompletableFuture<Collection<RowData>> asyncPredict(RowData row) {
        Object[] features = new Object[file.features];
        for (int i = 0; i < file.features; i++) {
            features[i] = row.isNullAt(i) ? null : row.getDouble(i);
        }
        CompletableFuture<Collection<RowData>> score = new CompletableFuture<>();
        eval(score, features);
        return score;
    }

    /** A row whose features are in place joins the batch; the batch, if that filled it. */
    private Batch add(CompletableFuture<Collection<RowData>> score) {
        waiting.scores.add(score);
        if (waiting.scores.size() == batchSize) {
            return take();
        }
        if (waiting.scores.size() == 1) {
            waiting.firstRowNanos = System.nanoTime();
            if (!timerSet) {
                timerSet = true;
                timer.schedule(this::onTimer, waitMillis, TimeUnit.MILLISECONDS);
            }
        }
        return null;
    }

    /**
     * Scores the waiting batch if its first row has waited {@code waitMillis}, or sets the
     * timer again for when it will have. One timer at a time, not one a batch: batches that
     * fill in time cost a wake-up of this thread per {@code waitMillis}, not two each.
     */
    private void onTimer() {
        Batch due;
        synchronized (this) {
            timerSet = false;
            if (waiting.scores.isEmpty()) {
                return;
            }
            long left = waiting.firstRowNanos + TimeUnit.MILLISECONDS.toNanos(waitMillis)
                    - System.nanoTime();
            if (left > 0) {
                timerSet = true;
                timer.schedule(this::onTimer, left, TimeUnit.NANOSECONDS);
                return;
            }
            due = take();
        }
        score(due);
    }

    /** The waiting batch, replaced by an empty one. Holds the lock. */
    private Batch take() {
        Batch taken = waiting;
        waiting = new Batch(batchSize, file.features);
        return taken;
    }

    private void score(Batch batch) {
        int rows = batch.scores.size();
        try (OnnxTensor tensor = OnnxTensor.createTensor(OrtEnvironment.getEnvironment(),
                FloatBuffer.wrap(batch.features, 0, rows * file.features),
                new long[] {rows, file.features});
             OrtSession.Result result = session.run(Map.of(file.input, tensor),
                     Set.of(OnnxModelFile.PROBABILITIES))) {
            float[][] probabilities = (float[][]) result.get(0).getValue();
            for (int r = 0; r < rows; r++) {
                batch.scores.get(r).complete(
                        List.of(GenericRowData.of((double) probabilities[r][1], versionData)));
            }
        } catch (Exception error) {
            IllegalStateException failure = new IllegalStateException("scoring with model file "
                    + file.path + ": " + error.getMessage(), error);
            batch.scores.forEach(score -> score.completeExceptionally(failure));
        }
    }

    @Override
    public void close() throws Exception {
        if (timer != null) {
            timer.shutdownNow();
            timer.awaitTermination(10, TimeUnit.SECONDS);
        }
        if (session != null) {
            session.close();
        }
    }
}
