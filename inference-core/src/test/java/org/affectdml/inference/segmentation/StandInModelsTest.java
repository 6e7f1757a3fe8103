package org.affectdml.inference.segmentation;

import org.affectdml.inference.bundle.BundleLoader;
import org.affectdml.inference.bundle.LoadedBundle;
import org.affectdml.inference.bundle.ModelStore;
import org.affectdml.inference.bundle.Roles;
import org.affectdml.inference.embedding.FusedEmbedder;
import org.affectdml.inference.embedding.PersonInImage;
import org.affectdml.inference.image.ImageDecoder;
import org.affectdml.inference.image.ImageLimits;
import org.affectdml.inference.image.PixelRegion;
import org.affectdml.inference.image.RgbImage;
import org.affectdml.inference.onnx.OrtSessionFactory;
import org.affectdml.inference.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real-architecture stand-ins of ../shared/models (ResNet-18, SegFormer-b0 ADE20K; untrained weights)
 * through the default bundle: shapes, label order and the I/O contract, never semantic outputs.
 */
class StandInModelsTest {

    @TempDir
    Path tmp;

    @Test
    void defaultBundleFromTheStandInsSegmentsAndEmbedsARealPhoto() throws Exception {
        Path shared = TestImages.requireSharedDir();
        OrtSessionFactory sessions = OrtSessionFactory.cpu(0);
        ModelStore store = new ModelStore(tmp);
        String version = org.affectdml.inference.testing.StandInBundle.assemble(shared, store, sessions);
        try (LoadedBundle bundle = new BundleLoader(sessions).load(store.bundleDirectory(version), Set.copyOf(Roles.ONNX_ROLES))) {
            assertEquals(512, bundle.manifest().file(Roles.IMAGE_ENCODER).outputs().get(0).lastDim());
            assertEquals(List.of("wall", "building", "sky"), bundle.segmenterLabels().subList(0, 3));
            assertEquals("person", bundle.segmenterLabels().get(12));

            byte[] jpeg = Files.readAllBytes(shared.resolve("images/ultralytics-bus.jpg"));
            RgbImage image = new ImageDecoder(ImageLimits.DEFAULT).decode(jpeg);
            assertEquals(810, image.width());
            assertEquals(1080, image.height());
            SegmentationResult seg = SemanticSegmenter.segment(bundle, List.of(image), 0).get(0);
            assertEquals(128, seg.width());
            assertEquals(150, seg.sem2vec().length);
            // Sem2Vec is the set of classes the label map shows (min pixel fraction 0): exactly the classes with pixels
            int pixels = 0;
            for (int c = 0; c < 150; c++) {
                float v = seg.sem2vec()[c];
                assertTrue(v == 0f || v == 1f, "Sem2Vec is a set: class " + c + " is " + v);
                assertEquals(seg.classCounts()[c] > 0 ? 1f : 0f, v, "class " + c + " with " + seg.classCounts()[c] + " pixels");
                pixels += seg.classCounts()[c];
            }
            assertEquals(seg.width() * seg.height(), pixels, "every pixel of the label map has one class");

            PersonInImage person = new PersonInImage(image, PixelRegion.ofPersonBox(50, 400, 250, 900, image.width(), image.height()));
            FusedEmbedder.EncoderFeatures f = FusedEmbedder.encode(bundle, List.of(person));
            assertEquals(512, f.image()[0].length);
            assertEquals(512, f.body()[0].length);
            float[][] z = FusedEmbedder.head(bundle, f, new float[][]{seg.sem2vec()});
            double norm = 0;
            for (float v : z[0]) {
                norm += v * v;
            }
            assertEquals(128, z[0].length);
            assertEquals(1.0, Math.sqrt(norm), 1e-4);
        }
    }
}
