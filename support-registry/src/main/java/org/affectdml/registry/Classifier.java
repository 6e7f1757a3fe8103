package org.affectdml.registry;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import org.affectdml.inference.image.ImageFormats;
import org.affectdml.proto.v1.ClassScore;
import org.affectdml.proto.v1.ClassifyRequest;
import org.affectdml.proto.v1.ClassifyResponse;
import org.affectdml.proto.v1.ScoringRule;
import org.affectdml.registry.model.EmotionClassEntity;
import org.affectdml.registry.model.TaxonomyEntity;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Classify: embed the query with the version the taxonomy is served with, then rank the classes by the
 * cosine distance of their nearest support (or of their mean prototype) among the supports of that version.
 * Small taxonomies are searched exactly; large ones through the HNSW index with iterative scan. The search
 * runs in one REPEATABLE READ transaction, as does the check before it, so a concurrent delete never yields a
 * half-deleted answer or a misleading error.
 * Each answered Classify is timed by stage ({@code affect_registry_classify_stage_seconds{stage="embed"|"knn"}})
 * and counted by the model version that served it ({@code affect_registry_classify_total{model_version}}).
 */
@ApplicationScoped
public class Classifier {

    @Inject
    EntityManager em;
    @Inject
    EmbeddingClient embeddings;
    @Inject
    ServingVersions versions;
    @Inject
    TaxonomyService taxonomies;
    @Inject
    RegistryConfig config;
    @Inject
    MeterRegistry registry;

    private Timer embedTime;
    private Timer knnTime;

    /** Exact: every support of the taxonomy and version, the nearest per class. ?1 query, ?2 taxonomy id, ?3 version. */
    public static final String EXACT_NEAREST_PER_CLASS = """
            SELECT DISTINCT ON (class_id) class_id, embedding <=> CAST(?1 AS vector) AS d, sample_id
            FROM support_embedding WHERE taxonomy_id = ?2 AND model_version = ?3
            ORDER BY class_id, d""";

    /** HNSW candidates, nearest per class among them. ?4 = candidate count; run after {@link #hnswSettings}. */
    public static final String APPROXIMATE_NEAREST_PER_CLASS = """
            SELECT DISTINCT ON (class_id) class_id, d, sample_id FROM (
                SELECT class_id, embedding <=> CAST(?1 AS vector) AS d, sample_id FROM support_embedding
                WHERE taxonomy_id = ?2 AND model_version = ?3 ORDER BY embedding <=> CAST(?1 AS vector) LIMIT ?4) c
            ORDER BY class_id, d""";

    /** Session settings for the approximate search, within the transaction. */
    public static List<String> hnswSettings(int efSearch) {
        return List.of("SET LOCAL hnsw.iterative_scan = relaxed_order", "SET LOCAL hnsw.ef_search = " + efSearch);
    }

    /** Distance of a class to the query, and the support that decided it (nearest-support rule). */
    record ClassDistance(long classId, double distance, String supportId) {
    }

    public ClassifyResponse classify(ClassifyRequest request) {
        if (request.getTopK() < 0) {
            throw RegistryErrors.invalid("top_k must be >= 0 (0 = all classes), got " + request.getTopK());
        }
        if (!request.hasImage() || request.getImage().getData().isEmpty()) {
            throw RegistryErrors.invalid("request has no image");
        }
        if (!request.hasBox()) {
            throw RegistryErrors.invalid("request has no person box (x1, y1, x2, y2 in pixels)");
        }
        if (request.getImage().getData().size() > config.maxImageBytes()) {
            throw RegistryErrors.invalid("image is " + request.getImage().getData().size() + " bytes, above the limit of "
                    + config.maxImageBytes() + " bytes");
        }
        List<String> candidates = versions.candidates();
        String version = QuarkusTransaction.requiringNew().call(() -> {
            // A snapshot, so a concurrent delete shows as no taxonomy (NOT_FOUND), never as one with its classes gone.
            repeatableRead();
            return checkClassifiable(request.getTaxonomy(), candidates);
        });

        byte[] bytes = request.getImage().getData().toByteArray();
        var b = request.getBox();
        Timer.Sample embedding = Timer.start(registry);
        EmbeddingClient.Embedded query = embeddings.embed(new EmbeddingClient.Item(bytes, ImageFormats.mediaTypeOf(bytes),
                b.getX1(), b.getY1(), b.getX2(), b.getY2()), version);
        embedding.stop(embedTime);

        Timer.Sample search = Timer.start(registry);
        ClassifyResponse response = QuarkusTransaction.requiringNew().call(() -> {
            repeatableRead();
            TaxonomyEntity t = taxonomies.require(request.getTaxonomy());
            boolean prototype = request.getScoring() == ScoringRule.SCORING_RULE_MEAN_PROTOTYPE;
            List<ClassDistance> distances = prototype ? prototypes(t.id, query) : nearestSupports(t.id, query);
            return answer(t, distances, request.getTopK(), query.modelVersion());
        });
        search.stop(knnTime);
        registry.counter("affect.registry.classify", "model_version", response.getModelVersion()).increment();
        return response;
    }

    /** Must be the transaction's first statement: every later read then sees one snapshot. */
    private void repeatableRead() {
        em.createNativeQuery("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").executeUpdate();
    }

    @PostConstruct
    void registerTimers() {
        embedTime = stageTimer("embed");
        knnTime = stageTimer("knn");
    }

    private Timer stageTimer(String stage) {
        return Timer.builder("affect.registry.classify.stage")
                .description("Time per Classify in one stage: embed (embedding-service call) or knn (pgvector search)")
                .tag("stage", stage).register(registry);
    }

    /** Checks the taxonomy can be classified and picks the version; messages name what is missing. */
    private String checkClassifiable(String name, List<String> candidates) {
        TaxonomyEntity t = taxonomies.require(name);
        if (t.classes.size() < 2) {
            throw RegistryErrors.failedPrecondition("taxonomy '" + name + "' has " + t.classes.size()
                    + " class(es); Classify needs at least 2");
        }
        @SuppressWarnings("unchecked")
        List<String> empty = em.createNativeQuery("""
                        SELECT c.name FROM emotion_class c WHERE c.taxonomy_id = ?1
                        AND NOT EXISTS (SELECT 1 FROM support_sample s WHERE s.class_id = c.id) ORDER BY c.position""")
                .setParameter(1, t.id).getResultList();
        if (!empty.isEmpty()) {
            throw RegistryErrors.failedPrecondition("taxonomy '" + name + "': class(es) " + empty
                    + " have no support sample; add at least one each (AddSupport)");
        }
        return versions.pick(name, candidates).orElseThrow(() -> RegistryErrors.failedPrecondition("taxonomy '" + name
                + "' is not yet fully embedded with any model version embedding-service serves " + candidates
                + "; re-embedding is in progress (GetReembeddingStatus)"));
    }

    @SuppressWarnings("unchecked")
    private List<ClassDistance> nearestSupports(long taxonomyId, EmbeddingClient.Embedded query) {
        long supports = ((Number) em.createNativeQuery(
                        "SELECT count(*) FROM support_embedding WHERE taxonomy_id = ?1 AND model_version = ?2")
                .setParameter(1, taxonomyId).setParameter(2, query.modelVersion()).getSingleResult()).longValue();
        String vector = VectorText.of(query.values());
        List<Object[]> rows;
        if (supports <= config.exactSearchMaxSupports()) {
            rows = em.createNativeQuery(EXACT_NEAREST_PER_CLASS)
                    .setParameter(1, vector).setParameter(2, taxonomyId).setParameter(3, query.modelVersion()).getResultList();
        } else {
            rows = approximateNearest(taxonomyId, query.modelVersion(), vector);
        }
        List<ClassDistance> out = new ArrayList<>();
        for (Object[] r : rows) {
            out.add(new ClassDistance(((Number) r[0]).longValue(), ((Number) r[1]).doubleValue(), r[2].toString()));
        }
        return out;
    }

    /**
     * HNSW candidates (iterative scan keeps the taxonomy/version filter from starving the result), the
     * nearest per class among them, then the exact distance for classes the candidates missed.
     */
    @SuppressWarnings("unchecked")
    private List<Object[]> approximateNearest(long taxonomyId, String version, String vector) {
        for (String setting : hnswSettings(config.hnswEfSearch())) {
            em.createNativeQuery(setting).executeUpdate();
        }
        List<Object[]> candidates = em.createNativeQuery(APPROXIMATE_NEAREST_PER_CLASS)
                .setParameter(1, vector).setParameter(2, taxonomyId).setParameter(3, version)
                .setParameter(4, candidateCount(config.hnswEfSearch())).getResultList();
        List<Long> found = candidates.stream().map(r -> ((Number) r[0]).longValue()).toList();
        List<Object[]> rest = em.createNativeQuery("""
                        SELECT DISTINCT ON (class_id) class_id, embedding <=> CAST(?1 AS vector) AS d, sample_id
                        FROM support_embedding WHERE taxonomy_id = ?2 AND model_version = ?3 AND NOT (class_id = ANY(CAST(?4 AS bigint[])))
                        ORDER BY class_id, d""")
                .setParameter(1, vector).setParameter(2, taxonomyId).setParameter(3, version)
                .setParameter(4, found.toArray(Long[]::new)).getResultList();
        List<Object[]> all = new ArrayList<>(candidates);
        all.addAll(rest);
        return all;
    }

    /** How many HNSW candidates to take before reducing them to the nearest per class. */
    public static int candidateCount(int efSearch) {
        return Math.max(100, efSearch);
    }

    @SuppressWarnings("unchecked")
    private List<ClassDistance> prototypes(long taxonomyId, EmbeddingClient.Embedded query) {
        List<Object[]> rows = em.createNativeQuery("""
                        SELECT class_id, l2_normalize(avg(embedding)) <=> CAST(?1 AS vector) AS d
                        FROM support_embedding WHERE taxonomy_id = ?2 AND model_version = ?3 GROUP BY class_id""")
                .setParameter(1, VectorText.of(query.values())).setParameter(2, taxonomyId).setParameter(3, query.modelVersion())
                .getResultList();
        List<ClassDistance> out = new ArrayList<>();
        for (Object[] r : rows) {
            out.add(new ClassDistance(((Number) r[0]).longValue(), ((Number) r[1]).doubleValue(), ""));
        }
        return out;
    }

    private ClassifyResponse answer(TaxonomyEntity t, List<ClassDistance> distances, int topK, String version) {
        Map<Long, EmotionClassEntity> classes = new HashMap<>();
        t.classes.forEach(c -> classes.put(c.id, c));
        List<ClassDistance> ranked = new ArrayList<>(distances);
        ranked.sort(Comparator.comparingDouble(ClassDistance::distance)
                .thenComparingInt(d -> classes.get(d.classId()).position));
        double[] probability = Probabilities.softmaxOfNegativeSquaredDistance(
                ranked.stream().mapToDouble(ClassDistance::distance).toArray(), config.temperature());
        ClassifyResponse.Builder r = ClassifyResponse.newBuilder().setModelVersion(version).setTaxonomyRevision(t.revision);
        int limit = topK == 0 ? ranked.size() : Math.min(topK, ranked.size());
        for (int i = 0; i < limit; i++) {
            ClassDistance d = ranked.get(i);
            r.addClasses(ClassScore.newBuilder().setClassName(classes.get(d.classId()).name)
                    .setDistance((float) d.distance()).setProbability((float) probability[i]).setNearestSupportId(d.supportId()));
        }
        return r.build();
    }
}
