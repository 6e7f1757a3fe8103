package org.affectdml.trainer.service;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import org.affectdml.inference.onnx.ExecutionProvider;
import org.affectdml.inference.onnx.OrtSessionFactory;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** {@code affect.trainer.*} in application.properties. */
@ConfigMapping(prefix = "affect.trainer")
public interface TrainerConfig {

    Path modelStore();

    Path workDir();

    @WithDefault("auto")
    String executionProvider();

    @WithDefault("0")
    int intraOpThreads();

    @WithDefault("/")
    Path datasetRoot();

    @WithDefault("0.1")
    double validationFraction();

    @WithDefault("100")
    int evaluationDraws();

    @WithDefault("2021")
    long supportSeed();

    Auth auth();

    interface Auth {
        @WithDefault("true")
        boolean enabled();

        Optional<List<String>> adminKeys();
    }

    default OrtSessionFactory sessionFactory() {
        return new OrtSessionFactory(ExecutionProvider.parse(executionProvider()), intraOpThreads(), 0);
    }
}
