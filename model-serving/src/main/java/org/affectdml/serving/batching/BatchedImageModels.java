package org.affectdml.serving.batching;

import ai.onnxruntime.OrtException;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.affectdml.inference.bundle.LoadedBundle;
import org.affectdml.inference.onnx.ImageModelRunner;
import org.affectdml.serving.InferenceConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The image models of this service behind a dynamic batcher ({@code affect.batching.*}): concurrent requests for
 * the same model of the same bundle share one ONNX Runtime run. Requests of different bundles (during a swap) never
 * share one. Metrics, by model role: {@code affect_batch_rows} (images per run), {@code affect_batch_requests}
 * (requests per run) and {@code affect_batch_queue_seconds} (time a request waited for its run).
 */
@ApplicationScoped
public class BatchedImageModels implements ImageModelRunner {

    private record Key(LoadedBundle bundle, String role) {
    }

    private record Rows(float[] input, int rows) {
    }

    private final MicroBatcher<Key, Rows, Output> batcher;
    private final MeterRegistry registry;

    @Inject
    public BatchedImageModels(InferenceConfig config, MeterRegistry registry) {
        this.registry = registry;
        InferenceConfig.BatchingConfig b = config.batching();
        BatchingPolicy policy = new BatchingPolicy(b.enabled(), b.maxBatchSize(), b.maxQueueDelay(),
                b.preferredBatchSizes().orElse(List.of()), b.instances());
        batcher = new MicroBatcher<>(policy, Rows::rows, BatchedImageModels::runTogether, this::observe);
    }

    @Override
    public Output run(LoadedBundle bundle, String role, float[] input, int rows) throws OrtException {
        try {
            return batcher.submit(new Key(bundle, role), new Rows(input, rows));
        } catch (OrtException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** One run over every submission's rows, stacked in order; each gets its rows back. */
    private static List<Output> runTogether(Key key, List<Rows> submissions) throws OrtException {
        if (submissions.size() == 1) {
            Rows only = submissions.get(0);
            return List.of(ImageModelRunner.runNow(key.bundle(), key.role(), only.input(), only.rows()));
        }
        int rows = 0;
        int length = 0;
        for (Rows s : submissions) {
            rows += s.rows();
            length += s.input().length;
        }
        float[] stacked = new float[length];
        int at = 0;
        for (Rows s : submissions) {
            System.arraycopy(s.input(), 0, stacked, at, s.input().length);
            at += s.input().length;
        }
        Output all = ImageModelRunner.runNow(key.bundle(), key.role(), stacked, rows);
        List<Output> out = new ArrayList<>(submissions.size());
        int row = 0;
        for (Rows s : submissions) {
            float[][] mine = new float[s.rows()][];
            System.arraycopy(all.rows(), row, mine, 0, s.rows());
            row += s.rows();
            out.add(new Output(mine, all.rowShape()));
        }
        return out;
    }

    private void observe(Key key, int rows, int submissions, long[] queueNanos) {
        DistributionSummary.builder("affect.batch.rows").description("Images (or crops) per model run")
                .tag("model", key.role()).serviceLevelObjectives(1, 2, 4, 8, 16, 32).register(registry).record(rows);
        DistributionSummary.builder("affect.batch.requests").description("Requests sharing one model run")
                .tag("model", key.role()).serviceLevelObjectives(1, 2, 4, 8, 16).register(registry).record(submissions);
        Timer queue = Timer.builder("affect.batch.queue").description("Time a request waited for its model run")
                .tag("model", key.role()).register(registry);
        for (long nanos : queueNanos) {
            queue.record(nanos, TimeUnit.NANOSECONDS);
        }
    }
}
