package org.affectdml.registry.service;

import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import org.affectdml.proto.v1.ClassEvidence;
import org.affectdml.proto.v1.ClassScore;
import org.affectdml.proto.v1.Explanation;
import org.affectdml.proto.v1.Stream;
import org.affectdml.proto.v1.StreamSimilarity;
import org.affectdml.proto.v1.SupportMatch;
import org.affectdml.proto.v1.ClassifyRequest;
import org.affectdml.proto.v1.ClassifyPersonsRequest;
import org.affectdml.proto.v1.ClassifyPersonsResponse;
import org.affectdml.proto.v1.ClassifyResponse;
import org.affectdml.proto.v1.Image;
import org.affectdml.proto.v1.PersonClassification;
import org.affectdml.proto.v1.ScoringRule;
import org.affectdml.registry.RegistryConfig;
import org.affectdml.registry.client.EmbeddingClient;
import org.affectdml.registry.model.EmotionClassEntity;
import org.affectdml.registry.model.StreamVectors;
import org.affectdml.registry.model.TaxonomyEntity;
import org.affectdml.registry.repository.SupportEmbeddingRepository;
import org.affectdml.registry.repository.SupportEmbeddingRepository.ClassDistance;
import org.affectdml.registry.repository.TaxonomyRepository;
import org.affectdml.service.errors.Errors;
import org.affectdml.service.metrics.ServerTiming;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Classify: embed the query with the version the taxonomy is served with, then rank the classes by the
 * cosine distance of their nearest support (or of their mean prototype) among the supports of that version.
 * Small taxonomies are searched exactly; large ones through the HNSW index with iterative scan. The search
 * runs in one REPEATABLE READ transaction, as does the check before it, so a concurrent delete never yields a
 * half-deleted answer or a misleading error.
 * ClassifyPersons does the same for every box of one image, with one EmbedPersons call and one snapshot.
 * Each answered Classify is timed by stage ({@code affect_registry_classify_stage_seconds{stage="embed"|"knn"}})
 * and each classified person counted by the model version that served it
 * ({@code affect_registry_classify_total{model_version}}).
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
    ClassifiedTaxonomies snapshots;
    @Inject
    MeterRegistry registry;

    private Timer embedTime;
    private io.micrometer.core.instrument.Counter explanations;
    private static final int MAX_EXPLAINED_SUPPORTS = 20;
    private Timer knnTime;

    @PostConstruct
    void registerTimers() {
        embedTime = stageTimer("embed");
        explanations = io.micrometer.core.instrument.Counter.builder("affect.registry.explanations")
                .description("Classify answers explained (explain = true); none is computed otherwise").register(registry);
        knnTime = stageTimer("knn");
    }

    public ClassifyResponse classify(ClassifyRequest request) {
        ServerTiming timing = ServerTiming.current();
        long started = System.nanoTime();
        if (!request.hasBox()) {
            throw Errors.invalidArgument("request has no person box (x1, y1, x2, y2 in pixels)");
        }
        // the common case (nearest support, no explanation, single label) may start from the check as last read
        boolean common = !request.getMultiLabel() && !request.getExplain() && request.getScoring() != ScoringRule.SCORING_RULE_MEAN_PROTOTYPE;
        ClassifyResponse answer;
        try {
            answer = classify(request, common, null, timing);
        } catch (KeptCheckOutOfDate e) {
            // the taxonomy changed since: checked and searched afresh (embedded again only if another version is picked)
            answer = classify(request, false, e.embedded, timing);
        }
        timing.stop("total", started);
        return answer;
    }

    /** {@code embedded}: the query as an earlier attempt of this call embedded it, or null. */
    private ClassifyResponse classify(ClassifyRequest request, boolean mayUseKeptCheck, EmbeddingClient.Embedded embedded, ServerTiming timing) {
        var b = request.getBox();
        Served<EmbeddingClient.Embedded> served = withServedVersion(mayUseKept -> prepare(request.getTaxonomy(),
                request.hasImage() ? request.getImage() : null, request.getTopK(), request.getScoring(), request.getMultiLabel(), mayUseKept,
                timing), mayUseKeptCheck, (query, explain) -> {
            if (embedded != null && embedded.modelVersion().equals(query.version())) {
                return embedded;
            }
            Timer.Sample embedding = Timer.start(registry);
            EmbeddingClient.Embedded e = embeddings.embed(new EmbeddingClient.Item(query.upload().bytes(), query.upload().mediaType(),
                    b.getX1(), b.getY1(), b.getX2(), b.getY2()), query.version(), extras(explain));
            timing.record("embed", embedding.stop(embedTime));
            return e;
        }, request.getExplain(), request.getExplainSupports());
        return rank(request.getTaxonomy(), served.query(), List.of(served.result()), request.getScoring(), request.getTopK(),
                request.getMultiLabel(), served.explain(), timing).get(0);
    }

    public ClassifyPersonsResponse classifyPersons(ClassifyPersonsRequest request) {
        if (request.getBoxesCount() == 0) {
            throw Errors.invalidArgument("ClassifyPersons needs at least one person box (x1, y1, x2, y2 in pixels)");
        }
        if (request.getBoxesCount() > config.maxPersons()) {
            throw Errors.invalidArgument("ClassifyPersons has " + request.getBoxesCount() + " boxes, above the limit of "
                    + config.maxPersons() + " (affect.registry.max-persons); split it");
        }
        ServerTiming timing = ServerTiming.current();
        Served<List<EmbeddingClient.PersonResult>> served = withServedVersion(mayUseKept -> prepare(request.getTaxonomy(),
                request.hasImage() ? request.getImage() : null, request.getTopK(), request.getScoring(), request.getMultiLabel(), mayUseKept, timing),
                false,
                (query, explain) -> {
                    Timer.Sample embedding = Timer.start(registry);
                    List<EmbeddingClient.PersonResult> p = embeddings.embedPersons(query.upload().bytes(), query.upload().mediaType(),
                            request.getBoxesList(), query.version(), extras(explain));
                    timing.record("embed", embedding.stop(embedTime));
                    return p;
                }, request.getExplain(), request.getExplainSupports());
        Query query = served.query();
        int explain = served.explain();
        List<EmbeddingClient.PersonResult> persons = served.result();
        List<EmbeddingClient.Embedded> embedded = persons.stream().map(EmbeddingClient.PersonResult::embedded)
                .filter(java.util.Objects::nonNull).toList();
        List<ClassifyResponse> ranked = embedded.isEmpty() ? List.of()
                : rank(request.getTaxonomy(), query, embedded, request.getScoring(), request.getTopK(), request.getMultiLabel(), explain, timing);
        ClassifyPersonsResponse.Builder response = ClassifyPersonsResponse.newBuilder().setModelVersion(query.version());
        int next = 0;
        for (EmbeddingClient.PersonResult person : persons) {
            if (person.error() != null) {
                response.addPersons(PersonClassification.newBuilder().setError(person.error()));
            } else {
                ClassifyResponse answer = ranked.get(next++);
                response.setModelVersion(answer.getModelVersion()).setTaxonomyRevision(answer.getTaxonomyRevision());
                response.addPersons(PersonClassification.newBuilder().setClassification(answer));
            }
        }
        return response.build();
    }

    /**
     * Prepares the query (checks, and picks the version from the versions embedding-service was last seen serving), then
     * embeds it. The versions are reused for a while (ServingVersions), so when they may be out of date (embedding-service
     * no longer has the version picked, or the taxonomy is complete in none of them: it was re-embedded for a newer one),
     * the versions are asked again and the call prepared and embedded once more: a change is seen by the next call.
     * {@code prepare} takes whether it may start from the check kept from an earlier call; when the embedding fails after
     * such a start, the database as it is now has the first word: its error, or another version picked.
     */
    private <T> Served<T> withServedVersion(Function<Boolean, Query> prepare, boolean mayUseKeptCheck, BiFunction<Query, Integer, T> embed,
                                            boolean explain, int explainSupports) {
        Query query = null;
        try {
            query = prepare.apply(mayUseKeptCheck);
            return served(query, embed, explain, explainSupports);
        } catch (StatusRuntimeException e) {
            StatusRuntimeException failure = e;
            // the versions the failing attempt picked from; null when its preparation failed (the list is not known then)
            List<String> used = query == null ? null : query.candidates();
            if (query != null && query.keptCheck() && !endedByCaller(e)) {
                snapshots.forgetCheck(query.taxonomy(), query.check());
                try {
                    Query fresh = prepare.apply(false);
                    if (!fresh.version().equals(query.version())) {
                        return served(fresh, embed, explain, explainSupports);
                    }
                    used = fresh.candidates();
                } catch (StatusRuntimeException fromFresh) {
                    failure = fromFresh;
                    used = null;
                }
            }
            return withFreshVersions(failure, used, prepare, embed, explain, explainSupports);
        }
    }

    /**
     * After {@code e}: prepared and embedded once more if the versions it was picked from ({@code used}; null: not known,
     * so prepared again) were out of date; else {@code e}. The versions the call itself used, not the ones kept now: an ask
     * ahead in the background may have replaced those meanwhile.
     */
    private <T> Served<T> withFreshVersions(StatusRuntimeException e, List<String> used, Function<Boolean, Query> prepare,
                                            BiFunction<Query, Integer, T> embed, boolean explain, int explainSupports) {
        if (!ServingVersions.versionNotLoaded(e) && !ServingVersions.isNotFullyEmbedded(e)) {
            throw e;
        }
        if (versions.fresh().equals(used)) {
            throw e;  // the versions were not out of date: the answer stands
        }
        return served(prepare.apply(false), embed, explain, explainSupports);  // picks from the versions just asked
    }

    /** The caller's deadline passed or it cancelled: nothing to learn from the database. */
    private static boolean endedByCaller(StatusRuntimeException e) {
        return e.getStatus().getCode() == io.grpc.Status.Code.DEADLINE_EXCEEDED || e.getStatus().getCode() == io.grpc.Status.Code.CANCELLED;
    }

    /** The request's explanation size is checked after the query's own checks (as ever), then the query embedded. */
    private <T> Served<T> served(Query query, BiFunction<Query, Integer, T> embed, boolean explain, int explainSupports) {
        int explained = explainedSupports(explain, explainSupports);
        return new Served<>(query, explained, embed.apply(query, explained));
    }

    /** A prepared query, how many supports per class its explanation names (0: none), and what embedding it gave. */
    private record Served<T>(Query query, int explain, T result) {
    }

    /**
     * A checked query image, the model version the taxonomy is served with, the check that picked it among the
     * candidates, and whether that check was kept from an earlier call (then the search statement must confirm it).
     */
    private record Query(String taxonomy, UploadedImage upload, String version, TaxonomyRepository.Classifiability check,
                         List<String> candidates, boolean keptCheck) {

        long taxonomyId() {
            return check.id();
        }

        /** How many supports the taxonomy has in the version picked. */
        long supports() {
            return check.embeddedByVersion().get(version);
        }
    }

    /** A check kept from an earlier call no longer holds: the call starts again from a fresh one, with the query as embedded. */
    private static final class KeptCheckOutOfDate extends RuntimeException {
        final transient EmbeddingClient.Embedded embedded;

        KeptCheckOutOfDate(EmbeddingClient.Embedded embedded) {
            super(null, null, false, false);
            this.embedded = embedded;
        }
    }

    private Query prepare(String taxonomy, Image image, int topK, ScoringRule scoring, boolean multiLabel, boolean mayUseKeptCheck,
                          ServerTiming timing) {
        if (topK < 0) {
            throw Errors.invalidArgument("top_k must be >= 0 (0 = all classes), got " + topK);
        }
        if (scoring == ScoringRule.UNRECOGNIZED) {
            throw Errors.invalidArgument("scoring is not a ScoringRule this service knows; use SCORING_RULE_NEAREST_SUPPORT (default) "
                    + "or SCORING_RULE_MEAN_PROTOTYPE");
        }
        if (image == null || image.getData().isEmpty()) {
            throw Errors.invalidArgument("request has no image");
        }
        long started = System.nanoTime();
        UploadedImage upload = UploadedImage.accept(image, "image", config.maxImageBytes());
        timing.stop("validate", started);
        started = System.nanoTime();
        List<String> candidates = versions.candidates();
        timing.stop("model-info", started);
        started = System.nanoTime();
        TaxonomyService.requireValidName(taxonomy);
        Optional<Query> fromKept = mayUseKeptCheck ? snapshots.check(taxonomy).flatMap(kept -> passing(kept, taxonomy, upload, candidates))
                : Optional.empty();
        Query query = fromKept.orElseGet(() -> QuarkusTransaction.requiringNew().call(() -> {
            // One statement sees one snapshot: a concurrent delete shows as no taxonomy (NOT_FOUND), never as one with its
            // classes gone. The multi-label check reads the rules too, so then the transaction is one snapshot.
            if (multiLabel) {
                repeatableRead();
            }
            return checkClassifiable(taxonomy, upload, candidates, multiLabel);
        }));
        timing.stop(query.keptCheck() ? "check.kept" : "check", started);
        return query;
    }

    /**
     * The query, if the kept check passes and its search will be the one statement that confirms it (exact search).
     * Otherwise the check is read again: what a failing check answers always comes from the database as it is now.
     */
    private Optional<Query> passing(TaxonomyRepository.Classifiability kept, String name, UploadedImage upload, List<String> candidates) {
        try {
            Query query = checked(kept, name, upload, candidates, false, true);
            return query.supports() <= config.exactSearchMaxSupports() ? Optional.of(query) : Optional.empty();
        } catch (StatusRuntimeException wouldFail) {
            return Optional.empty();
        }
    }

    /** Every query's ranking, all in one snapshot of the taxonomy. */
    private List<ClassifyResponse> rank(String taxonomy, Query prepared, List<EmbeddingClient.Embedded> queries, ScoringRule scoring, int topK,
                                        boolean multiLabel, int explain, ServerTiming timing) {
        Timer.Sample search = Timer.start(registry);
        List<ClassifyResponse> responses = kept(taxonomy, prepared, queries, scoring, topK, multiLabel, explain, timing)
                .orElseGet(() -> {
                    long started = System.nanoTime();
                    List<ClassifyResponse> read = read(taxonomy, prepared, queries, scoring, topK, multiLabel, explain);
                    timing.stop("knn.read", started);  // the taxonomy read in a transaction: not the one-statement path
                    return read;
                });
        timing.record("knn", search.stop(knnTime));
        for (ClassifyResponse response : responses) {
            registry.counter("affect.registry.classify", "model_version", response.getModelVersion()).increment();
        }
        return responses;
    }

    /**
     * The common case in one statement: one query, nearest-support scoring, exact search, no explanation, and the
     * taxonomy as kept at the revision the search statement returns. Empty otherwise (then {@link #read} runs).
     */
    private Optional<List<ClassifyResponse>> kept(String taxonomy, Query prepared, List<EmbeddingClient.Embedded> queries, ScoringRule scoring, int topK,
                                                  boolean multiLabel, int explain, ServerTiming timing) {
        if (queries.size() != 1 || explain > 0 || scoring == ScoringRule.SCORING_RULE_MEAN_PROTOTYPE
                || !queries.get(0).modelVersion().equals(prepared.version()) || prepared.supports() > config.exactSearchMaxSupports()) {
            if (prepared.keptCheck()) {
                throw new KeptCheckOutOfDate(null);  // only this statement can confirm a kept check
            }
            return Optional.empty();
        }
        EmbeddingClient.Embedded query = queries.get(0);
        TaxonomyRepository.Classifiability check = prepared.check();
        List<String> deciding = check.decidingPick(prepared.candidates(), prepared.version());
        SupportEmbeddingRepository.Checked found;
        long started = System.nanoTime();
        try {
            found = supportEmbeddings.nearestPerClassExactChecked(prepared.taxonomyId(), query.modelVersion(), query.values(), deciding,
                    SupportEmbeddingRepository.inTwoPasses(prepared.supports(), config.exactSearchTwoPassMinSupports()));
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("the Classify search failed", e);  // DatabaseErrors reads the cause
        }
        timing.stop("knn.statement", started);
        if (prepared.keptCheck() && !check.holdsAt(found.revision(), deciding, found.embeddedPerVersion())) {
            snapshots.forgetCheck(taxonomy, check);
            throw new KeptCheckOutOfDate(query);
        }
        return snapshots.at(prepared.taxonomyId(), found.revision())
                .map(t -> List.of(answer(t, found.distances(), topK, query.modelVersion(), scoring, multiLabel)));
    }

    /** Reads the taxonomy and searches, in one REPEATABLE READ snapshot, and keeps the taxonomy for the next calls. */
    private List<ClassifyResponse> read(String taxonomy, Query prepared, List<EmbeddingClient.Embedded> queries, ScoringRule scoring,
                                        int topK, boolean multiLabel, int explain) {
        AtomicReference<TaxonomyEntity> read = new AtomicReference<>();
        List<ClassifyResponse> responses = QuarkusTransaction.requiringNew().call(() -> {
            repeatableRead();
            TaxonomyEntity t = taxonomies.require(taxonomy);
            org.hibernate.Hibernate.initialize(t.classes);
            read.set(t);
            boolean prototype = scoring == ScoringRule.SCORING_RULE_MEAN_PROTOTYPE;
            List<ClassifyResponse> out = new ArrayList<>(queries.size());
            for (EmbeddingClient.Embedded query : queries) {
                List<ClassDistance> distances = prototype
                        ? supportEmbeddings.prototypeDistances(t.id, query.modelVersion(), query.values())
                        : nearestSupports(t.id, t.classes.size(), query, query.modelVersion().equals(prepared.version()) ? prepared.supports() : -1);
                ClassifyResponse answer = answer(t, distances, topK, query.modelVersion(), scoring, multiLabel);
                out.add(explain > 0 ? explained(t, answer, query, explain) : answer);
            }
            return out;
        });
        snapshots.keep(read.get());  // detached now: no session touches it again
        return responses;
    }

    /** How many supports per class an explanation names: 0 when none is asked for. */
    private static int explainedSupports(boolean explain, int supports) {
        if (!explain) {
            return 0;
        }
        if (supports < 0 || supports > MAX_EXPLAINED_SUPPORTS) {
            throw Errors.invalidArgument("explain_supports must be 0-" + MAX_EXPLAINED_SUPPORTS + " (0 = 3), got " + supports);
        }
        return supports == 0 ? 3 : supports;
    }

    /** Explaining asks the embedding-service for the scene classes and stream projections; otherwise for nothing extra. */
    private static EmbeddingClient.Extras extras(int explainedSupports) {
        return explainedSupports > 0 ? EmbeddingClient.Extras.EXPLAIN : EmbeddingClient.Extras.NONE;
    }

    /**
     * The answer with its explanation: the nearest supports of each returned class, how alike the query and each of
     * them are stream by stream, and the scene the segmenter saw.
     */
    private ClassifyResponse explained(TaxonomyEntity t, ClassifyResponse answer, EmbeddingClient.Embedded query, int perClass) {
        explanations.increment();
        Map<Long, List<ClassDistance>> nearest = supportEmbeddings.kNearestPerClass(t.id, query.modelVersion(), query.values(), perClass);
        Map<String, StreamVectors> streams = supportEmbeddings.streamsOf(query.modelVersion(), nearest.values().stream()
                .flatMap(List::stream).map(ClassDistance::supportId).toList());
        Map<String, Long> classIds = new HashMap<>();
        t.classes.forEach(c -> classIds.put(c.name, c.id));
        Explanation.Builder e = Explanation.newBuilder().addAllSceneClasses(query.sceneClasses());
        for (ClassScore c : answer.getClassesList()) {
            ClassEvidence.Builder evidence = ClassEvidence.newBuilder().setClassName(c.getClassName());
            for (ClassDistance d : nearest.getOrDefault(classIds.get(c.getClassName()), List.of())) {
                SupportMatch.Builder match = SupportMatch.newBuilder().setSupportId(d.supportId()).setDistance((float) d.distance());
                StreamVectors support = streams.get(d.supportId());
                if (support != null) {
                    for (Map.Entry<Stream, Float> s : query.streams().similarities(support)) {
                        match.addStreams(StreamSimilarity.newBuilder().setStream(s.getKey()).setSimilarity(s.getValue()));
                    }
                }
                evidence.addNearestSupports(match);
            }
            e.addClasses(evidence);
        }
        return answer.toBuilder().setExplanation(e).build();
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

    /** Checks the taxonomy can be classified (multi-label: has thresholds) and picks the version; messages name what is missing. */
    private Query checkClassifiable(String name, UploadedImage upload, List<String> candidates, boolean multiLabel) {
        TaxonomyRepository.Classifiability t = taxonomyRows.classifiability(name).orElseThrow(() -> TaxonomyService.notFound(name));
        snapshots.keepCheck(name, t);
        return checked(t, name, upload, candidates, multiLabel, false);
    }

    private Query checked(TaxonomyRepository.Classifiability t, String name, UploadedImage upload, List<String> candidates, boolean multiLabel,
                          boolean kept) {
        if (t.classes() < 2) {
            throw Errors.failedPrecondition("taxonomy '" + name + "' has " + t.classes()
                    + " class(es); Classify needs at least 2");
        }
        if (!t.classesWithoutSupport().isEmpty()) {
            throw Errors.failedPrecondition("taxonomy '" + name + "': class(es) " + t.classesWithoutSupport()
                    + " have no support sample; add at least one each (AddSupport)");
        }
        String version = t.completeIn(candidates).orElseThrow(() -> ServingVersions.notFullyEmbedded(name, candidates,
                "re-embedding is in progress (GetReembeddingStatus)"));
        if (multiLabel) {
            RejectionRules.requireThresholds(taxonomies.require(name));  // before the embedding call, not after it
        }
        return new Query(name, upload, version, t, candidates, kept);
    }

    /**
     * Exact search for small taxonomies, HNSW for large ones (affect.registry.exact-search-max-supports). The count of
     * supports the check before the embedding saw picks the path (-1: count them now); it only chooses the search, so a
     * support added meanwhile changes nothing but, at the limit, which exact-enough search runs.
     */
    private List<ClassDistance> nearestSupports(long taxonomyId, int classes, EmbeddingClient.Embedded query, long supportsSeen) {
        long count = supportsSeen >= 0 ? supportsSeen : supportEmbeddings.countOf(taxonomyId, query.modelVersion());
        return count <= config.exactSearchMaxSupports()
                ? supportEmbeddings.nearestPerClassExact(taxonomyId, query.modelVersion(), query.values(),
                        SupportEmbeddingRepository.inTwoPasses(count, config.exactSearchTwoPassMinSupports()))
                : supportEmbeddings.nearestPerClassApproximate(taxonomyId, query.modelVersion(), query.values(), config.hnswEfSearch(), classes);
    }

    private ClassifyResponse answer(TaxonomyEntity t, List<ClassDistance> distances, int topK, String version, ScoringRule scoring,
                                    boolean multiLabel) {
        if (distances.isEmpty()) {
            // the supports of this version went between the check and the search (deleted, or replaced by re-embedding)
            throw Errors.aborted("taxonomy '" + t.name + "' changed while this call was classified (its supports of model version "
                    + version + " are gone); retry");
        }
        Map<Long, EmotionClassEntity> classes = new HashMap<>();
        t.classes.forEach(c -> classes.put(c.id, c));
        List<ClassDistance> ranked = new ArrayList<>(distances);
        ranked.sort(Comparator.comparingDouble(ClassDistance::distance)
                .thenComparingInt(d -> classes.get(d.classId()).position));
        Temperatures.Chosen temperature = Temperatures.choose(t, version, scoring, versions.bundleTemperature(version), config.temperature());
        double[] probability = Temperatures.probabilities(ranked.stream().mapToDouble(ClassDistance::distance).toArray(),
                temperature.value());
        // judged on the whole ranking (the runner-up counts), before top_k cuts it
        RejectionRules.Verdict verdict = RejectionRules.judge(t, ranked, classes, version, scoring, multiLabel);
        ClassifyResponse.Builder r = ClassifyResponse.newBuilder().setModelVersion(version).setTaxonomyRevision(t.revision)
                .setUnknown(verdict.unknown()).setUnknownReason(verdict.reason()).setRejectionStale(verdict.stale())
                .addAllAcceptedClasses(verdict.accepted()).setTemperature(temperature.value()).setTemperatureSource(temperature.source());
        int limit = topK == 0 ? ranked.size() : Math.min(topK, ranked.size());
        for (int i = 0; i < limit; i++) {
            ClassDistance d = ranked.get(i);
            r.addClasses(ClassScore.newBuilder().setClassName(classes.get(d.classId()).name)
                    .setDistance((float) d.distance()).setProbability((float) probability[i]).setNearestSupportId(d.supportId())
                    .setMaxDistance(verdict.thresholds()[i]));
        }
        return r.build();
    }
}
