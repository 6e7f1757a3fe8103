package org.affectdml.trainer.service;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The trainer's own settings (prefix {@code affect.trainer}). The model store and ONNX Runtime are configured with
 * the keys every service shares ({@code affect.model-store.path}, {@code affect.onnx.*}, see model-serving's
 * InferenceConfig); the trainer's former {@code affect.trainer.model-store}, {@code affect.trainer.execution-provider}
 * and {@code affect.trainer.intra-op-threads} still work as deprecated aliases (application.properties).
 */
@ConfigMapping(prefix = "affect.trainer")
public interface TrainerConfig {

    /** jobs/ (job records), cache/ (features keyed by encoders + image + box), reports/&lt;version&gt;/ (evaluations, PNGs). */
    Path workDir();

    /** Data sets must lie under this directory: requests name paths the trainer can read, nothing outside it. */
    @WithDefault("/")
    Path datasetRoot();

    /** Fraction of the base-class persons held out to pick the best epoch. */
    @WithDefault("0.1")
    double validationFraction();

    /** Support draws of the one-shot evaluation (mean and 95 % interval over them). */
    @WithDefault("100")
    int evaluationDraws();

    /** Seed of the single, paper-style support draw. */
    @WithDefault("2021")
    long supportSeed();

    Auth auth();

    /** Deprecated alias of {@code affect.model-store.path} (application.properties reads it first). */
    @Deprecated
    Optional<Path> modelStore();

    /** Deprecated alias of {@code affect.onnx.execution-provider}. */
    @Deprecated
    Optional<String> executionProvider();

    /** Deprecated alias of {@code affect.onnx.intra-op-threads}. */
    @Deprecated
    Optional<Integer> intraOpThreads();

    /** The deprecated keys that are set, for a warning at start-up. */
    @SuppressWarnings("deprecation")
    default List<String> deprecatedKeysInUse() {
        List<String> keys = new java.util.ArrayList<>();
        modelStore().ifPresent(v -> keys.add("affect.trainer.model-store (use affect.model-store.path)"));
        executionProvider().ifPresent(v -> keys.add("affect.trainer.execution-provider (use affect.onnx.execution-provider)"));
        intraOpThreads().ifPresent(v -> keys.add("affect.trainer.intra-op-threads (use affect.onnx.intra-op-threads)"));
        return keys;
    }

    interface Auth {
        /** Require an admin key on every Trainer call ("authorization: Bearer KEY"). */
        @WithDefault("true")
        boolean enabled();

        /** Keys with the admin role; the same keys as support-registry's. */
        Optional<List<String>> adminKeys();

        /**
         * support-registry's client keys: known here only so that a valid key of the wrong role is told apart
         * (PERMISSION_DENIED) from an unknown one (UNAUTHENTICATED). They grant nothing on the trainer.
         */
        Optional<List<String>> clientKeys();
    }
}
