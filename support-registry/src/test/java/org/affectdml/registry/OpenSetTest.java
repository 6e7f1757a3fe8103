package org.affectdml.registry;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.affectdml.inference.testing.TestImages;
import org.affectdml.proto.v1.ClassScore;
import org.affectdml.proto.v1.ClassifyRequest;
import org.affectdml.proto.v1.ClassifyResponse;
import org.affectdml.proto.v1.EmotionClass;
import org.affectdml.proto.v1.GetTaxonomyRequest;
import org.affectdml.proto.v1.ListSupportsRequest;
import org.affectdml.proto.v1.RejectionRule;
import org.affectdml.proto.v1.ScoringRule;
import org.affectdml.proto.v1.Taxonomy;
import org.affectdml.proto.v1.UpdateTaxonomyRequest;
import org.affectdml.service.testing.GrpcTestChannels;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.affectdml.registry.RegistryTestSupport.ADMIN_KEY;
import static org.affectdml.registry.RegistryTestSupport.BOX;
import static org.affectdml.registry.RegistryTestSupport.NEAR_BOX;
import static org.affectdml.registry.RegistryTestSupport.classify;
import static org.affectdml.registry.RegistryTestSupport.nearDuplicate;
import static org.affectdml.registry.RegistryTestSupport.scene;
import static org.affectdml.registry.RegistryTestSupport.support;
import static org.affectdml.registry.RegistryTestSupport.withKey;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Open-set answers and UpdateTaxonomy through the real registry and embedding-service: a near-duplicate of a support
 * is accepted and a scene of no class is rejected at a threshold between their measured distances; margins,
 * per-class thresholds, multi-label answers, stale thresholds after a version change, and concurrent updates.
 */
@QuarkusTest
@QuarkusTestResource(EmbeddingServiceProcess.class)
class OpenSetTest extends RegistryStubs {

    private static String fresh(String prefix) {
        return prefix + "-" + Long.toHexString(System.nanoTime());
    }

    private Taxonomy update(String name, UpdateTaxonomyRequest.Builder change) {
        long revision = admin.getTaxonomy(GetTaxonomyRequest.newBuilder().setName(name).build()).getRevision();
        return admin.updateTaxonomy(change.setName(name).setExpectedRevision(revision).build());
    }

    @Test
    void aQueryOfNoClassIsUnknownAtAThresholdBetweenKnownAndUnknownDistances() {
        String name = fresh("open");
        RegistryTestSupport.threeClassTaxonomy(admin, name);
        ClassifyRequest known = classify(name, nearDuplicate(0), NEAR_BOX);
        ClassifyRequest stranger = classify(name, TestImages.png(scene(3)), BOX);  // a scene no class has

        ClassifyResponse before = client.classify(known);
        ClassifyResponse strangerBefore = client.classify(stranger);
        assertFalse(before.getUnknown() || strangerBefore.getUnknown(), "without a rule every answer names a class");
        assertEquals("joy", before.getClasses(0).getClassName());
        double knownDistance = before.getClasses(0).getDistance();
        double strangerDistance = strangerBefore.getClasses(0).getDistance();
        assertTrue(knownDistance < strangerDistance, "the test needs the near-duplicate nearer than the stranger: "
                + knownDistance + " vs " + strangerDistance);

        float threshold = (float) ((knownDistance + strangerDistance) / 2);
        Taxonomy t = update(name, UpdateTaxonomyRequest.newBuilder().setRejection(RejectionRule.newBuilder().setMaxDistance(threshold)));
        assertEquals(before.getModelVersion(), t.getRejection().getModelVersion(), "bound to the version the taxonomy is served with");
        assertEquals(ScoringRule.SCORING_RULE_NEAREST_SUPPORT, t.getRejection().getScoring());

        ClassifyResponse accepted = client.classify(known);
        assertFalse(accepted.getUnknown(), accepted.toString());
        assertEquals("", accepted.getUnknownReason());
        assertEquals(threshold, accepted.getClasses(0).getMaxDistance(), 1e-6);
        assertFalse(accepted.getRejectionStale());

        ClassifyResponse rejected = client.classify(stranger);
        assertTrue(rejected.getUnknown(), rejected.toString());
        assertTrue(rejected.getUnknownReason().contains("farther than its threshold"), rejected.getUnknownReason());
        assertEquals(3, rejected.getClassesCount(), "the ranking is still given");
        assertEquals(t.getRevision(), rejected.getTaxonomyRevision());

        ClassifyResponse multi = client.classify(known.toBuilder().setMultiLabel(true).build());
        assertTrue(multi.getAcceptedClassesList().contains("joy"), multi.toString());
        for (ClassScore c : multi.getClassesList()) {
            assertEquals(c.getDistance() <= threshold, multi.getAcceptedClassesList().contains(c.getClassName()), c.toString());
        }
        assertEquals(java.util.List.of(), client.classify(stranger.toBuilder().setMultiLabel(true).build()).getAcceptedClassesList());
    }

    @Test
    void marginsPerClassThresholdsAndStaleRules() {
        String name = fresh("rules");
        RegistryTestSupport.threeClassTaxonomy(admin, name);
        ClassifyRequest known = classify(name, nearDuplicate(0), NEAR_BOX);
        ClassifyResponse plain = client.classify(known);
        double gap = plain.getClasses(1).getDistance() - plain.getClasses(0).getDistance();

        update(name, UpdateTaxonomyRequest.newBuilder().setRejection(RejectionRule.newBuilder().setMinMargin((float) Math.min(2, gap + 0.01))));
        ClassifyResponse ambiguous = client.classify(known);
        assertTrue(ambiguous.getUnknown() && ambiguous.getUnknownReason().contains("minimum margin"), ambiguous.toString());

        float tight = plain.getClasses(0).getDistance() / 2;
        update(name, UpdateTaxonomyRequest.newBuilder().setRejection(RejectionRule.newBuilder().setMaxDistance(2)
                .putClassMaxDistance("joy", tight)));
        ClassifyResponse perClass = client.classify(known);
        assertTrue(perClass.getUnknown(), "joy's own threshold is below its distance: " + perClass);
        assertEquals(tight, perClass.getClasses(0).getMaxDistance(), 1e-6);
        assertEquals(2f, perClass.getClasses(1).getMaxDistance(), 1e-6, "other classes keep the taxonomy's threshold");

        // thresholds set for another model version: applied, and reported stale until confirmed
        update(name, UpdateTaxonomyRequest.newBuilder().setRejection(RejectionRule.newBuilder().setMaxDistance(2)
                .setModelVersion("an-older-model")));
        ClassifyResponse stale = client.classify(known);
        assertTrue(stale.getRejectionStale(), stale.toString());
        assertFalse(stale.getUnknown());
        assertTrue(client.classify(known.toBuilder().setScoring(ScoringRule.SCORING_RULE_MEAN_PROTOTYPE).build()).getRejectionStale(),
                "another scoring rule than the thresholds' is stale too");
        Taxonomy confirmed = update(name, UpdateTaxonomyRequest.newBuilder().setConfirmRejection(true));
        assertEquals(plain.getModelVersion(), confirmed.getRejection().getModelVersion());
        assertFalse(client.classify(known).getRejectionStale());

        update(name, UpdateTaxonomyRequest.newBuilder().setClearRejection(true));
        assertFalse(admin.getTaxonomy(GetTaxonomyRequest.newBuilder().setName(name).build()).hasRejection());
        StatusRuntimeException noRule = assertThrows(StatusRuntimeException.class,
                () -> client.classify(known.toBuilder().setMultiLabel(true).build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, noRule.getStatus().getCode());
        assertTrue(noRule.getStatus().getDescription().contains("multi_label needs"), noRule.getStatus().getDescription());
    }

    @Test
    void updatesAreRefusedAgainstAnOldRevisionAndClassesComeAndGo() throws Exception {
        String name = fresh("edit");
        RegistryTestSupport.threeClassTaxonomy(admin, name);
        Taxonomy t = admin.getTaxonomy(GetTaxonomyRequest.newBuilder().setName(name).build());

        Taxonomy described = admin.updateTaxonomy(UpdateTaxonomyRequest.newBuilder().setName(name)
                .setExpectedRevision(t.getRevision()).setDescription("edited").build());
        assertEquals("edited", described.getDescription());
        assertEquals(t.getRevision() + 1, described.getRevision());
        // a second admin working from the old revision does not overwrite the first one's change
        StatusRuntimeException conflict = assertThrows(StatusRuntimeException.class, () -> admin.updateTaxonomy(
                UpdateTaxonomyRequest.newBuilder().setName(name).setExpectedRevision(t.getRevision()).setDescription("mine").build()));
        assertEquals(Status.Code.ABORTED, conflict.getStatus().getCode());
        assertTrue(conflict.getStatus().getDescription().contains("revision " + described.getRevision()), conflict.getStatus().getDescription());
        assertEquals(Status.Code.INVALID_ARGUMENT, assertThrows(StatusRuntimeException.class, () -> admin.updateTaxonomy(
                UpdateTaxonomyRequest.newBuilder().setName(name).setDescription("no revision").build())).getStatus().getCode());
        assertEquals(Status.Code.INVALID_ARGUMENT, assertThrows(StatusRuntimeException.class, () -> update(name,
                UpdateTaxonomyRequest.newBuilder().setRejection(RejectionRule.newBuilder().setMaxDistance(3))))
                .getStatus().getCode(), "a cosine distance is at most 2");

        // a new class without supports: Classify names it until it has one
        update(name, UpdateTaxonomyRequest.newBuilder().addAddClasses(EmotionClass.newBuilder().setName("surprise")));
        ClassifyRequest query = classify(name, nearDuplicate(0), NEAR_BOX);
        StatusRuntimeException empty = assertThrows(StatusRuntimeException.class, () -> client.classify(query));
        assertEquals(Status.Code.FAILED_PRECONDITION, empty.getStatus().getCode());
        assertTrue(empty.getStatus().getDescription().contains("surprise"), empty.getStatus().getDescription());
        admin.addSupport(support(name, "surprise", TestImages.png(scene(3)), BOX));
        assertEquals(4, client.classify(query).getClassesCount());

        // removing a class removes its supports in the same transaction
        Taxonomy removed = update(name, UpdateTaxonomyRequest.newBuilder().addRemoveClasses("anger"));
        assertEquals(java.util.List.of("joy", "calm", "surprise"), removed.getClassesList().stream().map(EmotionClass::getName).toList());
        assertEquals(3, admin.listSupports(ListSupportsRequest.newBuilder().setTaxonomy(name).build()).getSamplesCount());
        assertTrue(client.classify(query).getClassesList().stream().noneMatch(c -> c.getClassName().equals("anger")));

        // REST: the same refusal of an old revision, as 409 with the JSON error body
        HttpResponse<String> stale = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(url.toString()).resolve("/api/v1/taxonomies/" + name))
                .header("authorization", "Bearer " + ADMIN_KEY).header("content-type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"expectedRevision\": " + t.getRevision() + ", \"description\": \"x\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(409, stale.statusCode(), stale.body());
        assertTrue(stale.body().contains("\"code\":\"ABORTED\"") || stale.body().contains("\"code\": \"ABORTED\""), stale.body());
    }

    @Test
    void addSupportWarnsAboutANearDuplicateAndAMislabelledSupportAndListSupportsShowsTheDistances() {
        String name = fresh("warn");
        RegistryTestSupport.threeClassTaxonomy(admin, name);  // joy, anger, calm: scenes 0, 1, 2

        // the same photo with the box moved by one pixel: almost the same embedding
        var shifted = BOX.toBuilder().setX1(BOX.getX1() + 1).setX2(BOX.getX2() + 1).build();
        var duplicate = admin.addSupport(support(name, "joy", TestImages.png(scene(0)), shifted));
        assertTrue(duplicate.getCreated(), "a new support (other box), stored despite the warning");
        assertTrue(duplicate.getWarningsList().stream().anyMatch(w -> w.getKind() == org.affectdml.proto.v1.SupportWarning.Kind.NEAR_DUPLICATE
                && w.getOtherClass().equals("joy")), duplicate.getWarningsList().toString());

        // a near-copy of anger's support filed under joy: nearer to anger than to joy's own supports
        var mislabelled = admin.addSupport(support(name, "joy", nearDuplicate(1), NEAR_BOX));
        assertTrue(mislabelled.getWarningsList().stream().anyMatch(w -> w.getKind() == org.affectdml.proto.v1.SupportWarning.Kind.NEARER_TO_OTHER_CLASS
                && w.getOtherClass().equals("anger") && w.getMessage().contains("mislabelled")), mislabelled.getWarningsList().toString());

        // a support far from every other one gets no warning
        String lone = fresh("lone");
        admin.createTaxonomy(RegistryTestSupport.taxonomy(lone, "a", "b"));
        admin.addSupport(support(lone, "a", TestImages.png(scene(0)), BOX));
        assertEquals(java.util.List.of(), admin.addSupport(support(lone, "b", TestImages.png(scene(2)), BOX)).getWarningsList()
                .stream().filter(w -> w.getKind() != org.affectdml.proto.v1.SupportWarning.Kind.CONFUSABLE_CLASSES).toList());

        var listed = admin.listSupports(ListSupportsRequest.newBuilder().setTaxonomy(name).setClassName("joy").build()).getSamplesList();
        var suspect = listed.stream().filter(x -> x.getId().equals(mislabelled.getSample().getId())).findFirst().orElseThrow();
        assertTrue(suspect.hasNearestOwnClassDistance() && suspect.hasNearestOtherClassDistance(), suspect.toString());
        assertEquals("anger", suspect.getNearestOtherClass());
        assertTrue(suspect.getNearestOtherClassDistance() < suspect.getNearestOwnClassDistance(), suspect.toString());
        assertEquals(client.classify(classify(name, nearDuplicate(0), NEAR_BOX)).getModelVersion(), suspect.getDistancesModelVersion());
    }

    @Test
    void anExplanationPointsAtTheDecidingSupportAndTheSceneAndCostsNothingWhenOff() throws Exception {
        String name = fresh("why");
        RegistryTestSupport.threeClassTaxonomy(admin, name);
        String joySupport = admin.listSupports(ListSupportsRequest.newBuilder().setTaxonomy(name).setClassName("joy").build())
                .getSamples(0).getId();
        ClassifyRequest query = classify(name, nearDuplicate(0), NEAR_BOX);

        double before = explanations();
        ClassifyResponse plain = client.classify(query);
        assertFalse(plain.hasExplanation());
        assertEquals(before, explanations(), "no explanation work when it is not asked for");

        ClassifyResponse why = client.classify(query.toBuilder().setExplain(true).setExplainSupports(2).build());
        assertEquals(before + 1, explanations());
        assertEquals(plain.getClassesList(), why.getClassesList(), "explaining does not change the answer");
        assertEquals(why.getClassesCount(), why.getExplanation().getClassesCount());
        var best = why.getExplanation().getClasses(0);
        assertEquals("joy", best.getClassName());
        assertEquals(joySupport, best.getNearestSupports(0).getSupportId(), "the deciding support is joy's support");
        assertEquals(why.getClasses(0).getNearestSupportId(), best.getNearestSupports(0).getSupportId());
        assertEquals(why.getClasses(0).getDistance(), best.getNearestSupports(0).getDistance(), 1e-5);
        var scene = why.getExplanation().getSceneClassesList();
        assertFalse(scene.isEmpty(), "the segmenter's classes of the query");
        double shares = scene.stream().mapToDouble(org.affectdml.proto.v1.SceneClass::getPixelShare).sum();
        assertTrue(shares > 0 && shares <= 1.0001, "pixel shares " + scene);
        for (int i = 1; i < scene.size(); i++) {
            assertTrue(scene.get(i - 1).getPixelShare() >= scene.get(i).getPixelShare(), "largest share first: " + scene);
        }
        assertEquals(Status.Code.INVALID_ARGUMENT, assertThrows(StatusRuntimeException.class,
                () -> client.classify(query.toBuilder().setExplain(true).setExplainSupports(21).build())).getStatus().getCode());

        // Per stream: the cosine of the query's and the deciding support's projections, as embedding-service computes them.
        var streams = best.getNearestSupports(0).getStreamsList();
        assertEquals(3, streams.size(), "image, body and scene streams of the default head: " + streams);
        for (int i = 1; i < streams.size(); i++) {
            assertTrue(streams.get(i - 1).getSimilarity() >= streams.get(i).getSimilarity(), "most similar first: " + streams);
        }
        var queryStreams = projections(nearDuplicate(0), NEAR_BOX);
        var supportStreams = projections(TestImages.png(scene(0)), BOX);
        for (var s : streams) {
            java.util.List<Float> a = switch (s.getStream()) {
                case STREAM_IMAGE -> queryStreams.getImageList();
                case STREAM_BODY -> queryStreams.getBodyList();
                default -> queryStreams.getSceneList();
            };
            java.util.List<Float> b = switch (s.getStream()) {
                case STREAM_IMAGE -> supportStreams.getImageList();
                case STREAM_BODY -> supportStreams.getBodyList();
                default -> supportStreams.getSceneList();
            };
            assertEquals(cosine(a, b), s.getSimilarity(), 1e-4, s.getStream() + " of " + streams);
        }
        assertTrue(plain.getClasses(0).getNearestSupportId().equals(joySupport) && !plain.hasExplanation());
    }

    @jakarta.inject.Inject
    jakarta.persistence.EntityManager em;

    @Test
    void supportsStoredWithoutStreamProjectionsGetThemFromTheReembeddingWorker() throws Exception {
        String name = fresh("backfill");
        RegistryTestSupport.threeClassTaxonomy(admin, name);
        ClassifyRequest query = classify(name, nearDuplicate(0), NEAR_BOX).toBuilder().setExplain(true).build();
        ClassifyResponse before = client.classify(query);
        // as rows stored before the registry kept projections (migration V5) look
        int cleared = io.quarkus.narayana.jta.QuarkusTransaction.requiringNew().call(() -> em.createNativeQuery("""
                        UPDATE support_embedding SET image_projection = NULL, body_projection = NULL, scene_projection = NULL
                        WHERE taxonomy_id = (SELECT id FROM taxonomy WHERE name = ?1)""").setParameter(1, name).executeUpdate());
        assertEquals(3, cleared);
        ClassifyResponse without = client.classify(query);
        assertEquals(0, without.getExplanation().getClasses(0).getNearestSupports(0).getStreamsCount(),
                "no stored projections: no stream similarity rather than a made-up one");
        assertEquals(before.getClassesList(), without.getClassesList(), "the answer itself does not depend on them");

        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        ClassifyResponse after = without;
        while (after.getExplanation().getClasses(0).getNearestSupports(0).getStreamsCount() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(200);
            after = client.classify(query);
        }
        assertEquals(before.getExplanation(), after.getExplanation(), "the worker filled the projections back in");
        assertEquals(before.getClassesList(), after.getClassesList(), "and kept the stored embeddings");
    }

    /** A person's stream projections straight from embedding-service. */
    private static org.affectdml.proto.v1.StreamProjections projections(byte[] image, org.affectdml.proto.v1.PersonBox box) {
        ManagedChannel direct = io.grpc.ManagedChannelBuilder.forAddress("127.0.0.1",
                Integer.parseInt(System.getProperty(EmbeddingServiceProcess.PORT_PROPERTY))).usePlaintext().build();
        try {
            var stub = GrpcTestChannels.withKey(org.affectdml.proto.v1.EmbeddingServiceGrpc.newBlockingStub(direct),
                    org.affectdml.service.testing.ServiceProcess.SERVICE_KEY);
            var p = stub.embed(org.affectdml.proto.v1.EmbedRequest.newBuilder()
                    .setImage(org.affectdml.proto.v1.Image.newBuilder().setData(com.google.protobuf.ByteString.copyFrom(image)))
                    .setBox(box).setIncludeStreamProjections(true).build()).getEmbedding().getStreamProjections();
            assertFalse(p.getImageList().isEmpty() || p.getBodyList().isEmpty() || p.getSceneList().isEmpty(), p.toString());
            return p;
        } finally {
            direct.shutdownNow();
        }
    }

    private static double cosine(java.util.List<Float> a, java.util.List<Float> b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.size(); i++) {
            dot += a.get(i) * b.get(i);
            na += a.get(i) * a.get(i);
            nb += b.get(i) * b.get(i);
        }
        return dot / Math.sqrt(na * nb);
    }

    private double explanations() throws Exception {
        return org.affectdml.service.testing.PrometheusScrape.of(url.toString()).value("affect_registry_explanations_total").orElse(0);
    }

    @Test
    void anEvaluationRecommendsAThresholdThatRejectsAStrangerAndAcceptsAKnownPerson() {
        String name = fresh("eval");
        RegistryTestSupport.threeClassTaxonomy(admin, name);
        String[] classes = {"joy", "anger", "calm"};
        for (int i = 0; i < classes.length; i++) {
            admin.addSupport(support(name, classes[i], nearDuplicate(i), NEAR_BOX));  // a second support per class
        }
        var evaluation = admin.evaluateTaxonomy(org.affectdml.proto.v1.EvaluateTaxonomyRequest.newBuilder().setName(name).build());
        long revision = admin.getTaxonomy(GetTaxonomyRequest.newBuilder().setName(name).build()).getRevision();
        assertEquals(revision, evaluation.getTaxonomyRevision());
        assertEquals(6, evaluation.getQueries());
        assertEquals(1.0, evaluation.getAccuracy(), 1e-9, "each near-duplicate finds its original: " + evaluation.getConfusionList());
        for (int c = 0; c < 3; c++) {
            assertEquals(2, evaluation.getConfusion(c).getCounts(c), "diagonal of " + evaluation.getConfusion(c));
        }
        assertEquals(6, evaluation.getCorrectDistancesCount());
        assertEquals(6, evaluation.getUnknownDistancesCount(), "every support asked as a person of no class");
        float threshold = evaluation.getBestF1Threshold();
        assertTrue(threshold >= evaluation.getCorrectDistances(5) || evaluation.getBestF1() < 1, evaluation.toString());

        Taxonomy applied = admin.updateTaxonomy(UpdateTaxonomyRequest.newBuilder().setName(name).setExpectedRevision(revision)
                .setApplyThreshold(org.affectdml.proto.v1.RecommendedThreshold.RECOMMENDED_THRESHOLD_BEST_F1).build());
        assertEquals(threshold, applied.getRejection().getMaxDistance(), 1e-6);
        assertEquals(evaluation.getModelVersion(), applied.getRejection().getModelVersion());
        // the evaluation belongs to the revision before this change: applying it again is refused
        StatusRuntimeException old = assertThrows(StatusRuntimeException.class, () -> admin.updateTaxonomy(UpdateTaxonomyRequest.newBuilder()
                .setName(name).setExpectedRevision(applied.getRevision())
                .setApplyThreshold(org.affectdml.proto.v1.RecommendedThreshold.RECOMMENDED_THRESHOLD_BEST_F1).build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, old.getStatus().getCode());
        assertTrue(old.getStatus().getDescription().contains("evaluate it again"), old.getStatus().getDescription());

        var shifted = BOX.toBuilder().setX1(BOX.getX1() + 1).setX2(BOX.getX2() + 1).build();
        ClassifyResponse known = client.classify(classify(name, TestImages.png(scene(0)), shifted));
        assertFalse(known.getUnknown(), "a known person is accepted at the recommended threshold: " + known);
        ClassifyResponse strangerAnswer = client.classify(classify(name, TestImages.png(scene(3)), BOX));
        assertTrue(strangerAnswer.getUnknown(), "a person of no class is rejected at the recommended threshold " + threshold
                + ": " + strangerAnswer);
    }

    /**
     * An evaluation fits a temperature on the held-out answers; Classify uses the configured one until the admin applies
     * the fitted one, then that one (for the evaluated model version), and the configured one again once it is cleared.
     */
    @Test
    void anEvaluationFitsATemperatureThatClassifyUsesOnceApplied() {
        String name = fresh("temperature");
        RegistryTestSupport.threeClassTaxonomy(admin, name);
        StatusRuntimeException notYet = assertThrows(StatusRuntimeException.class, () -> update(name,
                UpdateTaxonomyRequest.newBuilder().setApplyTemperature(true)));
        assertEquals(Status.Code.FAILED_PRECONDITION, notYet.getStatus().getCode());
        assertTrue(notYet.getStatus().getDescription().contains("has not been evaluated yet"), notYet.getStatus().getDescription());
        StatusRuntimeException both = assertThrows(StatusRuntimeException.class, () -> update(name,
                UpdateTaxonomyRequest.newBuilder().setApplyTemperature(true).setClearTemperature(true)));
        assertEquals(Status.Code.INVALID_ARGUMENT, both.getStatus().getCode());

        String[] classes = {"joy", "anger", "calm"};
        for (int i = 0; i < classes.length; i++) {
            admin.addSupport(support(name, classes[i], nearDuplicate(i), NEAR_BOX));
        }
        var evaluation = admin.evaluateTaxonomy(org.affectdml.proto.v1.EvaluateTaxonomyRequest.newBuilder().setName(name).build());
        assertEquals(6, evaluation.getCalibrationAnswers(), "each support, against the other images' supports");
        assertEquals(5, evaluation.getCalibrationFolds(), "six images, at most five folds");
        double fitted = evaluation.getCalibratedTemperature();
        assertTrue(fitted > 0 && Double.isFinite(fitted), evaluation.toString());
        assertEquals(org.affectdml.proto.v1.TemperatureSource.TEMPERATURE_SOURCE_CONFIGURED, evaluation.getTemperatureInForceSource());
        assertEquals(0.1, evaluation.getTemperatureInForce(), 1e-12);
        assertTrue(evaluation.getEceInForce() >= 0 && evaluation.getEceCalibratedHeldOut() >= 0, evaluation.toString());

        var shifted = BOX.toBuilder().setX1(BOX.getX1() + 1).setX2(BOX.getX2() + 1).build();
        ClassifyResponse configured = client.classify(classify(name, TestImages.png(scene(0)), shifted));
        assertEquals(org.affectdml.proto.v1.TemperatureSource.TEMPERATURE_SOURCE_CONFIGURED, configured.getTemperatureSource());
        assertProbabilitiesAt(0.1, configured);

        Taxonomy applied = update(name, UpdateTaxonomyRequest.newBuilder().setApplyTemperature(true));
        assertEquals(fitted, applied.getTemperature().getValue(), 0.0);
        assertEquals(evaluation.getModelVersion(), applied.getTemperature().getModelVersion());
        ClassifyResponse calibrated = client.classify(classify(name, TestImages.png(scene(0)), shifted));
        assertEquals(org.affectdml.proto.v1.TemperatureSource.TEMPERATURE_SOURCE_TAXONOMY, calibrated.getTemperatureSource());
        assertEquals(fitted, calibrated.getTemperature(), 0.0);
        assertProbabilitiesAt(fitted, calibrated);
        var again = admin.evaluateTaxonomy(org.affectdml.proto.v1.EvaluateTaxonomyRequest.newBuilder().setName(name).build());
        assertEquals(org.affectdml.proto.v1.TemperatureSource.TEMPERATURE_SOURCE_TAXONOMY, again.getTemperatureInForceSource());
        assertEquals(fitted, again.getTemperatureInForce(), 0.0, "the evaluation reports the error at the temperature in force");

        Taxonomy cleared = update(name, UpdateTaxonomyRequest.newBuilder().setClearTemperature(true));
        assertFalse(cleared.hasTemperature());
        assertEquals(org.affectdml.proto.v1.TemperatureSource.TEMPERATURE_SOURCE_CONFIGURED,
                client.classify(classify(name, TestImages.png(scene(0)), shifted)).getTemperatureSource());
    }

    /** Each class's probability is softmax(−2 d / T) over the classes' cosine distances d. */
    private static void assertProbabilitiesAt(double temperature, ClassifyResponse answer) {
        double max = Double.NEGATIVE_INFINITY;
        for (var c : answer.getClassesList()) {
            max = Math.max(max, -2 * c.getDistance() / temperature);
        }
        double sum = 0;
        for (var c : answer.getClassesList()) {
            sum += Math.exp(-2 * c.getDistance() / temperature - max);
        }
        for (var c : answer.getClassesList()) {
            assertEquals(Math.exp(-2 * c.getDistance() / temperature - max) / sum, c.getProbability(), 2e-3,
                    c.getClassName() + " at T = " + temperature + ": " + answer);
        }
        assertEquals(temperature, answer.getTemperature(), 0.0);
    }
}
