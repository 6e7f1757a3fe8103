package org.affectdml.registry.repository;

import io.quarkus.hibernate.orm.panache.PanacheRepositoryBase;
import jakarta.enterprise.context.ApplicationScoped;
import org.affectdml.registry.model.SupportSampleEntity;

import java.util.ArrayList;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Support samples (the stored image, its person box and metadata). Every method runs in the caller's transaction. */
@ApplicationScoped
public class SupportRepository implements PanacheRepositoryBase<SupportSampleEntity, UUID> {

    /** A person box in pixels. */
    public record Box(float x1, float y1, float x2, float y2) {
    }

    /** What a new sample stores. */
    public record NewSample(UUID id, long taxonomyId, long classId, byte[] image, String mediaType, String imageSha256,
                            Box box, Map<String, String> metadata) {
    }

    /** A stored sample as the re-embedding worker needs it. */
    public record StoredImage(UUID id, long taxonomyId, long classId, byte[] image, String mediaType, Box box) {
    }

    public SupportSampleEntity findByImageAndBox(long taxonomyId, String imageSha256, Box box) {
        return find("taxonomyId = ?1 and imageSha256 = ?2 and x1 = ?3 and y1 = ?4 and x2 = ?5 and y2 = ?6",
                taxonomyId, imageSha256, box.x1(), box.y1(), box.x2(), box.y2()).firstResult();
    }

    /** Inserts the sample unless the taxonomy holds the same image and box already; true when inserted. */
    public boolean insertIfAbsent(NewSample s) {
        return getEntityManager().createNativeQuery("""
                        INSERT INTO support_sample (id, taxonomy_id, class_id, image, media_type, image_sha256,
                                                    box_x1, box_y1, box_x2, box_y2, metadata, created)
                        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, CAST(?11 AS jsonb), now())
                        ON CONFLICT (taxonomy_id, image_sha256, box_x1, box_y1, box_x2, box_y2) DO NOTHING""")
                .setParameter(1, s.id()).setParameter(2, s.taxonomyId()).setParameter(3, s.classId()).setParameter(4, s.image())
                .setParameter(5, s.mediaType()).setParameter(6, s.imageSha256())
                .setParameter(7, s.box().x1()).setParameter(8, s.box().y1()).setParameter(9, s.box().x2()).setParameter(10, s.box().y2())
                .setParameter(11, Json.write(s.metadata())).executeUpdate() == 1;
    }

    /** Where a page of supports ends: its last sample's creation time (epoch microseconds, as stored) and id. */
    public record Cursor(long createdMicros, UUID id) {
        public static long micros(OffsetDateTime t) {
            return t.toEpochSecond() * 1_000_000 + t.getNano() / 1000;
        }

        OffsetDateTime created() {
            return OffsetDateTime.ofInstant(java.time.Instant.EPOCH.plus(createdMicros, java.time.temporal.ChronoUnit.MICROS),
                    java.time.ZoneOffset.UTC);
        }
    }

    /** Up to {@code limit} samples of the taxonomy (or of one class) after the cursor (null = from the start), oldest first. */
    public List<SupportSampleEntity> pageAfter(long taxonomyId, Long classId, Cursor after, int limit) {
        String owner = classId == null ? "taxonomyId = :owner" : "emotionClass.id = :owner";
        var parameters = io.quarkus.panache.common.Parameters.with("owner", classId == null ? taxonomyId : classId);
        String position = "";
        if (after != null) {
            position = " and (created > :created or (created = :created and id > :id))";
            parameters = parameters.and("created", after.created()).and("id", after.id());
        }
        return find(owner + position + " order by created, id", parameters).page(0, limit).list();
    }

    public List<SupportSampleEntity> ofTaxonomy(long taxonomyId) {
        return list("taxonomyId = ?1 order by created, id", taxonomyId);
    }

    /** The sha256 of each support's image, by support id (no image bytes are read). */
    public Map<UUID, String> imageShasOf(long taxonomyId) {
        Map<UUID, String> shas = new java.util.HashMap<>();
        getEntityManager().createQuery("select s.id, s.imageSha256 from SupportSampleEntity s where s.taxonomyId = ?1", Object[].class)
                .setParameter(1, taxonomyId).getResultList().forEach(row -> shas.put((UUID) row[0], (String) row[1]));
        return shas;
    }

    public long countOfTaxonomy(long taxonomyId) {
        return count("taxonomyId", taxonomyId);
    }

    /** Up to {@code limit} samples without an embedding of {@code version}, oldest first. */
    @SuppressWarnings("unchecked")
    /** Samples with no embedding of the version, or one stored without its stream projections (before V5). */
    public List<UUID> withoutEmbedding(String version, int limit) {
        return getEntityManager().createNativeQuery("""
                        SELECT s.id FROM support_sample s WHERE NOT EXISTS (
                            SELECT 1 FROM support_embedding e WHERE e.sample_id = s.id AND e.model_version = ?1
                            AND e.image_projection IS NOT NULL)
                        ORDER BY s.created, s.id LIMIT ?2""", UUID.class)
                .setParameter(1, version).setParameter(2, limit).getResultList();
    }

    public long countWithoutEmbedding(String version) {
        return ((Number) getEntityManager().createNativeQuery("""
                        SELECT count(*) FROM support_sample s WHERE NOT EXISTS (
                            SELECT 1 FROM support_embedding e WHERE e.sample_id = s.id AND e.model_version = ?1
                            AND e.image_projection IS NOT NULL)""")
                .setParameter(1, version).getSingleResult()).longValue();
    }

    /** The images and boxes of the given samples (those still stored). */
    public List<StoredImage> images(List<UUID> ids) {
        List<StoredImage> out = new ArrayList<>();
        List<Object[]> rows = TaxonomyRepository.rows(getEntityManager().createNativeQuery("""
                        SELECT id, taxonomy_id, class_id, image, media_type, box_x1, box_y1, box_x2, box_y2
                        FROM support_sample WHERE id = ANY(CAST(?1 AS uuid[]))""")
                .setParameter(1, ids.toArray(UUID[]::new)).getResultList());
        for (Object[] d : rows) {
            out.add(new StoredImage((UUID) d[0], ((Number) d[1]).longValue(), ((Number) d[2]).longValue(), (byte[]) d[3],
                    (String) d[4], new Box(((Number) d[5]).floatValue(), ((Number) d[6]).floatValue(),
                    ((Number) d[7]).floatValue(), ((Number) d[8]).floatValue())));
        }
        return out;
    }

    public boolean exists(UUID id) {
        return count("id", id) == 1;
    }
}
