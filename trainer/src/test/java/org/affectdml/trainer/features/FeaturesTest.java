package org.affectdml.trainer.features;

import org.affectdml.inference.bundle.BundleLoader;
import org.affectdml.inference.bundle.LoadedBundle;
import org.affectdml.inference.bundle.ModelStore;
import org.affectdml.inference.bundle.Roles;
import org.affectdml.inference.onnx.OrtSessionFactory;
import org.affectdml.inference.testing.TinyModels;
import org.affectdml.trainer.emotic.EmoticDataset;
import org.affectdml.trainer.emotic.EmoticPerson;
import org.affectdml.trainer.synthetic.SyntheticEmotic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Data set loading (missing images reported), feature extraction, the cache and its key, progress lines. */
class FeaturesTest {

    @TempDir
    Path tmp;

    @Test
    void missingImagesAreReportedAndSkippedAndTheCacheServesTheSecondRun() throws Exception {
        Path data = tmp.resolve("data");
        List<EmoticPerson> written = SyntheticEmotic.generate(data, new SyntheticEmotic.Options(30, 64, 64, 3), n -> { });
        EmoticPerson gone = written.get(4);
        Files.delete(data.resolve(gone.image()));

        List<String> reported = new ArrayList<>();
        EmoticDataset mat = EmoticDataset.load(data, data.resolve("annotations/Annotations.mat"), reported::add);
        EmoticDataset csv = EmoticDataset.load(data, data.resolve("annotations"), r -> { });
        assertEquals(29, mat.persons().size());
        assertEquals(29, csv.persons().size(), "the CSV form and the .mat hold the same persons");
        assertEquals(1, reported.size());
        assertTrue(reported.get(0).contains("image not found, person skipped") && reported.get(0).contains(gone.image()), reported.get(0));

        String version = TinyModels.activeDefaultBundle(tmp.resolve("store"));
        ModelStore store = new ModelStore(tmp.resolve("store"));
        try (LoadedBundle bundle = new BundleLoader(OrtSessionFactory.cpu(1)).load(store.bundleDirectory(version), Set.copyOf(Roles.ONNX_ROLES))) {
            FeatureCache cache = FeatureCache.open(tmp.resolve("cache"), bundle.manifest(), 0);
            List<String> progress = new ArrayList<>();
            ExtractedFeatures first = new FeatureExtractor(bundle, cache, 4).extract(mat.root(), mat.persons(), s -> progress.add(s.line()), r -> { }, () -> false);
            assertEquals(29, first.computed());
            assertEquals(TinyModels.FEATURES, first.imageDim());
            assertEquals(TinyModels.SEGMENTER_CLASSES.size(), first.semDim());
            assertTrue(progress.get(progress.size() - 1).matches("features \\[=+\\] 29/29 100% .* persons/s ETA 0s"), progress.toString());

            ExtractedFeatures second = new FeatureExtractor(bundle, cache, 4).extract(mat.root(), mat.persons(), s -> { }, r -> { }, () -> false);
            assertEquals(0, second.computed());
            assertEquals(29, second.cacheHits());
            for (int i = 0; i < 29; i++) {
                assertArrayEquals(first.features().get(i).body(), second.features().get(i).body());
                assertArrayEquals(first.features().get(i).sem2vec(), second.features().get(i).sem2vec());
            }
            assertNotEquals(FeatureCache.modelKey(bundle.manifest(), 0), FeatureCache.modelKey(bundle.manifest(), 0.01),
                    "another Sem2Vec threshold is another cache");
        }
    }

    @Test
    void progressLineShowsRateAndEta() {
        List<Progress.Snapshot> seen = new ArrayList<>();
        Progress p = new Progress("features", 4, "persons", seen::add, 0);
        p.advance(1);
        assertTrue(seen.get(0).line().startsWith("features [=====>              ] 1/4 25% "), seen.get(0).line());
        assertEquals(0.25, seen.get(0).fraction());
        assertEquals("1h01m", Progress.formatSeconds(3660));
        assertEquals("2m05s", Progress.formatSeconds(125));
    }
}
