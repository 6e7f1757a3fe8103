package org.affectdml.registry.service;

import org.affectdml.proto.v1.ModelInfo;
import org.affectdml.registry.client.EmbeddingClient;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.OptionalDouble;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The served bundle's temperature comes from GetModel's metrics (the trainer's calibrated_temperature), for the active
 * version only: GetModel describes the active bundle, not the one it replaced.
 */
class ServingVersionsTest {

    /** embedding-service as GetModel answers it, without a server (vetoed: not a bean of the Quarkus tests). */
    @jakarta.enterprise.inject.Vetoed
    private static final class Answering extends EmbeddingClient {
        ModelInfo model;

        @Override
        public ModelInfo model() {
            return model;
        }
    }

    @Test
    void theBundleTemperatureIsTheActiveVersionsManifestMetric() {
        Answering embedding = new Answering();
        ServingVersions versions = new ServingVersions();
        versions.embeddings = embedding;
        assertEquals(OptionalDouble.empty(), versions.bundleTemperature("v2"), "nothing asked yet");

        embedding.model = ModelInfo.newBuilder().setVersion("v2").setPreviousVersion("v1")
                .putMetrics(org.affectdml.service.calibration.Calibration.MANIFEST_METRIC, 0.037).putMetrics("one_shot_accuracy", 0.4).build();
        assertEquals(List.of("v2", "v1"), versions.fresh());
        assertEquals(OptionalDouble.of(0.037), versions.bundleTemperature("v2"));
        assertEquals(OptionalDouble.empty(), versions.bundleTemperature("v1"), "the replaced bundle's manifest is not described");

        embedding.model = ModelInfo.newBuilder().setVersion("v3").build();
        versions.fresh();
        assertEquals(OptionalDouble.empty(), versions.bundleTemperature("v3"), "a bundle without a fitted temperature");
    }
}
