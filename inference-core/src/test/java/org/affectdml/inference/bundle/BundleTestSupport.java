package org.affectdml.inference.bundle;

import org.affectdml.inference.onnx.OrtSessionFactory;
import org.affectdml.inference.testing.TinyModels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/** Helpers to publish tiny bundles and to publish deliberately broken copies of them. */
public final class BundleTestSupport {

    static final OrtSessionFactory SESSIONS = OrtSessionFactory.cpu(1);
    static final BundleLoader LOADER = new BundleLoader(SESSIONS);

    private BundleTestSupport() {
    }

    static String publishTinyDefault(ModelStore store, Path sources) throws Exception {
        return new DefaultBundleAssembler(SESSIONS).assemble(TinyModels.write(sources), store);
    }

    /** Copies a published bundle under a new version with its manifest changed; no verification. */
    public static String copyWithManifest(ModelStore store, String version, String newVersion, UnaryOperator<BundleManifest> change)
            throws IOException {
        Path from = store.bundleDirectory(version);
        Path to = store.bundleDirectory(newVersion);
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        BundleManifest m = Manifests.read(from);
        BundleManifest renamed = new BundleManifest(m.format(), newVersion, m.created(), version, m.description(), m.headKind(),
                m.embeddingDimension(), m.dataset(), m.protocol(), m.variant(), m.hyperparameters(), m.metrics(), m.files());
        Manifests.write(change.apply(renamed), to);
        return newVersion;
    }

    /** Points ACTIVE at a version without verifying it (what a careless operator or a bug could do). */
    static void forceActive(ModelStore store, String version) throws IOException {
        Files.writeString(store.root().resolve(ModelStore.ACTIVE_FILE), version + "\n");
    }

    static BundleManifest withFile(BundleManifest m, String role, ModelFile file) {
        var files = new java.util.LinkedHashMap<>(m.files());
        files.put(role, file);
        return new BundleManifest(m.format(), m.version(), m.created(), m.parent(), m.description(), m.headKind(),
                m.embeddingDimension(), m.dataset(), m.protocol(), m.variant(), m.hyperparameters(), m.metrics(), files);
    }
}
