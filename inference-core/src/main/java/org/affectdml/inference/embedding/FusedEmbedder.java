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
import org.affectdml.inference.image.TensorPreprocessor;
import org.affectdml.inference.onnx.OrtSessionFactory;

import java.nio.FloatBuffer;
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
    }

    public static boolean needsSem2Vec(LoadedBundle bundle) {
        return bundle.manifest().usesSem2Vec();
    }

    /** The encoder streams the bundle's head uses. */
    public static EncoderFeatures encode(LoadedBundle bundle, List<PersonInImage> samples) throws OrtException {
        BundleManifest m = bundle.manifest();
        return encode(bundle, samples, m.headInput(Roles.HEAD_IMAGE_FEATURES) != null, m.headInput(Roles.HEAD_BODY_FEATURES) != null);
    }

    /** The chosen encoder streams, whatever the head uses (the trainer extracts both for every variant). */
    public static EncoderFeatures encode(LoadedBundle bundle, List<PersonInImage> samples, boolean useImage, boolean useBody)
            throws OrtException {
        BundleManifest m = bundle.manifest();
        ModelFile imageEncoder = m.file(Roles.IMAGE_ENCODER);
        ModelFile bodyEncoder = m.file(Roles.BODY_ENCODER);
        if (useImage && useBody && imageEncoder.sha256().equals(bodyEncoder.sha256())
                && imageEncoder.preprocessing().equals(bodyEncoder.preprocessing())) {
            int n = samples.size();
            Run both = run(bundle, Roles.IMAGE_ENCODER, samples, true, true);
            float[][] image = new float[n][];
            float[][] body = new float[n][];
            System.arraycopy(both.rows(), 0, image, 0, n);
            System.arraycopy(both.rows(), n, body, 0, n);
            return new EncoderFeatures(image, body, both.preprocessNanos(), both.inferenceNanos());
        }
        Run image = useImage ? run(bundle, Roles.IMAGE_ENCODER, samples, true, false) : null;
        Run body = useBody ? run(bundle, Roles.BODY_ENCODER, samples, false, true) : null;
        return new EncoderFeatures(image == null ? null : image.rows(), body == null ? null : body.rows(),
                (image == null ? 0 : image.preprocessNanos()) + (body == null ? 0 : body.preprocessNanos()),
                (image == null ? 0 : image.inferenceNanos()) + (body == null ? 0 : body.inferenceNanos()));
    }

    /** Rows: the whole images first (if asked), then the body crops (if asked). */
    private static Run run(LoadedBundle bundle, String role, List<PersonInImage> samples, boolean whole, boolean body)
            throws OrtException {
        long start = System.nanoTime();
        ModelFile file = bundle.manifest().file(role);
        Preprocessing p = file.preprocessing();
        int slice = TensorPreprocessor.sliceLength(p);
        int rows = samples.size() * ((whole ? 1 : 0) + (body ? 1 : 0));
        float[] input = new float[slice * rows];
        int row = 0;
        if (whole) {
            for (PersonInImage s : samples) {
                TensorPreprocessor.write(s.image(), PixelRegion.whole(s.image()), p, input, row++ * slice);
            }
        }
        if (body) {
            for (PersonInImage s : samples) {
                TensorPreprocessor.write(s.image(), s.body(), p, input, row++ * slice);
            }
        }
        long[] shape = {rows, 3, p.height(), p.width()};
        String output = file.outputs().get(0).name();
        long preprocessed = System.nanoTime();
        try (OnnxTensor tensor = OnnxTensor.createTensor(OrtSessionFactory.environment(), FloatBuffer.wrap(input), shape);
             OrtSession.Result result = bundle.session(role).run(Map.of(file.inputs().get(0).name(), tensor), Set.of(output))) {
            float[][] features = (float[][]) result.get(output).orElseThrow().getValue();
            return new Run(features, preprocessed - start, System.nanoTime() - preprocessed);
        }
    }

    /** The head on the given streams (rows aligned), L2-normalised rows of the embedding dimension. */
    public static float[][] head(LoadedBundle bundle, EncoderFeatures features, float[][] sem2vec) throws OrtException {
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
            try (OrtSession.Result result = bundle.session(Roles.HEAD).run(feeds, Set.of(Roles.HEAD_EMBEDDING))) {
                float[][] z = (float[][]) result.get(Roles.HEAD_EMBEDDING).orElseThrow().getValue();
                for (float[] row : z) {
                    l2NormalizeInPlace(row);
                }
                return z;
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
