package org.affectdml.registry;

import com.google.protobuf.ByteString;
import com.google.protobuf.util.JsonFormat;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.affectdml.inference.testing.TestImages;
import org.affectdml.proto.v1.ClassificationGrpc;
import org.affectdml.proto.v1.ClassifyResponse;
import org.affectdml.proto.v1.EvaluationHeader;
import org.affectdml.proto.v1.EvaluationJob;
import org.affectdml.proto.v1.EvaluationJobState;
import org.affectdml.proto.v1.EvaluationSource;
import org.affectdml.proto.v1.EvaluationUpload;
import org.affectdml.proto.v1.GetEvaluationJobRequest;
import org.affectdml.proto.v1.GetTaxonomyRequest;
import org.affectdml.proto.v1.Image;
import org.affectdml.proto.v1.LabelledQuery;
import org.affectdml.proto.v1.PersonBox;
import org.affectdml.proto.v1.RecommendedThreshold;
import org.affectdml.proto.v1.TaxonomyAdminGrpc;
import org.affectdml.proto.v1.TaxonomyEvaluation;
import org.affectdml.proto.v1.UpdateTaxonomyRequest;
import org.affectdml.service.testing.GrpcTestChannels;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.affectdml.registry.RegistryTestSupport.ADMIN_KEY;
import static org.affectdml.registry.RegistryTestSupport.BOX;
import static org.affectdml.registry.RegistryTestSupport.CLIENT_KEY;
import static org.affectdml.registry.RegistryTestSupport.NEAR_BOX;
import static org.affectdml.registry.RegistryTestSupport.classify;
import static org.affectdml.registry.RegistryTestSupport.nearDuplicate;
import static org.affectdml.registry.RegistryTestSupport.scene;
import static org.affectdml.registry.RegistryTestSupport.withKey;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * StartEvaluation / GetEvaluationJob through the real registry and embedding-service: generated queries of the three
 * classes and of no class, uploaded over gRPC and REST; the job's figures equal a count made in the test from Classify's
 * own answers to the same queries, a bad image is skipped with its index, the recommended threshold rejects the
 * queries of no class, and malformed uploads get precise statuses.
 */
@QuarkusTest
@QuarkusTestResource(EmbeddingServiceProcess.class)
class EvaluationJobTest {

    private static final String[] CLASSES = {"joy", "anger", "calm"};
    private static final PersonBox SHIFTED = BOX.toBuilder().setX1(BOX.getX1() + 2).setX2(BOX.getX2() + 2).build();

    @TestHTTPResource("/")
    URL url;
    @jakarta.inject.Inject
    jakarta.persistence.EntityManager em;

    /** Evaluation jobs stored for the taxonomy, whatever their state (a refused upload must leave none). */
    private long jobsOf(String taxonomy) {
        return ((Number) em.createNativeQuery("SELECT count(*) FROM evaluation_job j JOIN taxonomy t ON t.id = j.taxonomy_id"
                + " WHERE t.name = ?1").setParameter(1, taxonomy).getSingleResult()).longValue();
    }

    private ManagedChannel channel;
    private TaxonomyAdminGrpc.TaxonomyAdminBlockingStub admin;
    private TaxonomyAdminGrpc.TaxonomyAdminStub adminAsync;
    private ClassificationGrpc.ClassificationBlockingStub client;

    @BeforeEach
    void connect() {
        channel = GrpcTestChannels.to(url);
        admin = withKey(TaxonomyAdminGrpc.newBlockingStub(channel), ADMIN_KEY);
        adminAsync = withKey(TaxonomyAdminGrpc.newStub(channel), ADMIN_KEY);
        client = withKey(ClassificationGrpc.newBlockingStub(channel), CLIENT_KEY);
    }

    @AfterEach
    void close() {
        channel.shutdownNow();
    }

    private static String fresh(String prefix) {
        return prefix + "-" + Long.toHexString(System.nanoTime());
    }

    private static LabelledQuery query(byte[] image, PersonBox box, String className) {
        return LabelledQuery.newBuilder().setImage(Image.newBuilder().setData(ByteString.copyFrom(image))).setBox(box)
                .setClassName(className).build();
    }

    /**
     * Two queries per class (a rescaled JPEG, and the support's scene as a JPEG with a shifted box: not the support's
     * image bytes), then two of no class (a scene no class has).
     */
    private static List<LabelledQuery> queries() {
        List<LabelledQuery> out = new ArrayList<>();
        for (int i = 0; i < CLASSES.length; i++) {
            out.add(query(nearDuplicate(i), NEAR_BOX, CLASSES[i]));
            out.add(query(TestImages.jpeg(scene(i)), SHIFTED, CLASSES[i]));
        }
        out.add(query(TestImages.png(scene(3)), BOX, ""));
        out.add(query(nearDuplicate(3), NEAR_BOX, ""));
        return out;
    }

    /** Streams the messages and returns the answer (or throws its status). */
    private EvaluationJob upload(List<EvaluationUpload> messages) throws Exception {
        CompletableFuture<EvaluationJob> answer = new CompletableFuture<>();
        StreamObserver<EvaluationUpload> requests = adminAsync.startEvaluation(org.affectdml.service.testing.SingleAnswer.into(answer));
        messages.forEach(requests::onNext);
        requests.onCompleted();
        try {
            return answer.get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw (Exception) e.getCause();
        }
    }

    private static List<EvaluationUpload> withHeader(String taxonomy, List<LabelledQuery> queries) {
        List<EvaluationUpload> out = new ArrayList<>();
        out.add(EvaluationUpload.newBuilder().setHeader(EvaluationHeader.newBuilder().setTaxonomy(taxonomy).setTargetFalseAcceptRate(0.25f)).build());
        queries.forEach(q -> out.add(EvaluationUpload.newBuilder().setQuery(q).build()));
        return out;
    }

    /** Polls until the job ends; progress never goes back. */
    private EvaluationJob awaitEnd(String id) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        int done = 0;
        while (System.nanoTime() < deadline) {
            EvaluationJob job = admin.getEvaluationJob(GetEvaluationJobRequest.newBuilder().setId(id).build());
            assertTrue(job.getQueriesDone() >= done, "progress only grows: " + job);
            done = job.getQueriesDone();
            if (job.getState() == EvaluationJobState.EVALUATION_JOB_STATE_SUCCEEDED || job.getState() == EvaluationJobState.EVALUATION_JOB_STATE_FAILED) {
                return job;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("evaluation job " + id + " did not end in 120 s");
    }

    @Test
    void labelledQueriesAreCountedAsClassifyAnswersThemAndTheRecommendedThresholdRejectsStrangers() throws Exception {
        String name = fresh("evaljob");
        RegistryTestSupport.threeClassTaxonomy(admin, name);
        List<LabelledQuery> queries = new ArrayList<>(queries());
        queries.add(4, query("not an image at all".getBytes(), BOX, "calm"));  // skipped, index 4
        int identical = queries.size();
        queries.add(query(TestImages.png(scene(1)), SHIFTED, "anger"));  // the support's own image bytes: left out, counted

        EvaluationJob started = upload(withHeader(name, queries));
        assertEquals(queries.size(), started.getQueriesTotal());
        assertEquals(name, started.getTaxonomy());
        EvaluationJob job = awaitEnd(started.getId());
        assertEquals(EvaluationJobState.EVALUATION_JOB_STATE_SUCCEEDED, job.getState(), job.getError());
        assertEquals(queries.size(), job.getQueriesDone());
        assertEquals(1, job.getQueriesSkipped());
        TaxonomyEvaluation e = job.getEvaluation();
        assertEquals(EvaluationSource.EVALUATION_SOURCE_LABELLED_QUERIES, e.getSource());
        assertEquals(1, e.getSkippedQueries());
        assertEquals(1, e.getExcludedIdenticalQueries(), "the query whose image is a support's");
        assertEquals(4, e.getQueryErrors(0).getIndex());
        assertFalse(e.getQueryErrors(0).getMessage().isBlank());

        // The count by hand: what Classify answers for each query that was not skipped.
        int[][] confusion = new int[3][3];
        List<Float> correct = new ArrayList<>();
        List<Float> wrong = new ArrayList<>();
        List<Float> unknown = new ArrayList<>();
        for (int i = 0; i < queries.size(); i++) {
            if (i == 4 || i == identical) {
                continue;
            }
            LabelledQuery q = queries.get(i);
            ClassifyResponse answer = client.classify(classify(name, q.getImage().getData().toByteArray(), q.getBox()));
            String predicted = answer.getClasses(0).getClassName();
            float d = answer.getClasses(0).getDistance();
            assertEquals(e.getModelVersion(), answer.getModelVersion());
            if (q.getClassName().isEmpty()) {
                unknown.add(d);
                continue;
            }
            int truth = List.of(CLASSES).indexOf(q.getClassName());
            confusion[truth][List.of(CLASSES).indexOf(predicted)]++;
            (predicted.equals(q.getClassName()) ? correct : wrong).add(d);
        }
        assertEquals(6, e.getQueries());
        assertEquals(2, e.getUnknownQueries());
        assertEquals(6, e.getCalibrationAnswers(), "a temperature is fitted on the queries with a class: not the skipped, left-out or no-class ones");
        assertTrue(e.getCalibrationFolds() >= 2 && e.getCalibratedTemperature() > 0, e.toString());
        for (int t = 0; t < 3; t++) {
            for (int p = 0; p < 3; p++) {
                assertEquals(confusion[t][p], e.getConfusion(t).getCounts(p), "confusion[" + t + "][" + p + "]: " + e.getConfusionList());
            }
            assertEquals(2, e.getClasses(t).getQueries());
            assertEquals(1, e.getClasses(t).getSupports());
        }
        assertEquals((double) correct.size() / 6, e.getAccuracy(), 1e-9);
        assertSameDistances(correct, e.getCorrectDistancesList());
        assertSameDistances(wrong, e.getWrongDistancesList());
        assertSameDistances(unknown, e.getUnknownDistancesList());
        assertEquals(6, correct.size(), "the generated classes are separable: " + e.getConfusionList());

        // Strangers lie farther than every known query here, so the best-F1 threshold separates them.
        float farthestKnown = correct.stream().max(Float::compare).orElseThrow();
        float nearestStranger = unknown.stream().min(Float::compare).orElseThrow();
        assertTrue(farthestKnown < nearestStranger, "the test needs separable strangers: " + farthestKnown + " vs " + nearestStranger);
        assertEquals(1.0, e.getBestF1(), 1e-6);
        // (Classify's distances come from pgvector, the job's from Java: equal to float rounding)
        assertTrue(e.getBestF1Threshold() >= farthestKnown - 1e-5 && e.getBestF1Threshold() < nearestStranger, e.toString());

        long revision = admin.getTaxonomy(GetTaxonomyRequest.newBuilder().setName(name).build()).getRevision();
        admin.updateTaxonomy(UpdateTaxonomyRequest.newBuilder().setName(name).setExpectedRevision(revision)
                .setApplyThreshold(RecommendedThreshold.RECOMMENDED_THRESHOLD_BEST_F1).build());
        for (int i = 0; i < queries.size(); i++) {
            if (i == 4 || i == identical) {
                continue;
            }
            LabelledQuery q = queries.get(i);
            ClassifyResponse answer = client.classify(classify(name, q.getImage().getData().toByteArray(), q.getBox()));
            assertEquals(q.getClassName().isEmpty(), answer.getUnknown(), "query " + i + " (" + q.getClassName() + "): " + answer);
        }
        assertSpoolEmpty();
    }

    private static void assertSameDistances(List<Float> expected, List<Float> actual) {
        List<Float> sorted = new ArrayList<>(expected);
        sorted.sort(Float::compare);
        assertEquals(sorted.size(), actual.size(), sorted + " vs " + actual);
        for (int i = 0; i < sorted.size(); i++) {
            assertEquals(sorted.get(i), actual.get(i), 1e-5, sorted + " vs " + actual);
        }
    }

    private static void assertSpoolEmpty() throws Exception {
        Path spool = Path.of("target", "evaluation-spool");
        if (Files.isDirectory(spool)) {
            try (var files = Files.list(spool)) {
                assertEquals(List.of(), files.toList(), "a job deletes its spooled upload when it ends");
            }
        }
    }

    @Test
    void theRestUploadIsNdjsonAndGivesTheSameFiguresAsGrpc() throws Exception {
        String name = fresh("evalrest");
        RegistryTestSupport.threeClassTaxonomy(admin, name);
        List<LabelledQuery> queries = queries();
        EvaluationJob grpcJob = awaitEnd(upload(withHeader(name, queries)).getId());
        assertEquals(EvaluationJobState.EVALUATION_JOB_STATE_SUCCEEDED, grpcJob.getState(), grpcJob.getError());
        TaxonomyEvaluation viaGrpc = grpcJob.getEvaluation();
        assertFalse(viaGrpc.getConfusionList().isEmpty() || viaGrpc.getCorrectDistancesList().isEmpty(),
                "the gRPC job evaluated the queries: " + viaGrpc);

        StringBuilder body = new StringBuilder();
        for (LabelledQuery q : queries) {
            body.append(JsonFormat.printer().omittingInsignificantWhitespace().print(q)).append('\n');
        }
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> started = http.send(HttpRequest.newBuilder(URI.create(url + "api/v1/taxonomies/" + name
                        + "/evaluations?target_false_accept_rate=0.25"))
                .header("Authorization", "Bearer " + ADMIN_KEY).header("Content-Type", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(202, started.statusCode(), started.body());
        EvaluationJob.Builder job = EvaluationJob.newBuilder();
        JsonFormat.parser().merge(started.body(), job);
        assertEquals("/api/v1/evaluations/" + job.getId(), started.headers().firstValue("Location").orElseThrow());
        awaitEnd(job.getId());
        HttpResponse<String> ended = http.send(HttpRequest.newBuilder(URI.create(url + "api/v1/evaluations/" + job.getId()))
                .header("Authorization", "Bearer " + ADMIN_KEY).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ended.statusCode(), ended.body());
        EvaluationJob.Builder viaRest = EvaluationJob.newBuilder();
        JsonFormat.parser().merge(ended.body(), viaRest);
        assertEquals(EvaluationJobState.EVALUATION_JOB_STATE_SUCCEEDED, viaRest.getState(), viaRest.getError());
        TaxonomyEvaluation e = viaRest.getEvaluation();
        assertEquals(viaGrpc.getConfusionList(), e.getConfusionList());
        assertEquals(viaGrpc.getCorrectDistancesList(), e.getCorrectDistancesList());
        assertEquals(viaGrpc.getUnknownDistancesList(), e.getUnknownDistancesList());
        assertEquals(viaGrpc.getBestF1Threshold(), e.getBestF1Threshold());

        long jobsBefore = jobsOf(name);
        HttpResponse<String> badLine = http.send(HttpRequest.newBuilder(URI.create(url + "api/v1/taxonomies/" + name + "/evaluations"))
                .header("Authorization", "Bearer " + ADMIN_KEY).header("Content-Type", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofString("{\"class_name\": \"joy\", \"box\": 7}\n")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, badLine.statusCode(), badLine.body());
        assertTrue(badLine.body().contains("INVALID_ARGUMENT"), badLine.body());
        assertEquals(jobsBefore, jobsOf(name), "a refused REST upload stores no job");
        HttpResponse<String> noJob = http.send(HttpRequest.newBuilder(URI.create(url + "api/v1/evaluations/" + java.util.UUID.randomUUID()))
                .header("Authorization", "Bearer " + ADMIN_KEY).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, noJob.statusCode(), noJob.body());
        assertSpoolEmpty();
    }

    @Test
    void uploadsThatBreakARuleGetPreciseStatusesAndStartNoJob() throws Exception {
        String name = fresh("evalbad");
        RegistryTestSupport.threeClassTaxonomy(admin, name);
        assertEquals(0, jobsOf(name));
        LabelledQuery good = queries().get(0);
        assertStatus(Status.Code.INVALID_ARGUMENT, "must start with a header", () -> upload(List.of(EvaluationUpload.newBuilder().setQuery(good).build())));
        assertStatus(Status.Code.INVALID_ARGUMENT, "must start with a header", () -> upload(List.of()));
        assertStatus(Status.Code.NOT_FOUND, "no-such", () -> upload(withHeader("no-such-taxonomy", List.of(good))));
        assertStatus(Status.Code.INVALID_ARGUMENT, "query 1: class 'sad' is not in taxonomy",
                () -> upload(withHeader(name, List.of(good, good.toBuilder().setClassName("sad").build()))));
        assertStatus(Status.Code.INVALID_ARGUMENT, "query 0: has no person box", () -> upload(withHeader(name, List.of(good.toBuilder().clearBox().build()))));
        assertStatus(Status.Code.INVALID_ARGUMENT, "second header", () -> {
            List<EvaluationUpload> twice = new ArrayList<>(withHeader(name, List.of(good)));
            twice.add(twice.get(0));
            return upload(twice);
        });
        List<LabelledQuery> tooMany = new ArrayList<>();
        for (int i = 0; i < 41; i++) {
            tooMany.add(good);
        }
        assertStatus(Status.Code.RESOURCE_EXHAUSTED, "affect.registry.evaluation.max-queries", () -> upload(withHeader(name, tooMany)));
        // no query and no class with two supports: nothing to leave out
        assertStatus(Status.Code.FAILED_PRECONDITION, "nothing to evaluate", () -> upload(withHeader(name, List.of())));
        assertStatus(Status.Code.NOT_FOUND, "no evaluation job", () -> admin.getEvaluationJob(
                GetEvaluationJobRequest.newBuilder().setId(java.util.UUID.randomUUID().toString()).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "is not a UUID", () -> admin.getEvaluationJob(
                GetEvaluationJobRequest.newBuilder().setId("x".repeat(5000)).build()));
        assertEquals(0, jobsOf(name), "no refused upload stored a job");
        assertSpoolEmpty();
    }

    @Test
    void queriesOfNoClassFitNoTemperatureAndApplyingNoneIsRefused() throws Exception {
        String name = fresh("evalnocal");
        RegistryTestSupport.threeClassTaxonomy(admin, name);
        List<LabelledQuery> strangers = queries().stream().filter(q -> q.getClassName().isEmpty()).toList();
        EvaluationJob job = awaitEnd(upload(withHeader(name, strangers)).getId());
        assertEquals(EvaluationJobState.EVALUATION_JOB_STATE_SUCCEEDED, job.getState(), job.getError());
        TaxonomyEvaluation e = job.getEvaluation();
        assertEquals(0, e.getCalibrationAnswers());
        assertTrue(Double.isNaN(e.getCalibratedTemperature()) && Double.isNaN(e.getEceInForce()), e.toString());
        long revision = admin.getTaxonomy(GetTaxonomyRequest.newBuilder().setName(name).build()).getRevision();
        assertStatus(Status.Code.FAILED_PRECONDITION, "fitted no temperature", () -> admin.updateTaxonomy(UpdateTaxonomyRequest.newBuilder()
                .setName(name).setExpectedRevision(revision).setApplyTemperature(true).build()));
    }

    @Test
    void aJobWithoutQueriesEvaluatesTheSupportsLikeEvaluateTaxonomy() throws Exception {
        String name = fresh("evalloo");
        RegistryTestSupport.threeClassTaxonomy(admin, name);
        for (int i = 0; i < CLASSES.length; i++) {
            admin.addSupport(RegistryTestSupport.support(name, CLASSES[i], nearDuplicate(i), NEAR_BOX));
        }
        EvaluationJob job = awaitEnd(upload(withHeader(name, List.of())).getId());
        assertEquals(EvaluationJobState.EVALUATION_JOB_STATE_SUCCEEDED, job.getState(), job.getError());
        TaxonomyEvaluation viaJob = job.getEvaluation();
        TaxonomyEvaluation direct = admin.evaluateTaxonomy(org.affectdml.proto.v1.EvaluateTaxonomyRequest.newBuilder().setName(name)
                .setTargetFalseAcceptRate(0.25f).build());
        assertEquals(EvaluationSource.EVALUATION_SOURCE_SUPPORTS, viaJob.getSource());
        assertEquals(direct.getConfusionList(), viaJob.getConfusionList());
        assertEquals(direct.getCorrectDistancesList(), viaJob.getCorrectDistancesList());
        assertEquals(direct.getUnknownDistancesList(), viaJob.getUnknownDistancesList());
        assertEquals(6, viaJob.getUnknownQueries());
    }

    private interface Call {
        Object run() throws Exception;
    }

    private static void assertStatus(Status.Code code, String fragment, Call call) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
            String description = e.getStatus().getDescription();
            assertTrue(description != null && description.contains(fragment) && description.length() < 400, description);
            return;
        } catch (Exception e) {
            throw new AssertionError("expected " + code + ", got " + e, e);
        }
        throw new AssertionError("expected " + code + " (" + fragment + "), the call succeeded");
    }
}
