package org.affectdml.registry.model;

import jakarta.persistence.Basic;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.Table;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/** A support example: the original image (kept for re-embedding), the person box and free-form metadata. */
@Entity
@Table(name = "support_sample")
public class SupportSampleEntity {

    @Id
    public UUID id;

    @Column(name = "taxonomy_id", nullable = false)
    public Long taxonomyId;

    @ManyToOne(optional = false)
    @JoinColumn(name = "class_id")
    public EmotionClassEntity emotionClass;

    @Basic(fetch = FetchType.LAZY)
    @Column(nullable = false)
    public byte[] image;

    @Column(name = "media_type", nullable = false)
    public String mediaType;

    @Column(name = "image_sha256", nullable = false)
    public String imageSha256;

    @Column(name = "box_x1", nullable = false)
    public float x1;
    @Column(name = "box_y1", nullable = false)
    public float y1;
    @Column(name = "box_x2", nullable = false)
    public float x2;
    @Column(name = "box_y2", nullable = false)
    public float y2;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(nullable = false)
    public Map<String, String> metadata = new HashMap<>();

    @Column(nullable = false)
    public OffsetDateTime created = OffsetDateTime.now();
}
