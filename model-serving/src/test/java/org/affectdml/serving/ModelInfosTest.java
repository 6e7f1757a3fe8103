package org.affectdml.serving;

import org.affectdml.inference.bundle.BundleManifest;
import org.affectdml.inference.bundle.DefaultHead;
import org.affectdml.inference.bundle.ModelFile;
import org.affectdml.proto.v1.ModelInfo;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The one BundleManifest to ModelInfo mapping that embedding-service's GetModel and the trainer's ListModels both answer with. */
class ModelInfosTest {

    private static final String SHA = "ab".repeat(32);

    private static BundleManifest manifest(String headKind, String variant, String dataset) {
        return new BundleManifest(BundleManifest.FORMAT, "v2", "2026-12-01T09:00:00Z", "v1", "a bundle", headKind, 128, dataset,
                "CAT-6:6", variant, Map.of("epochs", 12), Map.of("one_shot_mean_balanced", 0.61),
                Map.of("head", new ModelFile("head.onnx", SHA, 10, List.of(), List.of(), null)));
    }

    @Test
    void aTrainedHeadIsNamedByItsVariantInThePapersNaming() {
        ModelInfo info = ModelInfos.of(manifest("affect-dml-trained", "Sem-IB-DML", "EMOTIC")).build();
        assertEquals("Sem-IB-DML", info.getHeadKind());
        assertEquals("v2", info.getVersion());
        assertEquals("v1", info.getParent());
        assertEquals("2026-12-01T09:00:00Z", info.getCreated());
        assertEquals(128, info.getEmbeddingDimension());
        assertEquals("EMOTIC", info.getDataset());
        assertEquals("CAT-6:6", info.getProtocol());
        assertEquals(Map.of("one_shot_mean_balanced", 0.61), info.getMetricsMap());
        assertEquals(Map.of("head", SHA), info.getFileSha256Map());
        assertFalse(info.getActive(), "only the caller knows whether it is active");
    }

    @Test
    void theDefaultHeadKeepsItsKindAndMissingFieldsAreEmpty() {
        ModelInfo info = ModelInfos.of(manifest(DefaultHead.KIND, null, null)).build();
        assertEquals("default-random-projection", info.getHeadKind());
        assertEquals("", info.getDataset());
    }
}
