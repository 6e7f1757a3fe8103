package org.affectdml.trainer.service;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.affectdml.inference.onnx.ExecutionProvider;
import org.affectdml.serving.InferenceConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The trainer's former keys still configure the shared model-store and ONNX Runtime settings (deprecated aliases). */
@QuarkusTest
@TestProfile(DeprecatedKeysTest.FormerKeys.class)
class DeprecatedKeysTest {

    /**
     * Only the old names are set. A profile of its own, so application.properties' %test values of the new names do
     * not apply and its production lines (which read the old names first) are what is tested.
     */
    public static class FormerKeys implements QuarkusTestProfile {
        @Override
        public String getConfigProfile() {
            return "former-keys";
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("affect.trainer.model-store", "target/test-trainer/former-key-store",
                    "affect.trainer.execution-provider", "cpu",
                    "affect.trainer.intra-op-threads", "2",
                    "affect.trainer.work-dir", "target/test-trainer/former-key-work");
        }
    }

    @Inject
    InferenceConfig config;
    @Inject
    TrainerConfig trainerConfig;

    @Test
    void theFormerTrainerKeysAreRead() {
        assertEquals(Path.of("target/test-trainer/former-key-store"), config.modelStore().path());
        assertEquals(ExecutionProvider.CPU, ExecutionProvider.parse(config.onnx().executionProvider()));
        assertEquals(2, config.onnx().intraOpThreads());
        assertEquals(3, trainerConfig.deprecatedKeysInUse().size(), "each is named in a start-up warning");
    }
}
