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

    /**
     * A bundle assembled from an encoder that fixes its batch at 2 and a segmenter that fixes it at 1 (as exports made
     * with a dummy input of that size are) is accepted, loaded, and runs three images through each model, giving what
     * the same bundle with dynamic batches gives.
     */
    @Test
    void aBundleOfFixedBatchModelsLoadsAndServesThreeImages(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        OrtSessionFactory sessions = OrtSessionFactory.cpu(1);
        org.affectdml.inference.bundle.DefaultBundleAssembler.Inputs dynamic = org.affectdml.inference.testing.TinyModels.write(tmp.resolve("dynamic"));
        java.nio.file.Path encoder = java.nio.file.Files.write(tmp.resolve("encoder-batch-2.onnx"),
                withFixedBatch(org.affectdml.inference.testing.TinyModels.encoder(), 2));
        java.nio.file.Path segmenter = java.nio.file.Files.write(tmp.resolve("segmenter-batch-1.onnx"),
                withFixedBatch(org.affectdml.inference.testing.TinyModels.segmenter(), 1));
        org.affectdml.inference.bundle.DefaultBundleAssembler.Inputs fixed = new org.affectdml.inference.bundle.DefaultBundleAssembler.Inputs(
                encoder, encoder, dynamic.encoderOutput(), dynamic.encoderInputSize(), segmenter, dynamic.segmenterLabels(), dynamic.segmenterInputSize());
        try (var reference = load(sessions, dynamic, tmp.resolve("store-dynamic"));
             var served = load(sessions, fixed, tmp.resolve("store-fixed"))) {
            for (String role : java.util.List.of(org.affectdml.inference.bundle.Roles.IMAGE_ENCODER, org.affectdml.inference.bundle.Roles.SEGMENTER)) {
                var pre = reference.manifest().file(role).preprocessing();
                float[] images = new float[3 * 3 * pre.height() * pre.width()];
                Random random = new Random(role.hashCode());
                for (int i = 0; i < images.length; i++) {
                    images[i] = (float) random.nextGaussian();
                }
                ImageModelRunner.Output expected = ImageModelRunner.runNow(reference, role, images, 3);
                ImageModelRunner.Output actual = ImageModelRunner.runNow(served, role, images, 3);
                assertArrayEquals(expected.rowShape(), actual.rowShape(), role);
                for (int r = 0; r < 3; r++) {
                    assertArrayEquals(expected.rows()[r], actual.rows()[r], 1e-6f, role + " row " + r);
                }
            }
        }
    }

    private static org.affectdml.inference.bundle.LoadedBundle load(OrtSessionFactory sessions,
                                                                    org.affectdml.inference.bundle.DefaultBundleAssembler.Inputs inputs,
                                                                    java.nio.file.Path storeDir) throws Exception {
        org.affectdml.inference.bundle.ModelStore store = new org.affectdml.inference.bundle.ModelStore(storeDir);
        String version = new org.affectdml.inference.bundle.DefaultBundleAssembler(sessions).assemble(inputs, store);
        return new org.affectdml.inference.bundle.BundleLoader(sessions).load(store.bundleDirectory(version),
                java.util.Set.copyOf(org.affectdml.inference.bundle.Roles.ONNX_ROLES));
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
