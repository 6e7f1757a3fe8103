package org.affectdml.registry;

import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import org.affectdml.inference.bundle.Sha256;
import org.affectdml.inference.image.ImageFormats;
import org.affectdml.proto.v1.AddSupportResponse;
import org.affectdml.proto.v1.EmotionClass;
import org.affectdml.proto.v1.ExportedSupport;
import org.affectdml.proto.v1.Image;
import org.affectdml.proto.v1.ListSupportsResponse;
import org.affectdml.proto.v1.ListTaxonomiesResponse;
import org.affectdml.proto.v1.PersonBox;
import org.affectdml.proto.v1.SupportSample;
import org.affectdml.proto.v1.Taxonomy;
import org.affectdml.proto.v1.TaxonomyArchiveChunk;
import org.affectdml.proto.v1.TaxonomyKind;
import org.affectdml.registry.model.EmotionClassEntity;
import org.affectdml.registry.model.SupportSampleEntity;
import org.affectdml.registry.model.TaxonomyEntity;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Taxonomies, classes and support samples. Every write is one transaction; AddSupport embeds before it
 * opens the transaction, so an unreachable embedding-service leaves nothing half-written.
 */
@ApplicationScoped
public class TaxonomyService {

    static final Pattern TAXONOMY_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    private static final int MAX_CLASS_NAME = 64;

    @Inject
    EntityManager em;
    @Inject
    EmbeddingClient embeddings;
    @Inject
    ServingVersions versions;
    @Inject
    RegistryConfig config;

    public Taxonomy create(Taxonomy request) {
        if (!TAXONOMY_NAME.matcher(request.getName()).matches()) {
            throw RegistryErrors.invalid("taxonomy name '" + request.getName() + "' must be 1-64 characters of a-z, 0-9, '.', '_', '-' starting with a letter or digit");
        }
        if (request.getKind() != TaxonomyKind.TAXONOMY_KIND_CATEGORICAL && request.getKind() != TaxonomyKind.TAXONOMY_KIND_LEVEL) {
            throw RegistryErrors.invalid("taxonomy kind must be TAXONOMY_KIND_CATEGORICAL or TAXONOMY_KIND_LEVEL");
        }
        if (request.getClassesCount() == 0) {
            throw RegistryErrors.invalid("a taxonomy needs at least one class (Classify needs two, each with a support)");
        }
        Set<String> names = new HashSet<>();
        for (EmotionClass c : request.getClassesList()) {
            if (c.getName().isBlank() || c.getName().length() > MAX_CLASS_NAME) {
                throw RegistryErrors.invalid("class name '" + c.getName() + "' must be 1-" + MAX_CLASS_NAME + " characters");
            }
            if (!names.add(c.getName())) {
                throw RegistryErrors.invalid("class '" + c.getName() + "' is listed twice");
            }
        }
        return QuarkusTransaction.requiringNew().call(() -> {
            if (TaxonomyEntity.byName(request.getName()).isPresent()) {
                throw RegistryErrors.alreadyExists("taxonomy '" + request.getName() + "' exists already");
            }
            TaxonomyEntity t = new TaxonomyEntity();
            t.name = request.getName();
            t.kind = request.getKind().name().substring("TAXONOMY_KIND_".length());
            t.description = request.getDescription();
            int position = 0;
            for (EmotionClass c : request.getClassesList()) {
                EmotionClassEntity e = new EmotionClassEntity();
                e.taxonomy = t;
                e.name = c.getName();
                e.description = c.getDescription();
                e.level = c.getLevel();
                e.position = position++;
                t.classes.add(e);
            }
            t.persist();
            return ProtoMapping.taxonomy(t, Map.of());
        });
    }

    public Taxonomy get(String name) {
        return QuarkusTransaction.requiringNew().call(() -> {
            TaxonomyEntity t = require(name);
            return ProtoMapping.taxonomy(t, supportCounts(t.id));
        });
    }

    public ListTaxonomiesResponse list(int pageSize, String pageToken) {
        int size = pageSize <= 0 ? 50 : Math.min(pageSize, 500);
        return QuarkusTransaction.requiringNew().call(() -> {
            List<TaxonomyEntity> page = TaxonomyEntity.<TaxonomyEntity>find("name > ?1 order by name", pageToken == null ? "" : pageToken)
                    .page(0, size + 1).list();
            ListTaxonomiesResponse.Builder r = ListTaxonomiesResponse.newBuilder();
            for (TaxonomyEntity t : page.subList(0, Math.min(size, page.size()))) {
                r.addTaxonomies(ProtoMapping.taxonomy(t, supportCounts(t.id)));
            }
            if (page.size() > size) {
                r.setNextPageToken(page.get(size - 1).name);
            }
            return r.build();
        });
    }

    /** Deletes the taxonomy with its classes, samples and embeddings in one transaction. */
    public int delete(String name) {
        return QuarkusTransaction.requiringNew().call(() -> {
            TaxonomyEntity t = require(name);
            int supports = ((Number) em.createNativeQuery("SELECT count(*) FROM support_sample WHERE taxonomy_id = ?1")
                    .setParameter(1, t.id).getSingleResult()).intValue();
            em.createNativeQuery("DELETE FROM support_embedding WHERE taxonomy_id = ?1").setParameter(1, t.id).executeUpdate();
            em.createNativeQuery("DELETE FROM taxonomy WHERE id = ?1").setParameter(1, t.id).executeUpdate();
            return supports;
        });
    }

    public AddSupportResponse addSupport(String taxonomy, String className, Image image, PersonBox box, Map<String, String> metadata) {
        if (box == null) {
            throw RegistryErrors.invalid("request has no person box (x1, y1, x2, y2 in pixels)");
        }
        if (image.getData().isEmpty()) {
            throw RegistryErrors.invalid("support image is empty (0 bytes)");
        }
        if (image.getData().size() > config.maxImageBytes()) {
            throw RegistryErrors.invalid("support image is " + image.getData().size() + " bytes, above the limit of "
                    + config.maxImageBytes() + " bytes (affect.registry.max-image-bytes)");
        }
        byte[] bytes = image.getData().toByteArray();
        String sha = Sha256.of(bytes);
        String mediaType = ImageFormats.mediaTypeOf(bytes);

        // Validate names and find a repeat before paying for an embedding.
        Long classId = QuarkusTransaction.requiringNew().call(() -> {
            TaxonomyEntity t = require(taxonomy);
            EmotionClassEntity c = requireClass(t, className);
            SupportSampleEntity existing = findSample(t.id, sha, box);
            return existing == null ? c.id : null;
        });
        if (classId == null) {
            return existingSample(taxonomy, className, sha, box);
        }

        // Embed outside any transaction with every version the taxonomy is served with, so it stays complete.
        EmbeddingClient.Item item = new EmbeddingClient.Item(bytes, mediaType, box.getX1(), box.getY1(), box.getX2(), box.getY2());
        List<EmbeddingClient.Embedded> vectors = new ArrayList<>();
        EmbeddingClient.Embedded active = embeddings.embed(item, "");
        vectors.add(active);
        String serving = versions.servingVersion(taxonomy).orElse(active.modelVersion());
        if (!serving.equals(active.modelVersion())) {
            vectors.add(embeddings.embed(item, serving));
        }

        UUID id = UUID.randomUUID();
        boolean inserted = QuarkusTransaction.requiringNew().call(() -> {
            TaxonomyEntity t = require(taxonomy);
            EmotionClassEntity c = requireClass(t, className);
            int rows = em.createNativeQuery("""
                    INSERT INTO support_sample (id, taxonomy_id, class_id, image, media_type, image_sha256,
                                                box_x1, box_y1, box_x2, box_y2, metadata, created)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, CAST(?11 AS jsonb), now())
                    ON CONFLICT (taxonomy_id, image_sha256, box_x1, box_y1, box_x2, box_y2) DO NOTHING""")
                    .setParameter(1, id).setParameter(2, t.id).setParameter(3, c.id).setParameter(4, bytes)
                    .setParameter(5, mediaType).setParameter(6, sha)
                    .setParameter(7, box.getX1()).setParameter(8, box.getY1()).setParameter(9, box.getX2()).setParameter(10, box.getY2())
                    .setParameter(11, Json.write(metadata)).executeUpdate();
            if (rows == 0) {
                return false;  // a concurrent identical AddSupport won
            }
            for (EmbeddingClient.Embedded v : vectors) {
                insertEmbedding(id, v, t.id, c.id);
            }
            t.touch();
            return true;
        });
        if (!inserted) {
            return existingSample(taxonomy, className, sha, box);
        }
        return AddSupportResponse.newBuilder().setSample(sample(taxonomy, id)).setCreated(true).build();
    }

    void insertEmbedding(UUID sampleId, EmbeddingClient.Embedded v, long taxonomyId, long classId) {
        em.createNativeQuery("""
                INSERT INTO support_embedding (sample_id, model_version, taxonomy_id, class_id, embedding)
                VALUES (?1, ?2, ?3, ?4, CAST(?5 AS vector)) ON CONFLICT DO NOTHING""")
                .setParameter(1, sampleId).setParameter(2, v.modelVersion()).setParameter(3, taxonomyId)
                .setParameter(4, classId).setParameter(5, VectorText.of(v.values())).executeUpdate();
    }

    private AddSupportResponse existingSample(String taxonomy, String className, String sha, PersonBox box) {
        return QuarkusTransaction.requiringNew().call(() -> {
            TaxonomyEntity t = require(taxonomy);
            SupportSampleEntity s = findSample(t.id, sha, box);
            if (s == null) {
                throw RegistryErrors.notFound("support sample vanished while it was being added; retry");
            }
            if (!s.emotionClass.name.equals(className)) {
                throw RegistryErrors.alreadyExists("this image and box are already a support of class '" + s.emotionClass.name
                        + "' in taxonomy '" + taxonomy + "' (sample " + s.id + "); remove it first to move it to '" + className + "'");
            }
            return AddSupportResponse.newBuilder().setSample(ProtoMapping.sample(s, taxonomy, embeddedVersions(s.id))).setCreated(false).build();
        });
    }

    public void removeSupport(String taxonomy, String supportId) {
        UUID id = parseId(supportId);
        QuarkusTransaction.requiringNew().run(() -> {
            TaxonomyEntity t = require(taxonomy);
            SupportSampleEntity s = SupportSampleEntity.findById(id);
            if (s == null || !s.taxonomyId.equals(t.id)) {
                throw RegistryErrors.notFound("taxonomy '" + taxonomy + "' has no support sample " + supportId);
            }
            em.createNativeQuery("DELETE FROM support_embedding WHERE sample_id = ?1").setParameter(1, id).executeUpdate();
            s.delete();
            t.touch();
        });
    }

    public ListSupportsResponse listSupports(String taxonomy, String className, int pageSize, String pageToken) {
        int size = pageSize <= 0 ? 50 : Math.min(pageSize, 500);
        int offset = pageToken == null || pageToken.isEmpty() ? 0 : parseOffset(pageToken);
        return QuarkusTransaction.requiringNew().call(() -> {
            TaxonomyEntity t = require(taxonomy);
            List<SupportSampleEntity> page;
            if (className == null || className.isEmpty()) {
                page = SupportSampleEntity.<SupportSampleEntity>find("taxonomyId = ?1 order by created, id", t.id).range(offset, offset + size).list();
            } else {
                EmotionClassEntity c = requireClass(t, className);
                page = SupportSampleEntity.<SupportSampleEntity>find("emotionClass.id = ?1 order by created, id", c.id).range(offset, offset + size).list();
            }
            ListSupportsResponse.Builder r = ListSupportsResponse.newBuilder();
            for (SupportSampleEntity s : page) {
                r.addSamples(ProtoMapping.sample(s, taxonomy, embeddedVersions(s.id)));
            }
            if (page.size() == size) {
                r.setNextPageToken(Integer.toString(offset + size));
            }
            return r.build();
        });
    }

    /** The taxonomy's header chunk, then one chunk per support with its original image (ExportTaxonomy). */
    public List<TaxonomyArchiveChunk> export(String taxonomy) {
        return QuarkusTransaction.requiringNew().call(() -> {
            TaxonomyEntity t = require(taxonomy);
            List<TaxonomyArchiveChunk> chunks = new ArrayList<>();
            chunks.add(TaxonomyArchiveChunk.newBuilder().setHeader(ProtoMapping.taxonomy(t, supportCounts(t.id))).build());
            for (SupportSampleEntity s : SupportSampleEntity.<SupportSampleEntity>find("taxonomyId = ?1 order by created, id", t.id).list()) {
                chunks.add(TaxonomyArchiveChunk.newBuilder().setSupport(ExportedSupport.newBuilder().setClassName(s.emotionClass.name)
                        .setImage(Image.newBuilder().setData(com.google.protobuf.ByteString.copyFrom(s.image)).setMediaType(s.mediaType))
                        .setBox(PersonBox.newBuilder().setX1(s.x1).setY1(s.y1).setX2(s.x2).setY2(s.y2))
                        .putAllMetadata(s.metadata)).build());
            }
            return chunks;
        });
    }

    /** Creates the taxonomy and adds every support; on any failure the new taxonomy is removed again. */
    public Taxonomy importTaxonomy(Taxonomy header, List<ExportedSupport> supports) {
        Taxonomy.Builder clean = header.toBuilder().clearRevision().clearCreated().clearUpdated().clearClasses();
        header.getClassesList().forEach(c -> clean.addClasses(c.toBuilder().clearSupportCount()));
        create(clean.build());
        try {
            for (ExportedSupport s : supports) {
                addSupport(header.getName(), s.getClassName(), s.getImage(), s.hasBox() ? s.getBox() : null, s.getMetadataMap());
            }
        } catch (RuntimeException e) {
            delete(header.getName());
            throw e;
        }
        return get(header.getName());
    }

    SupportSample sample(String taxonomy, UUID id) {
        return QuarkusTransaction.requiringNew().call(() -> {
            SupportSampleEntity s = SupportSampleEntity.findById(id);
            return ProtoMapping.sample(s, taxonomy, embeddedVersions(id));
        });
    }

    TaxonomyEntity require(String name) {
        return TaxonomyEntity.byName(name).orElseThrow(() -> RegistryErrors.notFound("taxonomy '" + name + "' does not exist"));
    }

    private static EmotionClassEntity requireClass(TaxonomyEntity t, String className) {
        return t.classes.stream().filter(c -> c.name.equals(className)).findFirst()
                .orElseThrow(() -> RegistryErrors.notFound("taxonomy '" + t.name + "' has no class '" + className + "' (classes: "
                        + t.classes.stream().map(c -> c.name).toList() + ")"));
    }

    private static SupportSampleEntity findSample(long taxonomyId, String sha, PersonBox box) {
        return SupportSampleEntity.<SupportSampleEntity>find(
                        "taxonomyId = ?1 and imageSha256 = ?2 and x1 = ?3 and y1 = ?4 and x2 = ?5 and y2 = ?6",
                        taxonomyId, sha, box.getX1(), box.getY1(), box.getX2(), box.getY2())
                .firstResult();
    }

    @SuppressWarnings("unchecked")
    private List<String> embeddedVersions(UUID sampleId) {
        return em.createNativeQuery("SELECT model_version FROM support_embedding WHERE sample_id = ?1 ORDER BY model_version")
                .setParameter(1, sampleId).getResultList();
    }

    @SuppressWarnings("unchecked")
    private Map<Long, Integer> supportCounts(long taxonomyId) {
        Map<Long, Integer> counts = new HashMap<>();
        List<Object[]> rows = em.createNativeQuery("SELECT class_id, count(*) FROM support_sample WHERE taxonomy_id = ?1 GROUP BY class_id")
                .setParameter(1, taxonomyId).getResultList();
        for (Object[] row : rows) {
            counts.put(((Number) row[0]).longValue(), ((Number) row[1]).intValue());
        }
        return counts;
    }

    private static UUID parseId(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw RegistryErrors.invalid("support id '" + id + "' is not a UUID");
        }
    }

    private static int parseOffset(String token) {
        try {
            return Math.max(0, Integer.parseInt(token));
        } catch (NumberFormatException e) {
            throw RegistryErrors.invalid("page_token '" + token + "' was not issued by this service");
        }
    }
}
