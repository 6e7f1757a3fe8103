package org.affectdml.inference.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.affectdml.inference.bundle.LoadedBundle;
import org.affectdml.inference.bundle.ModelFile;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;

/**
 * Runs one image model of a bundle (an encoder or the segmenter) on preprocessed images stacked as NCHW. The
 * services put a dynamic batcher behind this (concurrent requests share a run); {@link #DIRECT} runs at once.
 */
public interface ImageModelRunner {

    /** The model's first output, one flattened row per input image, and the shape of one row. */
    record Output(float[][] rows, long[] rowShape) {
    }

    /**
     * {@code input} holds {@code rows} slices of the role's preprocessing ({@code 3 x H x W} floats each), one
     * after the other.
     */
    Output run(LoadedBundle bundle, String role, float[] input, int rows) throws OrtException;

    /** One ONNX Runtime run per call. */
    ImageModelRunner DIRECT = ImageModelRunner::runNow;

    static Output runNow(LoadedBundle bundle, String role, float[] input, int rows) throws OrtException {
        ModelFile file = bundle.manifest().file(role);
        long[] shape = {rows, 3, file.preprocessing().height(), file.preprocessing().width()};
        String output = file.outputs().get(0).name();
        try (OnnxTensor tensor = OnnxTensor.createTensor(OrtSessionFactory.environment(), FloatBuffer.wrap(input), shape);
             OrtSession.Result result = bundle.session(role).run(Map.of(file.inputs().get(0).name(), tensor), Set.of(output))) {
            OnnxTensor values = (OnnxTensor) result.get(output).orElseThrow();
            long[] outShape = values.getInfo().getShape();
            long[] rowShape = Arrays.copyOfRange(outShape, 1, outShape.length);
            int rowLength = Math.toIntExact(Arrays.stream(rowShape).reduce(1, Math::multiplyExact));
            FloatBuffer buffer = values.getFloatBuffer();
            float[][] out = new float[rows][rowLength];
            for (float[] row : out) {
                buffer.get(row);
            }
            return new Output(out, rowShape);
        }
    }
}
