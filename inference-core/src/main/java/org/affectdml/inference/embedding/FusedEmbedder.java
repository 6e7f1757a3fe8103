package org.affectdml.inference.embedding;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.affectdml.inference.bundle.BundleManifest;
import org.affectdml.inference.bundle.LoadedBundle;
import org.affectdml.inference.bundle.ModelFile;
import org.affectdml.inference.bundle.Roles;
import org.affectdml.inference.image.PixelRegion;
import org.affectdml.inference.image.Preprocessing;
import org.affectdml.inference.image.RgbImage;
import org.affectdml.inference.image.TensorPreprocessor;
import org.affectdml.inference.onnx.ImageModelRunner;
import org.affectdml.inference.onnx.OrtSessionFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Affect-DML forward pass over a bundle's ONNX models: the image encoder on the full image, the body
 * encoder on the person box, then the head on [image features, body features, Sem2Vec], L2-normalised.
 * Only the streams the head declares are computed. When both encoders are the same file with the same
 * preprocessing (the default bundle), image and body go through it as one batch.
 */
public final class FusedEmbedder {

    private FusedEmbedder() {
    }

    /**
     * Encoder outputs, row i for sample i; null for a stream the head does not use. The times split
     * preprocessing (resize, crop, normalise) from the ONNX Runtime runs.
     */
    public record EncoderFeatures(float[][] image, float[][] body, long preprocessNanos, long inferenceNanos) {
    }

    /** Rows of one encoder run and where its time went. */
    private record Run(float[][] rows, long preprocessNanos, long inferenceNanos) {
        static final Run EMPTY = new Run(new float[0][], 0, 0);
    }

    public static boolean needsSem2Vec(LoadedBundle bundle) {
        return bundle.manifest().usesSem2Vec();
    }

    /** The encoder streams the bundle's head uses. */
    public static EncoderFeatures encode(LoadedBundle bundle, List<PersonInImage> samples) throws OrtException {
        return encode(bundle, samples, usesImageFeatures(bundle), usesBodyFeatures(bundle));
    }

    /** The chosen encoder streams, whatever the head uses (the trainer extracts both for every variant). */
    public static EncoderFeatures encode(LoadedBundle bundle, List<PersonInImage> samples, boolean useImage, boolean useBody)
            throws OrtException {
        List<Crop> wholes = useImage ? samples.stream().map(s -> new Crop(s.image(), PixelRegion.whole(s.image()))).toList() : List.of();
        List<Crop> bodies = useBody ? samples.stream().map(s -> new Crop(s.image(), s.body())).toList() : List.of();
        EncoderFeatures f = encodeCrops(bundle, wholes, bodies);
        return new EncoderFeatures(useImage ? f.image() : null, useBody ? f.body() : null, f.preprocessNanos(), f.inferenceNanos());
    }

    public static boolean usesImageFeatures(LoadedBundle bundle) {
        return bundle.manifest().headInput(Roles.HEAD_IMAGE_FEATURES) != null;
    }

    public static boolean usesBodyFeatures(LoadedBundle bundle) {
        return bundle.manifest().headInput(Roles.HEAD_BODY_FEATURES) != null;
    }

    /** A region of decoded pixels an encoder looks at: a whole (possibly reduced) image, or a person's box in it. */
    public record Crop(RgbImage image, PixelRegion region) {
    }

    /**
     * The image encoder on {@code wholes} and the body encoder on {@code bodies} (either may be empty): one
     * batch per encoder, or a single batch when both are the same file with the same preprocessing.
     */
    public static EncoderFeatures encodeCrops(LoadedBundle bundle, List<Crop> wholes, List<Crop> bodies) throws OrtException {
        return encodeCrops(bundle, wholes, bodies, ImageModelRunner.DIRECT);
    }

    /** As {@link #encodeCrops(LoadedBundle, List, List)}, the encoder runs going through {@code runner}. */
    public static EncoderFeatures encodeCrops(LoadedBundle bundle, List<Crop> wholes, List<Crop> bodies, ImageModelRunner runner)
            throws OrtException {
        BundleManifest m = bundle.manifest();
        ModelFile imageEncoder = m.file(Roles.IMAGE_ENCODER);
        ModelFile bodyEncoder = m.file(Roles.BODY_ENCODER);
        if (!wholes.isEmpty() && !bodies.isEmpty() && imageEncoder.sha256().equals(bodyEncoder.sha256())
                && imageEncoder.preprocessing().equals(bodyEncoder.preprocessing())) {
            List<Crop> all = new ArrayList<>(wholes);
            all.addAll(bodies);
            Run both = run(bundle, Roles.IMAGE_ENCODER, all, runner);
            float[][] image = Arrays.copyOfRange(both.rows(), 0, wholes.size());
            float[][] body = Arrays.copyOfRange(both.rows(), wholes.size(), all.size());
            return new EncoderFeatures(image, body, both.preprocessNanos(), both.inferenceNanos());
        }
        Run image = wholes.isEmpty() ? Run.EMPTY : run(bundle, Roles.IMAGE_ENCODER, wholes, runner);
        Run body = bodies.isEmpty() ? Run.EMPTY : run(bundle, Roles.BODY_ENCODER, bodies, runner);
        return new EncoderFeatures(image.rows(), body.rows(), image.preprocessNanos() + body.preprocessNanos(),
                image.inferenceNanos() + body.inferenceNanos());
    }

    /**
     * Most crops one request hands an encoder at once. A request's crops go in slices of this many, so a
     * ClassifyPersons of 64 people holds the input tensor of 8 crops (4.8 MB at 224x224) on the heap, not of 65
     * (39 MB); with several such requests in flight the difference is what keeps the heap within its budget. The
     * batcher joins slices of concurrent requests into runs of its own size, so throughput is unchanged.
     */
    public static final int MAX_CROPS_PER_RUN = 8;

    /** One encoder on the crops, in order, {@link #MAX_CROPS_PER_RUN} at a time. */
    private static Run run(LoadedBundle bundle, String role, List<Crop> crops, ImageModelRunner runner) throws OrtException {
        Preprocessing p = bundle.manifest().file(role).preprocessing();
        int slice = TensorPreprocessor.sliceLength(p);
        float[][] features = new float[crops.size()][];
        long preprocessNanos = 0;
        long inferenceNanos = 0;
        for (int from = 0; from < crops.size(); from += MAX_CROPS_PER_RUN) {
            long start = System.nanoTime();
            int rows = Math.min(MAX_CROPS_PER_RUN, crops.size() - from);
            float[] input = new float[slice * rows];
            for (int row = 0; row < rows; row++) {
                TensorPreprocessor.write(crops.get(from + row).image(), crops.get(from + row).region(), p, input, row * slice);
            }
            long preprocessed = System.nanoTime();
            float[][] out = runner.run(bundle, role, input, rows).rows();
            System.arraycopy(out, 0, features, from, rows);
            preprocessNanos += preprocessed - start;
            inferenceNanos += System.nanoTime() - preprocessed;
        }
        return new Run(features, preprocessNanos, inferenceNanos);
    }

    /**
     * What the head computes for rows of streams: the L2-normalised embeddings, and the stream projections the head
     * outputs ({@link Roles#HEAD_IMAGE_PROJECTION} and the like, raw), by output name; absent when the head has none.
     */
    public record HeadOutput(float[][] embeddings, Map<String, float[][]> projections) {
        /** Row i of the projection named, or null when the head does not output it. */
        public float[] projection(String name, int row) {
            float[][] rows = projections.get(name);
            return rows == null ? null : rows[row];
        }
    }

    /** The head on the given streams (rows aligned), L2-normalised rows of the embedding dimension. */
    public static float[][] head(LoadedBundle bundle, EncoderFeatures features, float[][] sem2vec) throws OrtException {
        return headOutputs(bundle, features, sem2vec).embeddings();
    }

    /**
     * The head's embeddings and every stream projection it declares, in one run: the projections are intermediate
     * values of the embedding, so fetching them costs nothing more.
     */
    public static HeadOutput headOutputs(LoadedBundle bundle, EncoderFeatures features, float[][] sem2vec) throws OrtException {
        ModelFile head = bundle.manifest().file(Roles.HEAD);
        Map<String, OnnxTensor> feeds = new HashMap<>();
        try {
            for (var input : head.inputs()) {
                float[][] rows = switch (input.name()) {
                    case Roles.HEAD_IMAGE_FEATURES -> features.image();
                    case Roles.HEAD_BODY_FEATURES -> features.body();
                    default -> sem2vec;
                };
                if (rows == null) {
                    throw new IllegalArgumentException("the head needs input " + input.name() + " but it was not computed");
                }
                feeds.put(input.name(), OnnxTensor.createTensor(OrtSessionFactory.environment(), rows));
            }
            Set<String> outputs = new java.util.LinkedHashSet<>();
            head.outputs().forEach(o -> outputs.add(o.name()));
            try (OrtSession.Result result = bundle.session(Roles.HEAD).run(feeds, outputs)) {
                float[][] z = (float[][]) result.get(Roles.HEAD_EMBEDDING).orElseThrow().getValue();
                for (float[] row : z) {
                    l2NormalizeInPlace(row);
                }
                Map<String, float[][]> projections = new HashMap<>();
                for (String name : outputs) {
                    if (!name.equals(Roles.HEAD_EMBEDDING)) {
                        projections.put(name, (float[][]) result.get(name).orElseThrow().getValue());
                    }
                }
                return new HeadOutput(z, projections);
            }
        } finally {
            feeds.values().forEach(OnnxTensor::close);
        }
    }

    /** Scales to unit length; a zero vector stays zero. */
    public static void l2NormalizeInPlace(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        if (sum > 0) {
            float inv = (float) (1 / Math.sqrt(sum));
            for (int i = 0; i < v.length; i++) {
                v[i] *= inv;
            }
        }
    }
}
