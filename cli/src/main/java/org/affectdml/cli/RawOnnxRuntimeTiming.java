package org.affectdml.cli;

import ai.onnxruntime.OrtSession;
import org.affectdml.inference.bundle.BundleLoader;
import org.affectdml.inference.bundle.LoadedBundle;
import org.affectdml.inference.bundle.ModelFile;
import org.affectdml.inference.bundle.ModelStore;
import org.affectdml.inference.bundle.Roles;
import org.affectdml.inference.embedding.FusedEmbedder;
import org.affectdml.inference.embedding.PersonInImage;
import org.affectdml.inference.image.ImageDecoder;
import org.affectdml.inference.image.ImageLimits;
import org.affectdml.inference.image.PixelRegion;
import org.affectdml.inference.image.RgbImage;
import org.affectdml.inference.image.TensorPreprocessor;
import org.affectdml.inference.onnx.ImageModelRunner;
import org.affectdml.inference.onnx.OrtSessionFactory;
import org.affectdml.inference.segmentation.SemanticSegmenter;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The denominator of the latency ratios: the bundle's ONNX models run raw in this process on ready-made
 * tensors (segmenter, the encoder on image + body as one batch of 2 as the service runs it, the head).
 */
final class RawOnnxRuntimeTiming {

    private RawOnnxRuntimeTiming() {
    }

    /** Per-iteration raw time (µs) of segmenter + encoders + head on preprocessed tensors. */
    static long[] measure(ModelStore modelStore, String version, byte[] bytes, float[] b, int threads, int warmup, int requests)
            throws Exception {
        return measure(modelStore, version, bytes, b, threads, warmup, requests, 1);
    }

    /**
     * The same for {@code batch} persons of {@code batch} images at once: the segmenter on a batch of {@code batch},
     * the encoder on {@code 2 x batch} (image and body crops), the head on {@code batch} rows; µs per iteration.
     */
    static long[] measure(ModelStore modelStore, String version, byte[] bytes, float[] b, int threads, int warmup, int requests,
                          int batch) throws Exception {
        return measure(modelStore, version, bytes, b, threads, warmup, requests, batch, i -> { });
    }

    /** What runs after each raw iteration {@code i} (negative: warm-up), e.g. the service call it is paired with. */
    @FunctionalInterface
    interface Paired {
        void after(int i) throws Exception;
    }

    /**
     * As above, with {@code paired} run after each iteration: alternating the raw models and the service call by call
     * gives both the same machine state, so a drift of the machine over the run moves both alike.
     */
    static long[] measure(ModelStore modelStore, String version, byte[] bytes, float[] b, int threads, int warmup, int requests,
                          int batch, Paired paired) throws Exception {
        RgbImage decoded = new ImageDecoder(ImageLimits.DEFAULT).decode(bytes);
        PersonInImage sample = new PersonInImage(decoded, PixelRegion.ofPersonBox(b[0], b[1], b[2], b[3], decoded.width(), decoded.height()));
        try (LoadedBundle bundle = new BundleLoader(OrtSessionFactory.cpu(threads))
                .load(modelStore.bundleDirectory(version), Set.copyOf(Roles.ONNX_ROLES))) {
            ModelFile seg = bundle.manifest().file(Roles.SEGMENTER);
            ModelFile enc = bundle.manifest().file(Roles.IMAGE_ENCODER);
            float[] segInput = repeat(tensor(decoded, PixelRegion.whole(decoded), seg, 1), batch);
            int encSlice = TensorPreprocessor.sliceLength(enc.preprocessing());
            float[] pair = new float[2 * encSlice];
            TensorPreprocessor.write(decoded, PixelRegion.whole(decoded), enc.preprocessing(), pair, 0);
            TensorPreprocessor.write(decoded, sample.body(), enc.preprocessing(), pair, encSlice);
            float[] encInput = repeat(pair, batch);
            FusedEmbedder.EncoderFeatures features = FusedEmbedder.encode(bundle, java.util.Collections.nCopies(batch, sample));
            float[] oneSem = SemanticSegmenter.segment(bundle, List.of(decoded), 0).get(0).sem2vec();
            float[][] sem = new float[batch][];
            Arrays.fill(sem, oneSem);
            long[] total = new long[requests];
            for (int i = -warmup; i < requests; i++) {
                long t0 = System.nanoTime();
                run(bundle.session(Roles.SEGMENTER), seg, segInput, batch);
                run(bundle.session(Roles.IMAGE_ENCODER), enc, encInput, 2 * batch);
                FusedEmbedder.head(bundle, features, sem);
                if (i >= 0) {
                    total[i] = (System.nanoTime() - t0) / 1000;
                }
                paired.after(i);
            }
            return total;
        }
    }

    private static float[] repeat(float[] rows, int times) {
        float[] out = new float[rows.length * times];
        for (int i = 0; i < times; i++) {
            System.arraycopy(rows, 0, out, i * rows.length, rows.length);
        }
        return out;
    }

    private static float[] tensor(RgbImage image, PixelRegion region, ModelFile file, int batch) {
        float[] t = new float[batch * TensorPreprocessor.sliceLength(file.preprocessing())];
        TensorPreprocessor.write(image, region, file.preprocessing(), t, 0);
        return t;
    }

    /** As the services run it (a graph with a fixed batch size in runs of that size). */
    private static void run(OrtSession session, ModelFile file, float[] input, int batch) throws Exception {
        var p = file.preprocessing();
        ImageModelRunner.run(session, file.inputs().get(0).name(), file.outputs().get(0).name(), new long[]{3, p.height(), p.width()}, input,
                batch);
    }

    static double percentile(long[] values, double q) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = (int) Math.ceil(pos);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
