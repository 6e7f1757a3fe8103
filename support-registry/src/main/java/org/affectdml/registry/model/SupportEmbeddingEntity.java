package org.affectdml.registry.model;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import jakarta.persistence.EmbeddedId;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;
import org.hibernate.annotations.Array;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import java.io.Serializable;
import java.util.Objects;
import java.util.UUID;

/** The embedding of one support sample by one model version, in a pgvector column. */
@Entity
@Table(name = "support_embedding")
public class SupportEmbeddingEntity {

    /** Width of the vector column; bundles with another embedding dimension are refused. */
    public static final int DIMENSION = 128;

    @EmbeddedId
    public Key key;

    @Column(name = "taxonomy_id", nullable = false)
    public Long taxonomyId;

    @Column(name = "class_id", nullable = false)
    public Long classId;

    @JdbcTypeCode(SqlTypes.VECTOR)
    @Array(length = DIMENSION)
    @Column(nullable = false)
    public float[] embedding;

    @Embeddable
    public static class Key implements Serializable {
        @Column(name = "sample_id")
        public UUID sampleId;
        @Column(name = "model_version")
        public String modelVersion;

        public Key() {
        }

        public Key(UUID sampleId, String modelVersion) {
            this.sampleId = sampleId;
            this.modelVersion = modelVersion;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Objects.equals(sampleId, k.sampleId) && Objects.equals(modelVersion, k.modelVersion);
        }

        @Override
        public int hashCode() {
            return Objects.hash(sampleId, modelVersion);
        }
    }
}
