package org.affectdml.registry.service;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import org.affectdml.proto.v1.ClassScore;
import org.affectdml.proto.v1.ClassifyRequest;
import org.affectdml.proto.v1.ClassifyResponse;
import org.affectdml.proto.v1.ScoringRule;
import org.affectdml.registry.RegistryConfig;
import org.affectdml.registry.client.EmbeddingClient;
import org.affectdml.registry.model.EmotionClassEntity;
import org.affectdml.registry.model.TaxonomyEntity;
import org.affectdml.registry.repository.SupportEmbeddingRepository;
import org.affectdml.registry.repository.SupportEmbeddingRepository.ClassDistance;
import org.affectdml.registry.repository.TaxonomyRepository;
import org.affectdml.service.errors.Errors;

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
public class ClassificationService {

    @Inject
    EntityManager em;
    @Inject
    EmbeddingClient embeddings;
    @Inject
    ServingVersions versions;
    @Inject
    TaxonomyService taxonomies;
    @Inject
    TaxonomyRepository taxonomyRows;
    @Inject
    SupportEmbeddingRepository supportEmbeddings;
    @Inject
    RegistryConfig config;
    @Inject
    MeterRegistry registry;

    private Timer embedTime;
    private Timer knnTime;

    @PostConstruct
    void registerTimers() {
        embedTime = stageTimer("embed");
        knnTime = stageTimer("knn");
    }

    public ClassifyResponse classify(ClassifyRequest request) {
        if (request.getTopK() < 0) {
            throw Errors.invalidArgument("top_k must be >= 0 (0 = all classes), got " + request.getTopK());
        }
        if (!request.hasImage() || request.getImage().getData().isEmpty()) {
            throw Errors.invalidArgument("request has no image");
        }
        if (!request.hasBox()) {
            throw Errors.invalidArgument("request has no person box (x1, y1, x2, y2 in pixels)");
        }
        UploadedImage upload = UploadedImage.accept(request.getImage(), "image", config.maxImageBytes());
        List<String> candidates = versions.candidates();
        String version = QuarkusTransaction.requiringNew().call(() -> {
            // A snapshot, so a concurrent delete shows as no taxonomy (NOT_FOUND), never as one with its classes gone.
            repeatableRead();
            return checkClassifiable(request.getTaxonomy(), candidates);
        });

        var b = request.getBox();
        Timer.Sample embedding = Timer.start(registry);
        EmbeddingClient.Embedded query = embeddings.embed(new EmbeddingClient.Item(upload.bytes(), upload.mediaType(),
                b.getX1(), b.getY1(), b.getX2(), b.getY2()), version);
        embedding.stop(embedTime);

        Timer.Sample search = Timer.start(registry);
        ClassifyResponse response = QuarkusTransaction.requiringNew().call(() -> {
            repeatableRead();
            TaxonomyEntity t = taxonomies.require(request.getTaxonomy());
            boolean prototype = request.getScoring() == ScoringRule.SCORING_RULE_MEAN_PROTOTYPE;
            List<ClassDistance> distances = prototype
                    ? supportEmbeddings.prototypeDistances(t.id, query.modelVersion(), query.values())
                    : nearestSupports(t.id, query);
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

    private Timer stageTimer(String stage) {
        return Timer.builder("affect.registry.classify.stage")
                .description("Time per Classify in one stage: embed (embedding-service call) or knn (pgvector search)")
                .tag("stage", stage).register(registry);
    }

    /** Checks the taxonomy can be classified and picks the version; messages name what is missing. */
    private String checkClassifiable(String name, List<String> candidates) {
        TaxonomyEntity t = taxonomies.require(name);
        if (t.classes.size() < 2) {
            throw Errors.failedPrecondition("taxonomy '" + name + "' has " + t.classes.size()
                    + " class(es); Classify needs at least 2");
        }
        List<String> empty = taxonomyRows.classesWithoutSupport(t.id);
        if (!empty.isEmpty()) {
            throw Errors.failedPrecondition("taxonomy '" + name + "': class(es) " + empty
                    + " have no support sample; add at least one each (AddSupport)");
        }
        return versions.pick(name, candidates).orElseThrow(() -> Errors.failedPrecondition("taxonomy '" + name
                + "' is not yet fully embedded with any model version embedding-service serves " + candidates
                + "; re-embedding is in progress (GetReembeddingStatus)"));
    }

    /** Exact search for small taxonomies, HNSW for large ones (affect.registry.exact-search-max-supports). */
    private List<ClassDistance> nearestSupports(long taxonomyId, EmbeddingClient.Embedded query) {
        long count = supportEmbeddings.countOf(taxonomyId, query.modelVersion());
        return count <= config.exactSearchMaxSupports()
                ? supportEmbeddings.nearestPerClassExact(taxonomyId, query.modelVersion(), query.values())
                : supportEmbeddings.nearestPerClassApproximate(taxonomyId, query.modelVersion(), query.values(), config.hnswEfSearch());
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
