package org.affectdml.registry.service;

import org.affectdml.proto.v1.ModelInfo;
import org.affectdml.registry.client.EmbeddingClient;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.OptionalDouble;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the registry keeps of GetModel's answer: the served bundle's temperature (the trainer's calibrated_temperature, for
 * the active version only: GetModel describes the active bundle, not the one it replaced), and how the answer is asked
 * ahead of the calls that need it, on a test clock.
 */
class ServingVersionsTest {

    /** For the ask-ahead tests: embedding-service answering v1, the clock {@code now[0]}, asks ahead queued in {@code background}. */
    private final Answering embedding = new Answering();
    private final long[] now = {0};
    private final List<Runnable> background = new java.util.ArrayList<>();
    private final ServingVersions versions = new ServingVersions();

    @org.junit.jupiter.api.BeforeEach
    void onTestClock() {
        embedding.model = ModelInfo.newBuilder().setVersion("v1").build();
        versions.embeddings = embedding;
        versions.clock = () -> now[0];
        versions.refresher = background::add;
    }

    /** embedding-service as GetModel answers it, without a server (vetoed: not a bean of the Quarkus tests). */
    @jakarta.enterprise.inject.Vetoed
    private static final class Answering extends EmbeddingClient {
        ModelInfo model;
        int asked;
        int askedAhead;
        /** Runs while an ask ahead is on its way (after its answer is made): another ask crossing it. */
        Runnable duringAskAhead;

        @Override
        public ModelInfo model() {
            asked++;
            return model;
        }

        @Override
        public ModelInfo modelAskedAhead(java.time.Duration timeout) {
            asked++;
            askedAhead++;
            ModelInfo answer = model;
            if (duringAskAhead != null) {
                Runnable crossing = duringAskAhead;
                duringAskAhead = null;
                crossing.run();
            }
            return answer;
        }

        /** As if every Embed answer since named the active version GetModel answers now. */
        @Override
        public String lastSeenActive() {
            return model.getVersion();
        }
    }

    @Test
    void theBundleTemperatureIsTheActiveVersionsManifestMetric() {
        assertEquals(OptionalDouble.empty(), versions.bundleTemperature("v2"), "nothing asked yet");

        embedding.model = ModelInfo.newBuilder().setVersion("v2").setPreviousVersion("v1")
                .putMetrics(org.affectdml.service.calibration.Calibration.MANIFEST_METRIC, 0.037).putMetrics("one_shot_accuracy", 0.4).build();
        assertEquals(List.of("v2", "v1"), versions.fresh());
        assertEquals(OptionalDouble.of(0.037), versions.bundleTemperature("v2"));
        assertEquals(OptionalDouble.empty(), versions.bundleTemperature("v1"), "the replaced bundle's manifest is not described");

        embedding.model = ModelInfo.newBuilder().setVersion("v3").build();
        versions.fresh();
        assertEquals(OptionalDouble.empty(), versions.bundleTemperature("v3"), "a bundle without a fitted temperature");
    }

    /**
     * Calls coming more often than the limit never wait on GetModel: past half the limit a call is answered from the kept
     * versions and has them asked again in the background (once at a time); past the limit a call asks itself.
     */
    @Test
    void getModelIsAskedAheadOffTheCallsPathAndNeverUsedPastTheLimit() {
        long limit = 1_000;

        assertEquals(List.of("v1"), versions.candidates(limit, 0));
        assertEquals(1, embedding.asked, "nothing kept: the first call asks");
        now[0] = 499;
        versions.candidates(limit, 0);
        assertEquals(1, embedding.asked);
        assertEquals(0, background.size(), "young answer: nothing asked ahead");

        now[0] = 600;
        embedding.model = ModelInfo.newBuilder().setVersion("v1").setPreviousVersion("v0").build();
        assertEquals(List.of("v1"), versions.candidates(limit, 0), "past half the limit: still the kept answer");
        now[0] = 700;
        versions.candidates(limit, 0);
        assertEquals(1, embedding.asked, "the calls did not wait on GetModel");
        assertEquals(1, background.size(), "asked ahead once, not once per call");
        background.remove(0).run();
        assertEquals(2, embedding.asked);
        assertEquals(List.of("v1", "v0"), versions.candidates(limit, 0), "the answer asked ahead is used");

        now[0] = 1_750;  // 1 050 after the ask ahead was sent (at 700 by this clock): past the limit
        embedding.model = ModelInfo.newBuilder().setVersion("v1").build();  // v0 unloaded, the same version active
        assertEquals(List.of("v1"), versions.candidates(limit, 0), "past the limit a call asks itself");
        assertEquals(3, embedding.asked);
        assertEquals(0, background.size());

        now[0] = 2_300;
        versions.candidates(limit, 0);
        assertEquals(1, background.size(), "asked ahead again once the last ask ahead is done");
        background.remove(0).run();
        assertEquals(2, embedding.askedAhead);
    }

    /** An ask ahead sent before a call's own ask but answered after it does not replace the newer answer. */
    @Test
    void anAskAheadAnsweredLateDoesNotReplaceANewerAnswer() {
        long limit = 1_000;
        versions.candidates(limit, 0);

        now[0] = 600;
        versions.candidates(limit, 0);
        embedding.duringAskAhead = () -> {
            now[0] = 650;  // v2 activated; a call asks for itself (e.g. a write) while the ask ahead (sent at 600) is on its way
            embedding.model = ModelInfo.newBuilder().setVersion("v2").setPreviousVersion("v1").build();
            assertEquals(List.of("v2", "v1"), versions.fresh());
        };
        background.remove(0).run();  // answers v1, as embedding-service did when it was sent
        int asked = embedding.asked;

        now[0] = 700;
        assertEquals(List.of("v2", "v1"), versions.candidates(limit, 0), "the later-sent answer is kept");
        assertEquals(asked, embedding.asked, "and used without asking again");
    }

    /**
     * After a call, the answer is kept young in the background (every third of the limit), so a call seconds later does not
     * wait on GetModel either; once no call has come for the ask-ahead time the ticks stop, and the next call starts them.
     */
    @Test
    void afterACallTheAnswerIsKeptYoungUntilCallsStop() {
        List<Runnable> ticks = new java.util.ArrayList<>();
        List<java.util.concurrent.CompletableFuture<?>> futures = new java.util.ArrayList<>();
        long[] period = {0};
        versions.ticks = (p, task) -> {
            period[0] = p;
            ticks.add(task);
            futures.add(new java.util.concurrent.CompletableFuture<>());
            return futures.get(futures.size() - 1);
        };
        long second = 1_000_000_000L;
        long limit = second;
        long askAheadFor = 10 * second;

        versions.candidates(limit, askAheadFor);
        assertEquals(1, embedding.asked);
        assertEquals(1, ticks.size(), "the first call starts the ticks");
        assertEquals(limit / 3, period[0], "a tick every third of the limit");
        for (long t : new long[]{second / 2, 1_200_000_000L}) {
            now[0] = t;
            ticks.get(0).run();
            assertEquals(1, background.size(), "a tick at " + t + " asks ahead");
            background.remove(0).run();
        }
        assertEquals(3, embedding.asked);

        now[0] = 2 * second;  // 2 s after the last call: without the ticks the answer would be past the limit
        versions.candidates(limit, askAheadFor);
        assertEquals(3, embedding.asked, "the call did not wait on GetModel");
        background.clear();

        now[0] = 12 * second + 1;  // no call for longer than the ask-ahead time
        ticks.get(0).run();
        assertTrue(futures.get(0).isCancelled(), "the ticks stop");
        assertEquals(0, background.size());
        now[0] = 13 * second;
        versions.candidates(limit, askAheadFor);
        assertEquals(4, embedding.asked, "the next call, past the limit, asks itself");
        assertEquals(2, ticks.size(), "and starts the ticks again");
    }
}
