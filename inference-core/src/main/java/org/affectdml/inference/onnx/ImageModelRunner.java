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
        long[] slice = {3, file.preprocessing().height(), file.preprocessing().width()};
        return run(bundle.session(role), file.inputs().get(0).name(), file.outputs().get(0).name(), slice, input, rows);
    }

    /**
     * {@code rows} slices of shape {@code slice} through {@code session}. A graph exported with a fixed batch size (as
     * torch.onnx.export writes without dynamic_axes: 1) is run in runs of that size, the last one padded with zeros,
     * so that any number of images can be served by it.
     */
    static Output run(OrtSession session, String input, String output, long[] slice, float[] values, int rows) throws OrtException {
        if (rows <= 0) {
            throw new IllegalArgumentException("an image model runs on at least one image, got " + rows);
        }
        long fixed = fixedBatch(session, input);
        if (fixed <= 0 || fixed == rows) {
            return runOnce(session, input, output, slice, values, rows);
        }
        int size = Math.toIntExact(fixed);
        int sliceLength = Math.toIntExact(Arrays.stream(slice).reduce(1, Math::multiplyExact));
        float[][] out = new float[rows][];
        long[] rowShape = null;
        for (int start = 0; start < rows; start += size) {
            int used = Math.min(size, rows - start);
            float[] chunk = new float[size * sliceLength];
            System.arraycopy(values, start * sliceLength, chunk, 0, used * sliceLength);
            Output part = runOnce(session, input, output, slice, chunk, size);
            System.arraycopy(part.rows(), 0, out, start, used);
            rowShape = part.rowShape();
        }
        return new Output(out, rowShape);
    }

    /**
     * The batch size the graph fixes for {@code input} (an image model's only input), or 0 when its batch dimension is
     * dynamic; asked once per session.
     */
    static long fixedBatch(OrtSession session, String input) throws OrtException {
        Long known = FixedBatches.SIZES.get(session);
        if (known != null) {
            return known;
        }
        ai.onnxruntime.NodeInfo info = session.getInputInfo().get(input);
        if (info == null || !(info.getInfo() instanceof ai.onnxruntime.TensorInfo tensor)) {
            throw new IllegalArgumentException("the model has no tensor input '" + input + "' (it has " + session.getInputNames() + ")");
        }
        long fixed = Math.max(0, tensor.getShape()[0]);
        FixedBatches.SIZES.put(session, fixed);
        return fixed;
    }

    private static Output runOnce(OrtSession session, String input, String output, long[] slice, float[] values, int rows)
            throws OrtException {
        long[] shape = new long[slice.length + 1];
        shape[0] = rows;
        System.arraycopy(slice, 0, shape, 1, slice.length);
        try (OnnxTensor tensor = OnnxTensor.createTensor(OrtSessionFactory.environment(), FloatBuffer.wrap(values), shape);
             OrtSession.Result result = session.run(Map.of(input, tensor), Set.of(output))) {
            OnnxTensor outputs = (OnnxTensor) result.get(output).orElseThrow();
            long[] outShape = outputs.getInfo().getShape();
            long[] rowShape = Arrays.copyOfRange(outShape, 1, outShape.length);
            int rowLength = Math.toIntExact(Arrays.stream(rowShape).reduce(1, Math::multiplyExact));
            FloatBuffer buffer = outputs.getFloatBuffer();
            float[][] out = new float[rows][rowLength];
            for (float[] row : out) {
                buffer.get(row);
            }
            return new Output(out, rowShape);
        }
    }

    /** Fixed batch sizes by session (weakly held: a closed bundle's sessions go with it). */
    final class FixedBatches {
        static final java.util.Map<OrtSession, Long> SIZES = java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

        private FixedBatches() {
        }
    }
}
