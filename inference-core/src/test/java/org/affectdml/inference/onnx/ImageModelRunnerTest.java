package org.affectdml.inference.onnx;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Image models whose batch dimension is fixed (torch.onnx.export without dynamic_axes fixes it at 1) serve any number
 * of images: the same rows as the same graph with a dynamic batch, in runs of the fixed size.
 */
class ImageModelRunnerTest {

    private static final int SIZE = 16;
    private static final long[] SLICE = {3, SIZE, SIZE};

    @Test
    void aFixedBatchGraphServesAnyNumberOfImages() throws Exception {
        byte[] dynamic = SmallModels.residualEncoder(3, SIZE);
        float[] images = new float[5 * 3 * SIZE * SIZE];
        Random random = new Random(4);
        for (int i = 0; i < images.length; i++) {
            images[i] = (float) random.nextGaussian();
        }
        try (OrtSession reference = OrtSessionFactory.cpu(1).open(dynamic);
             OrtSession batchOfOne = OrtSessionFactory.cpu(1).open(withFixedBatch(dynamic, 1));
             OrtSession batchOfTwo = OrtSessionFactory.cpu(1).open(withFixedBatch(dynamic, 2))) {
            ImageModelRunner.Output expected = ImageModelRunner.run(reference, "pixel_values", "features", SLICE, images, 5);
            for (OrtSession fixed : new OrtSession[]{batchOfOne, batchOfTwo}) {
                ImageModelRunner.Output served = ImageModelRunner.run(fixed, "pixel_values", "features", SLICE, images, 5);
                assertEquals(5, served.rows().length);
                assertArrayEquals(expected.rowShape(), served.rowShape());
                for (int r = 0; r < 5; r++) {
                    assertArrayEquals(expected.rows()[r], served.rows()[r], 1e-6f, "row " + r);
                }
            }
            // what a fixed batch refuses when it is not run in its own size
            float[] three = java.util.Arrays.copyOf(images, 3 * 3 * SIZE * SIZE);
            assertThrows(OrtException.class, () -> batchOfOne.run(java.util.Map.of("pixel_values", ai.onnxruntime.OnnxTensor.createTensor(
                    OrtSessionFactory.environment(), java.nio.FloatBuffer.wrap(three), new long[]{3, 3, SIZE, SIZE}))));
        }
    }

    /** The graph with its input's and outputs' first dimension fixed at {@code batch}. */
    private static byte[] withFixedBatch(byte[] onnx, long batch) throws Exception {
        OnnxMl.ModelProto.Builder model = OnnxMl.ModelProto.parseFrom(onnx).toBuilder();
        OnnxMl.GraphProto.Builder graph = model.getGraphBuilder();
        for (OnnxMl.ValueInfoProto.Builder value : graph.getInputBuilderList()) {
            value.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder().getDimBuilder(0).clear().setDimValue(batch);
        }
        for (OnnxMl.ValueInfoProto.Builder value : graph.getOutputBuilderList()) {
            value.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder().getDimBuilder(0).clear().setDimValue(batch);
        }
        return model.build().toByteArray();
    }
}
