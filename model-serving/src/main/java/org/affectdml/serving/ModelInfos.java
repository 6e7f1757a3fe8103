package org.affectdml.serving;

import org.affectdml.inference.bundle.BundleManifest;
import org.affectdml.proto.v1.ModelInfo;

/** The one mapping of a bundle's manifest to affect.v1.ModelInfo (embedding-service's GetModel, the trainer's ListModels). */
public final class ModelInfos {

    private ModelInfos() {
    }

    /** Everything the manifest says; the caller adds what only it knows ({@code active}, {@code previous_version}). */
    public static ModelInfo.Builder of(BundleManifest m) {
        ModelInfo.Builder info = ModelInfo.newBuilder()
                .setVersion(m.version())
                .setCreated(orEmpty(m.created()))
                .setParent(orEmpty(m.parent()))
                .setEmbeddingDimension(m.embeddingDimension())
                .setHeadKind(headKind(m))
                .setDataset(orEmpty(m.dataset()))
                .setProtocol(orEmpty(m.protocol()))
                .putAllMetrics(m.metrics());
        m.files().forEach((role, file) -> info.putFileSha256(role, file.sha256()));
        return info;
    }

    /**
     * ModelInfo.head_kind: a trained head's variant in the paper's naming (the manifest's {@code variant},
     * e.g. "Sem-IB-DML"), else the manifest's {@code head_kind} ("default-random-projection" for the default head).
     */
    static String headKind(BundleManifest m) {
        return m.variant() != null && !m.variant().isBlank() ? m.variant() : orEmpty(m.headKind());
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }
}
