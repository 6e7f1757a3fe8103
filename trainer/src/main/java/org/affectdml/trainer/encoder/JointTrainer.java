package org.affectdml.trainer.encoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.affectdml.trainer.eval.OneShot;
import org.affectdml.trainer.head.DmlLoss;
import org.affectdml.trainer.head.HeadNetwork;
import org.affectdml.trainer.head.HeadShape;
import org.affectdml.trainer.head.HeadTrainer;
import org.affectdml.trainer.head.HeadWeights;
import org.affectdml.trainer.head.Sem2VecBatchUnion;
import org.affectdml.trainer.head.StepRecord;
import org.affectdml.trainer.head.TrainingLoop;
import org.affectdml.trainer.head.TrainingConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The paper's joint optimisation: the image encoder and the body encoder (separate weights per stream, as the
 * paper's code, even when they start from one file) trained together with the head, on CPU in DJL. Each step runs
 * both encoders on the batch's preprocessed pixels, the head on their outputs and the batch's Sem2Vec (the segmenter
 * stays frozen: Sem2Vec is a set of classes, not differentiable), computes Eq. 7, and updates every parameter by
 * RMSprop: the head at the configured learning rate, the encoders at their own base rate, both on the same schedule
 * (StepLR and the optional warm-up, {@link TrainingConfig#scheduleFactor}).
 * <p>The encoders train as their ONNX graphs are ({@link OnnxConvNet}; BatchNorm in its inference form: folded into
 * the preceding convolution, which then trains as one, else a frozen affine map; docs/method.md §5.6), and the
 * result is written back as ONNX, checked against DJL's forward pass within 1e-4 at the served input size
 * ({@link OnnxConvNet#exportChecked}). Model selection as for head-only training: after each epoch the validation persons
 * go through the encoders and the head, and the epoch with the best mean balanced one-shot accuracy is kept (the last
 * epoch when there is no validation data).
 */
public final class JointTrainer {

    /** One person's preprocessed pixels, CHW, for the image stream (the whole image) and the body stream (its box). */
    public record Pixels(float[] image, float[] body) {
    }

    /** Pixels of a training row, made when a batch needs them (so a data set need not fit in memory as tensors). */
    public interface PixelSource {
        Pixels of(int row);
    }

    /** Training rows: labels 0..C-1, pixels, Sem2Vec per row (null rows when the variant has no scene stream). */
    public record Data(int[] labels, PixelSource pixels, float[][] sem2vec, long[] imageChw, long[] bodyChw) {
    }

    /** The kept epoch's head and encoders (1-based {@code bestEpoch}) and every epoch's report. */
    public record Result(HeadWeights head, byte[] imageEncoder, byte[] bodyEncoder, int bestEpoch, List<HeadTrainer.EpochReport> history) {
    }

    private final TrainingConfig config;
    private final double encoderLearningRate;

    public JointTrainer(TrainingConfig config, double encoderLearningRate) {
        config.validate();
        if (!(encoderLearningRate >= 0)) {
            throw new IllegalArgumentException("the encoders' learning rate must be >= 0 (0 = frozen), got " + encoderLearningRate);
        }
        this.config = config;
        this.encoderLearningRate = encoderLearningRate;
    }

    /**
     * @param imageEncoder, bodyEncoder the encoders' ONNX bytes (may be the same file: each stream gets its own copy)
     * @param output the encoders' output the head takes (e.g. "features")
     */
    public Result train(HeadShape shape, byte[] imageEncoder, byte[] bodyEncoder, String output, Data data,
                        HeadTrainer.Listener listener, BooleanSupplier cancelled) {
        return train(shape, imageEncoder, bodyEncoder, output, data, null, listener, cancelled);
    }

    /** As above, keeping the epoch with the best validation accuracy ({@code validation} null or empty: the last). */
    public Result train(HeadShape shape, byte[] imageEncoder, byte[] bodyEncoder, String output, Data data, Data validation,
                        HeadTrainer.Listener listener, BooleanSupplier cancelled) {
        DmlLoss loss = new DmlLoss(config.epsilon(), config.margin(), config.alpha(), config.beta());
        boolean validated = validation != null && validation.labels().length > 0;
        Data validationRows = validated && config.sem2vecBatchUnion() && validation.sem2vec() != null
                ? new Data(validation.labels(), validation.pixels(), Sem2VecBatchUnion.apply(validation.sem2vec(), config.batchSize()),
                validation.imageChw(), validation.bodyChw()) : validation;
        try (HeadNetwork head = new HeadNetwork(shape, config.seed());
             OnnxConvNet image = shape.variant().image() ? OnnxConvNet.read(imageEncoder, NDManager.newBaseManager("PyTorch")) : null;
             OnnxConvNet body = shape.variant().body() ? OnnxConvNet.read(bodyEncoder, NDManager.newBaseManager("PyTorch")) : null) {
            // the head first (its rate is the records' learning rate), then each encoder at the encoders' base rate
            List<TrainingLoop.Group> groups = new ArrayList<>(List.of(new TrainingLoop.Group("head/", head.parameters(), config.learningRate())));
            encoders(image, body).forEach((prefix, encoder) -> groups.add(new TrainingLoop.Group(prefix, encoder.parameters(), encoderLearningRate)));
            TrainingLoop.Kept<Result> kept = new TrainingLoop(config).run(new TrainingLoop.Model<>() {
                @Override
                public DmlLoss.Value loss(NDManager scratch, int[] rows) {
                    NDArray[] pixels = pixels(scratch, data, rows);
                    int[] labels = new int[rows.length];
                    for (int i = 0; i < rows.length; i++) {
                        labels[i] = data.labels()[rows[i]];
                    }
                    NDArray imageFeatures = image == null ? null : image.forward(pixels[0], output);
                    NDArray bodyFeatures = body == null ? null : body.forward(pixels[1], output);
                    NDArray sem = shape.variant().semantic() ? rows(scratch, data.sem2vec(), rows) : null;
                    if (sem != null && config.sem2vecBatchUnion()) {
                        sem = Sem2VecBatchUnion.apply(sem);
                    }
                    HeadNetwork.Output out = head.forward(scratch, imageFeatures, bodyFeatures, sem, true);
                    return loss.compute(scratch, out.embedding(), out.logits(), labels);
                }

                @Override
                public List<TrainingLoop.Group> groups() {
                    return groups;
                }

                @Override
                public double validationAccuracy() {
                    return validated ? OneShot.meanBalancedAccuracy(embed(head, image, body, output, shape, validationRows),
                            validation.labels(), shape.classes(), config.validationDraws(), config.seed()) : Double.NaN;
                }

                @Override
                public Result snapshot() {
                    // exported (and checked at the served size) only for the epoch kept so far
                    return new Result(head.snapshot(),
                            image == null ? imageEncoder : image.exportChecked(output, config.seed(), (int) data.imageChw()[1], (int) data.imageChw()[2]),
                            body == null ? bodyEncoder : body.exportChecked(output, config.seed(), (int) data.bodyChw()[1], (int) data.bodyChw()[2]),
                            0, List.of());
                }

                @Override
                public Map<String, float[]> weights() {
                    Map<String, float[]> weights = StepRecord.valuesOf(head.snapshot(), "head/", StepRecord.newMap());
                    encoders(image, body).forEach((prefix, encoder) -> StepRecord.valuesOf(encoder.parameters(), prefix, weights));
                    return weights;
                }
            }, data.labels(), listener, cancelled);
            Result best = kept.snapshot();
            return new Result(best.head(), best.imageEncoder(), best.bodyEncoder(), kept.epoch(), kept.history());
        }
    }

    /** L2-normalised embeddings of the rows, the encoders and the head in eval mode, a batch at a time, no gradients. */
    private static float[][] embed(HeadNetwork head, OnnxConvNet image, OnnxConvNet body, String output, HeadShape shape, Data data) {
        int n = data.labels().length;
        float[][] out = new float[n][];
        int chunk = 64;
        for (int start = 0; start < n; start += chunk) {
            int[] idx = new int[Math.min(chunk, n - start)];
            for (int i = 0; i < idx.length; i++) {
                idx[i] = start + i;
            }
            try (NDManager scratch = NDManager.newBaseManager("PyTorch")) {
                NDArray[] pixels = pixels(scratch, data, idx);
                NDArray z = head.forward(scratch, image == null ? null : image.forward(pixels[0], output),
                        body == null ? null : body.forward(pixels[1], output),
                        shape.variant().semantic() ? rows(scratch, data.sem2vec(), idx) : null, false).embedding();
                HeadTrainer.putUnitRows(z, out, start);
            }
        }
        return out;
    }

    /** The encoders present, by the prefix of their parameters' names. */
    private static Map<String, OnnxConvNet> encoders(OnnxConvNet image, OnnxConvNet body) {
        Map<String, OnnxConvNet> m = new LinkedHashMap<>();
        if (image != null) {
            m.put("image/", image);
        }
        if (body != null) {
            m.put("body/", body);
        }
        return m;
    }

    private static NDArray[] pixels(NDManager scratch, Data data, int[] idx) {
        int imageSize = (int) (data.imageChw()[0] * data.imageChw()[1] * data.imageChw()[2]);
        int bodySize = (int) (data.bodyChw()[0] * data.bodyChw()[1] * data.bodyChw()[2]);
        float[] image = new float[imageSize * idx.length];
        float[] body = new float[bodySize * idx.length];
        for (int i = 0; i < idx.length; i++) {
            Pixels p = data.pixels().of(idx[i]);
            System.arraycopy(p.image(), 0, image, i * imageSize, imageSize);
            System.arraycopy(p.body(), 0, body, i * bodySize, bodySize);
        }
        return new NDArray[]{
                scratch.create(image, new Shape(idx.length, data.imageChw()[0], data.imageChw()[1], data.imageChw()[2])),
                scratch.create(body, new Shape(idx.length, data.bodyChw()[0], data.bodyChw()[1], data.bodyChw()[2]))};
    }

    private static NDArray rows(NDManager scratch, float[][] values, int[] idx) {
        int d = values[idx[0]].length;
        float[] flat = new float[idx.length * d];
        for (int i = 0; i < idx.length; i++) {
            System.arraycopy(values[idx[i]], 0, flat, i * d, d);
        }
        return scratch.create(flat, new Shape(idx.length, d));
    }
}
