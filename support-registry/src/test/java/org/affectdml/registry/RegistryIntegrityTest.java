package org.affectdml.registry;

import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.affectdml.inference.testing.TestImages;
import org.affectdml.proto.v1.AddSupportRequest;
import org.affectdml.proto.v1.CreateTaxonomyRequest;
import org.affectdml.proto.v1.DeleteTaxonomyRequest;
import org.affectdml.proto.v1.DeleteTaxonomyResponse;
import org.affectdml.proto.v1.EmotionClass;
import org.affectdml.proto.v1.EvaluationHeader;
import org.affectdml.proto.v1.EvaluationUpload;
import org.affectdml.proto.v1.ExportTaxonomyRequest;
import org.affectdml.proto.v1.ExportedSupport;
import org.affectdml.proto.v1.GetTaxonomyRequest;
import org.affectdml.proto.v1.Image;
import org.affectdml.proto.v1.Taxonomy;
import org.affectdml.proto.v1.TaxonomyAdminGrpc;
import org.affectdml.proto.v1.TaxonomyArchiveChunk;
import org.affectdml.proto.v1.UpdateTaxonomyRequest;
import org.affectdml.service.testing.GrpcTestChannels;
import org.affectdml.service.testing.RawBytes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.affectdml.registry.RegistryTestSupport.ADMIN_KEY;
import static org.affectdml.registry.RegistryTestSupport.BOX;
import static org.affectdml.registry.RegistryTestSupport.taxonomy;
import static org.affectdml.registry.RegistryTestSupport.withKey;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the registry promises a writer, one process at a time (ConcurrentAdminsIT runs two with a database restart):
 * races answered exactly, request ids that replay the first answer, one string policy for names, client streams that
 * end at a malformed message, and an import that is all or nothing.
 */
@QuarkusTest
@QuarkusTestResource(EmbeddingServiceProcess.class)
class RegistryIntegrityTest {

    private static final Path SPOOL = Path.of("target", "evaluation-spool");
    private static final long DEADLINE_SECONDS = 20;

    @TestHTTPResource("/")
    URL url;

    private ManagedChannel channel;
    private TaxonomyAdminGrpc.TaxonomyAdminBlockingStub admin;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void connect() {
        channel = GrpcTestChannels.to(url);
        admin = withKey(TaxonomyAdminGrpc.newBlockingStub(channel), ADMIN_KEY);
    }

    @AfterEach
    void disconnect() {
        channel.shutdownNow();
    }

    private TaxonomyAdminGrpc.TaxonomyAdminBlockingStub admin() {
        return admin.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
    }

    private static String unique(String prefix) {
        return prefix + "-" + Long.toHexString(System.nanoTime());
    }

    // --- races ------------------------------------------------------------------------------------------

    @Test
    void concurrentCreatesHaveOneWinnerAndConcurrentDeletesOne() throws Exception {
        String name = unique("race");
        List<Status.Code> creates = all(8, i -> admin().createTaxonomy(taxonomy(name, "a", "b")));
        assertEquals(1, creates.stream().filter(c -> c == Status.Code.OK).count(), "creates: " + creates);
        assertTrue(creates.stream().allMatch(c -> c == Status.Code.OK || c == Status.Code.ALREADY_EXISTS), "creates: " + creates);

        List<Status.Code> deletes = all(8, i -> admin().deleteTaxonomy(DeleteTaxonomyRequest.newBuilder().setName(name).build()));
        assertEquals(1, deletes.stream().filter(c -> c == Status.Code.OK).count(), "deletes: " + deletes);
        assertTrue(deletes.stream().allMatch(c -> c == Status.Code.OK || c == Status.Code.NOT_FOUND), "deletes: " + deletes);
    }

    @Test
    void concurrentUpdatesAtOneRevisionHaveOneWinnerAndTheRestAreAbortedNamingTheRevision() throws Exception {
        String name = unique("cas");
        long revision = admin().createTaxonomy(taxonomy(name, "a", "b")).getRevision();
        List<String> messages = new ArrayList<>();
        List<Status.Code> updates = all(8, i -> {
            try {
                return admin().updateTaxonomy(UpdateTaxonomyRequest.newBuilder().setName(name).setExpectedRevision(revision)
                        .setDescription("by " + i).build());
            } catch (StatusRuntimeException e) {
                synchronized (messages) {
                    messages.add(e.getStatus().getDescription());
                }
                throw e;
            }
        });
        assertEquals(1, updates.stream().filter(c -> c == Status.Code.OK).count(), "updates: " + updates);
        assertTrue(updates.stream().allMatch(c -> c == Status.Code.OK || c == Status.Code.ABORTED), "updates: " + updates);
        assertTrue(messages.stream().allMatch(m -> m.contains("at revision " + (revision + 1))), "messages: " + messages);
        assertEquals(revision + 1, admin().getTaxonomy(GetTaxonomyRequest.newBuilder().setName(name).build()).getRevision());
    }

    /** Runs {@code n} calls released together; the status code of each. */
    private static List<Status.Code> all(int n, java.util.function.IntFunction<Object> call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<Status.Code>> answers = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int index = i;
                answers.add(pool.submit(() -> {
                    go.await();
                    try {
                        call.apply(index);
                        return Status.Code.OK;
                    } catch (StatusRuntimeException e) {
                        return e.getStatus().getCode();
                    }
                }));
            }
            go.countDown();
            List<Status.Code> codes = new ArrayList<>();
            for (Future<Status.Code> f : answers) {
                codes.add(f.get(DEADLINE_SECONDS * 2, TimeUnit.SECONDS));
            }
            return codes;
        } finally {
            pool.shutdownNow();
        }
    }

    // --- request ids ------------------------------------------------------------------------------------

    @Test
    void aRetriedRequestIdGetsTheFirstAnswerAndAnotherRequestUnderItIsRefused() throws Exception {
        String name = unique("idem");
        String createId = UUID.randomUUID().toString();
        CreateTaxonomyRequest create = taxonomy(name, "a", "b").toBuilder().setRequestId(createId).build();
        Taxonomy created = admin().createTaxonomy(create);
        assertEquals(created, admin().createTaxonomy(create), "a retried create answers the first answer, not ALREADY_EXISTS");
        StatusRuntimeException reused = assertThrows(StatusRuntimeException.class,
                () -> admin().createTaxonomy(taxonomy(unique("other"), "a").toBuilder().setRequestId(createId).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, reused.getStatus().getCode());
        assertTrue(reused.getStatus().getDescription().contains("another request"), reused.getStatus().getDescription());

        UpdateTaxonomyRequest update = UpdateTaxonomyRequest.newBuilder().setName(name).setExpectedRevision(created.getRevision())
                .setDescription("first").setRequestId(UUID.randomUUID().toString()).build();
        Taxonomy updated = admin().updateTaxonomy(update);
        assertEquals(updated, admin().updateTaxonomy(update), "a retried update answers the first answer, not ABORTED");
        assertEquals(updated.getRevision(), admin().getTaxonomy(GetTaxonomyRequest.newBuilder().setName(name).build()).getRevision(),
                "the retry changed nothing");

        // REST's Idempotency-Key is the same key: a retry over REST of what gRPC did answers gRPC's answer.
        AddSupportRequest add = RegistryTestSupport.support(name, "a", TestImages.png(RegistryTestSupport.scene(0)), BOX).toBuilder()
                .setRequestId(UUID.randomUUID().toString()).build();
        var added = admin().addSupport(add);
        HttpResponse<String> again = rest("POST", "/api/v1/taxonomies/" + name + "/supports", add.getRequestId(),
                com.google.protobuf.util.JsonFormat.printer().print(add.toBuilder().clearRequestId().clearTaxonomy()));
        assertEquals(201, again.statusCode(), again.body());
        var parsed = org.affectdml.proto.v1.AddSupportResponse.newBuilder();
        com.google.protobuf.util.JsonFormat.parser().merge(again.body(), parsed);
        assertEquals(added, parsed.build());

        DeleteTaxonomyRequest delete = DeleteTaxonomyRequest.newBuilder().setName(name).setRequestId(UUID.randomUUID().toString()).build();
        DeleteTaxonomyResponse deleted = admin().deleteTaxonomy(delete);
        assertEquals(1, deleted.getDeletedSupports());
        assertEquals(deleted, admin().deleteTaxonomy(delete), "a retried delete answers the first answer, not NOT_FOUND");
        StatusRuntimeException malformed = assertThrows(StatusRuntimeException.class, () -> admin().deleteTaxonomy(
                DeleteTaxonomyRequest.newBuilder().setName(name).setRequestId("id with spaces").build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, malformed.getStatus().getCode());
    }

    @Test
    void removesAndImportsReplayTooAndConflictingKeysAreRefused() throws Exception {
        String name = unique("idem2");
        admin().createTaxonomy(taxonomy(name, "a", "b"));
        var added = admin().addSupport(RegistryTestSupport.support(name, "a", TestImages.png(RegistryTestSupport.scene(2)), BOX));
        var remove = org.affectdml.proto.v1.RemoveSupportRequest.newBuilder().setTaxonomy(name).setSupportId(added.getSample().getId())
                .setRequestId(UUID.randomUUID().toString()).build();
        admin().removeSupport(remove);
        admin().removeSupport(remove);  // the first answer again, not NOT_FOUND
        assertEquals(3, admin().getTaxonomy(GetTaxonomyRequest.newBuilder().setName(name).build()).getRevision(), "removed once");

        HttpResponse<String> both = rest("PATCH", "/api/v1/taxonomies/" + name, "key-one", "{\"expectedRevision\":3,\"requestId\":\"key-two\"}");
        assertEquals(400, both.statusCode(), both.body());
        assertTrue(both.body().contains("differ"), both.body());

        // An import's request id stands for the whole archive, over gRPC (on the header chunk) or REST (Idempotency-Key).
        admin().addSupport(RegistryTestSupport.support(name, "b", TestImages.png(RegistryTestSupport.scene(3)), BOX));
        List<TaxonomyArchiveChunk> chunks = new ArrayList<>();
        admin().exportTaxonomy(ExportTaxonomyRequest.newBuilder().setName(name).build()).forEachRemaining(chunks::add);
        String target = unique("imported");
        String importId = UUID.randomUUID().toString();
        List<TaxonomyArchiveChunk> archive = new ArrayList<>(chunks);
        archive.set(0, TaxonomyArchiveChunk.newBuilder().setHeader(chunks.get(0).getHeader().toBuilder().setName(target))
                .setRequestId(importId).build());
        Taxonomy first = importChunks(archive);
        assertEquals(first, importChunks(archive), "a retried import answers the first answer, not ALREADY_EXISTS");
        StringBuilder json = new StringBuilder("[");
        for (TaxonomyArchiveChunk c : archive) {
            json.append(json.length() > 1 ? "," : "").append(com.google.protobuf.util.JsonFormat.printer().print(c.toBuilder().clearRequestId()));
        }
        HttpResponse<String> overRest = rest("POST", "/api/v1/taxonomies/import", importId, json.append(']').toString());
        assertEquals(201, overRest.statusCode(), overRest.body());
        Taxonomy.Builder parsed = Taxonomy.newBuilder();
        com.google.protobuf.util.JsonFormat.parser().merge(overRest.body(), parsed);
        assertEquals(first, parsed.build());
        List<TaxonomyArchiveChunk> other = List.of(archive.get(0));  // the header alone: another archive
        StatusRuntimeException reused = assertThrows(StatusRuntimeException.class, () -> importChunks(other));
        assertEquals(Status.Code.INVALID_ARGUMENT, reused.getStatus().getCode(), "the same import id for another archive");
    }

    // --- names ------------------------------------------------------------------------------------------

    @Test
    void namesThatLookTheSameAreTheSameName() {
        String name = unique("nfc");
        String nfd = Normalizer.normalize("café", Normalizer.Form.NFD);
        String hangul = Normalizer.normalize("기쁨", Normalizer.Form.NFD);
        Taxonomy t = admin().createTaxonomy(taxonomy(name, nfd, hangul, "\u212Bngstr\u00F6m"));
        assertEquals(List.of("café", "기쁨", "\u00C5ngstr\u00F6m"), t.getClassesList().stream().map(EmotionClass::getName).toList(),
                "names are stored in NFC");
        // Either spelling finds the class.
        var added = admin().addSupport(RegistryTestSupport.support(name, "café", TestImages.png(RegistryTestSupport.scene(0)), BOX));
        assertEquals("café", added.getSample().getClassName());
        admin().addSupport(RegistryTestSupport.support(name, hangul, TestImages.png(RegistryTestSupport.scene(1)), BOX));
        StatusRuntimeException twice = assertThrows(StatusRuntimeException.class, () -> admin().updateTaxonomy(UpdateTaxonomyRequest
                .newBuilder().setName(name).setExpectedRevision(3).addAddClasses(EmotionClass.newBuilder().setName(nfd)).build()));
        assertEquals(Status.Code.ALREADY_EXISTS, twice.getStatus().getCode(), "café in NFD is the existing class café");

        // 64 emoji are 64 characters; 65 are too many.
        String emoji = "\uD83D\uDE00";
        admin().createTaxonomy(taxonomy(unique("emoji"), emoji.repeat(64), "b"));
        StatusRuntimeException long65 = assertThrows(StatusRuntimeException.class,
                () -> admin().createTaxonomy(taxonomy(unique("emoji"), emoji.repeat(65), "b")));
        assertTrue(long65.getStatus().getDescription().contains("has 65"), long65.getStatus().getDescription());
    }

    @Test
    void everyPlaceANameArrivesComparesItInNfc() throws Exception {
        String name = unique("nfc2");
        String nfd = Normalizer.normalize("café", Normalizer.Form.NFD);
        admin().createTaxonomy(taxonomy(name, "café", "b"));
        var support = RegistryTestSupport.support(name, nfd, TestImages.png(RegistryTestSupport.scene(0)), BOX).toBuilder().clearMetadata();
        StatusRuntimeException twice = assertThrows(StatusRuntimeException.class,
                () -> admin().addSupport(support.clone().putMetadata("clé", "1").putMetadata(Normalizer.normalize("clé", Normalizer.Form.NFD), "2").build()));
        assertTrue(twice.getStatus().getDescription().contains("given twice"), twice.getStatus().getDescription());
        var added = admin().addSupport(support.clone().putMetadata(Normalizer.normalize("clé", Normalizer.Form.NFD), "v").build());
        assertEquals(java.util.Map.of("clé", "v"), added.getSample().getMetadataMap(), "metadata keys are stored in NFC");
        admin().addSupport(RegistryTestSupport.support(name, "b", TestImages.png(RegistryTestSupport.scene(1)), BOX));

        Taxonomy ruled = admin().updateTaxonomy(UpdateTaxonomyRequest.newBuilder().setName(name).setExpectedRevision(3)
                .setRejection(org.affectdml.proto.v1.RejectionRule.newBuilder().putClassMaxDistance(nfd, 0.5f)).build());
        assertEquals(java.util.Map.of("café", 0.5f), ruled.getRejection().getClassMaxDistanceMap(), "class_max_distance keys in NFC");

        // An evaluation upload names classes in either form.
        var job = rest("POST", "/api/v1/taxonomies/" + name + "/evaluations", null, null);  // warm the route (415 without ndjson)
        HttpResponse<String> upload = http.send(HttpRequest.newBuilder(URI.create(url + "api/v1/taxonomies/" + name + "/evaluations"))
                .header("Authorization", "Bearer " + ADMIN_KEY).header("Content-Type", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofString("{\"image\":{\"data\":\"" + java.util.Base64.getEncoder().encodeToString(
                        TestImages.png(RegistryTestSupport.scene(0))) + "\"},\"box\":{\"x1\":40,\"y1\":20,\"x2\":110,\"y2\":110},\"className\":\""
                        + nfd + "\"}\n")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(202, upload.statusCode(), job.statusCode() + " " + upload.body());
        HttpResponse<String> invalid = http.send(HttpRequest.newBuilder(URI.create(url + "api/v1/taxonomies/" + name + "/evaluations"))
                .header("Authorization", "Bearer " + ADMIN_KEY).header("Content-Type", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[]{'{', '"', 'a', (byte) 0xC3, 0x28, '"', '}', '\n'})).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(400, invalid.statusCode(), invalid.body());
        assertTrue(invalid.body().contains("line 1 of the body is not valid UTF-8"), invalid.body());
    }

    @Test
    void aClassStoredBeforeTheNameRulesCanStillBeUsedAndRemoved() throws Exception {
        String name = unique("legacy");
        Taxonomy t = admin().createTaxonomy(taxonomy(name, "a", "b"));
        String legacy = "jo\u200By";
        try (var db = java.sql.DriverManager.getConnection(org.eclipse.microprofile.config.ConfigProvider.getConfig()
                        .getValue("quarkus.datasource.jdbc.url", String.class), "affect", "affect");
             var insert = db.prepareStatement("INSERT INTO emotion_class (taxonomy_id, name, position) "
                     + "SELECT id, ?, 2 FROM taxonomy WHERE name = ?")) {
            insert.setString(1, legacy);
            insert.setString(2, name);
            assertEquals(1, insert.executeUpdate());
        }
        var added = admin().addSupport(RegistryTestSupport.support(name, legacy, TestImages.png(RegistryTestSupport.scene(2)), BOX));
        assertEquals(legacy, added.getSample().getClassName());
        Taxonomy removed = admin().updateTaxonomy(UpdateTaxonomyRequest.newBuilder().setName(name).setExpectedRevision(t.getRevision() + 1)
                .addRemoveClasses(legacy).build());
        assertEquals(List.of("a", "b"), removed.getClassesList().stream().map(EmotionClass::getName).toList());
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> admin().updateTaxonomy(UpdateTaxonomyRequest
                .newBuilder().setName(name).setExpectedRevision(removed.getRevision()).addAddClasses(EmotionClass.newBuilder().setName(legacy)).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode(), "new names follow the rules");
    }

    @Test
    void invisibleAndBidiCharactersAndEdgeSpacesAreRefusedInNamesWithAnEscapedEcho() {
        int[] hidden = {0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0x061C, 0x200E, 0x200F, 0x202A, 0x202E, 0x2066, 0x2069, 0x180E,
                0x034F, 0xFE0F, 0xE0001, 0x2028};
        Random random = new Random(11);
        for (int cp : hidden) {
            String c = new String(Character.toChars(cp));
            for (String className : List.of(c + "joy", "jo" + c + "y", "joy" + c)) {
                StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                        () -> admin().createTaxonomy(taxonomy(unique("hidden"), className, "b")), "U+" + Integer.toHexString(cp));
                assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
                String message = e.getStatus().getDescription();
                assertFalse(message.contains(c), "the message shows U+" + Integer.toHexString(cp) + " escaped: " + message);
                assertTrue(message.contains(String.format("%04X", cp)), message);
            }
            // and in a metadata key
            String key = "k" + c + random.nextInt(100);
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> admin().addSupport(RegistryTestSupport
                    .support("no-such-taxonomy-needed", "a", TestImages.png(RegistryTestSupport.scene(0)), BOX).toBuilder()
                    .putMetadata(key, "v").build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().getDescription());
        }
        for (String spaced : List.of("joy ", " joy", "joy\u3000", "\u00A0joy")) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> admin().createTaxonomy(taxonomy(unique("space"), spaced, "b")));
            assertTrue(e.getStatus().getDescription().contains("white space"), e.getStatus().getDescription());
        }
    }

    @Test
    void restRefusesInvalidUtf8AndLoneSurrogatesInsteadOfStoringReplacements() throws Exception {
        String name = unique("utf");
        byte[] invalid = ("{\"name\":\"" + name + "\",\"kind\":\"TAXONOMY_KIND_CATEGORICAL\",\"description\":\"ab")
                .getBytes(StandardCharsets.UTF_8);
        byte[] body = concat(invalid, new byte[]{(byte) 0xFF, (byte) 0xFE}, "cd\",\"classes\":[{\"name\":\"a\"}]}".getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + "api/v1/taxonomies")).header("Authorization", "Bearer " + ADMIN_KEY)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains("UTF-8"), r.body());
        for (String json : List.of("\"description\":\"x\\ud800y\"", "\"classes\":[{\"name\":\"\\udc00\"}]", "\"description\":\"\\ud83d\"")) {
            HttpResponse<String> s = rest("POST", "/api/v1/taxonomies", null, "{\"name\":\"" + name + "\",\"kind\":\"TAXONOMY_KIND_CATEGORICAL\","
                    + (json.startsWith("\"classes\"") ? json : json + ",\"classes\":[{\"name\":\"a\"}]") + "}");
            assertEquals(400, s.statusCode(), json + ": " + s.body());
            assertTrue(s.body().contains("lone surrogate"), s.body());
        }
        assertThrows(StatusRuntimeException.class, () -> admin().getTaxonomy(GetTaxonomyRequest.newBuilder().setName(name).build()),
                "nothing was stored");
    }

    // --- streams ----------------------------------------------------------------------------------------

    @Test
    void aMalformedMessageEndsAClientStreamAtOnceNamingItsIndexAndLeavesNoSpoolFile() throws Exception {
        String name = unique("stream");
        admin().createTaxonomy(taxonomy(name, "a", "b"));
        byte[] header = EvaluationUpload.newBuilder().setHeader(EvaluationHeader.newBuilder().setTaxonomy(name)).build().toByteArray();
        // field 2 (query) holding field 3 (class_name) with invalid UTF-8; then bytes that are no message at all
        byte[] invalidUtf8 = {0x12, 0x04, 0x1A, 0x02, (byte) 0xC3, 0x28};
        byte[] noMessage = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x0F};
        byte[] loneSurrogate = {0x12, 0x05, 0x1A, 0x03, (byte) 0xED, (byte) 0xA0, (byte) 0x80};
        for (byte[] bad : List.of(invalidUtf8, noMessage, loneSurrogate)) {
            StatusRuntimeException e = rawStream("affect.v1.TaxonomyAdmin/StartEvaluation", List.of(header, bad));
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
            assertTrue(e.getStatus().getDescription().contains("message 1 of the stream"), e.getStatus().getDescription());
        }
        byte[] importHeader = TaxonomyArchiveChunk.newBuilder().setHeader(taxonomy(unique("imported"), "a", "b").getTaxonomy()).build().toByteArray();
        StatusRuntimeException e = rawStream("affect.v1.TaxonomyAdmin/ImportTaxonomy", List.of(importHeader, invalidUtf8));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription().contains("message 1 of the stream"), e.getStatus().getDescription());
        assertNoSpoolFiles();
    }

    @Test
    void aJobWhoseReplicaDiedIsReportedFailedAfterThirtySeconds() throws Exception {
        String name = unique("stalejob");
        admin().createTaxonomy(taxonomy(name, "a", "b"));
        UUID dead = UUID.randomUUID();
        UUID alive = UUID.randomUUID();
        // Jobs as a killed replica leaves them: RUNNING, no heartbeat since 31 s (default stale-after 30 s), and one
        // whose heartbeat is 10 s old.
        try (var db = java.sql.DriverManager.getConnection(org.eclipse.microprofile.config.ConfigProvider.getConfig()
                        .getValue("quarkus.datasource.jdbc.url", String.class), "affect", "affect");
             var insert = db.prepareStatement("INSERT INTO evaluation_job (id, taxonomy_id, state, queries_total, updated) "
                     + "SELECT ?, id, 'RUNNING', 4, now() - CAST(? AS interval) FROM taxonomy WHERE name = ?")) {
            for (Object[] job : new Object[][]{{dead, "31 seconds"}, {alive, "10 seconds"}}) {
                insert.setObject(1, job[0]);
                insert.setString(2, (String) job[1]);
                insert.setString(3, name);
                assertEquals(1, insert.executeUpdate());
            }
        }
        var failed = admin().getEvaluationJob(org.affectdml.proto.v1.GetEvaluationJobRequest.newBuilder().setId(dead.toString()).build());
        assertEquals(org.affectdml.proto.v1.EvaluationJobState.EVALUATION_JOB_STATE_FAILED, failed.getState(), failed.toString());
        assertTrue(failed.getError().contains("replica"), failed.getError());
        var running = admin().getEvaluationJob(org.affectdml.proto.v1.GetEvaluationJobRequest.newBuilder().setId(alive.toString()).build());
        assertEquals(org.affectdml.proto.v1.EvaluationJobState.EVALUATION_JOB_STATE_RUNNING, running.getState(), running.toString());
    }

    @Test
    void anImportIsAllOrNothing() throws Exception {
        String source = unique("export");
        admin().createTaxonomy(taxonomy(source, "a", "b"));
        admin().addSupport(RegistryTestSupport.support(source, "a", TestImages.png(RegistryTestSupport.scene(0)), BOX));
        admin().addSupport(RegistryTestSupport.support(source, "b", TestImages.png(RegistryTestSupport.scene(1)), BOX));
        List<TaxonomyArchiveChunk> chunks = new ArrayList<>();
        admin().exportTaxonomy(ExportTaxonomyRequest.newBuilder().setName(source).build()).forEachRemaining(chunks::add);

        String target = unique("import");
        List<TaxonomyArchiveChunk> renamed = new ArrayList<>(chunks);
        renamed.set(0, TaxonomyArchiveChunk.newBuilder().setHeader(chunks.get(0).getHeader().toBuilder().setName(target)).build());
        // The last support's image is not an image: refused when it is embedded, after the others were.
        List<TaxonomyArchiveChunk> broken = new ArrayList<>(renamed);
        broken.add(TaxonomyArchiveChunk.newBuilder().setSupport(ExportedSupport.newBuilder().setClassName("a")
                .setImage(Image.newBuilder().setData(ByteString.copyFromUtf8("not an image at all"))).setBox(BOX)).build());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> importChunks(broken));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
        StatusRuntimeException absent = assertThrows(StatusRuntimeException.class,
                () -> admin().getTaxonomy(GetTaxonomyRequest.newBuilder().setName(target).build()));
        assertEquals(Status.Code.NOT_FOUND, absent.getStatus().getCode(), "a failed import stores nothing");

        Taxonomy imported = importChunks(renamed);
        assertEquals(2, imported.getClassesList().stream().mapToInt(EmotionClass::getSupportCount).sum());
        assertEquals(1, imported.getRevision(), "an import is one change");
        StatusRuntimeException again = assertThrows(StatusRuntimeException.class, () -> importChunks(renamed));
        assertEquals(Status.Code.ALREADY_EXISTS, again.getStatus().getCode());
        assertNoSpoolFiles();
    }

    private Taxonomy importChunks(List<TaxonomyArchiveChunk> chunks) throws Exception {
        CompletableFuture<Taxonomy> answer = new CompletableFuture<>();
        var stub = withKey(TaxonomyAdminGrpc.newStub(channel), ADMIN_KEY).withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
        StreamObserver<TaxonomyArchiveChunk> upload = stub.importTaxonomy(org.affectdml.service.testing.SingleAnswer.into(answer));
        chunks.forEach(upload::onNext);
        upload.onCompleted();
        try {
            return answer.get(DEADLINE_SECONDS * 2, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException ex) {
            throw (StatusRuntimeException) ex.getCause();
        }
    }

    /** Sends raw messages on a client stream, half-closes, and returns the status the call ended with. */
    private StatusRuntimeException rawStream(String method, List<byte[]> messages) throws Exception {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + ADMIN_KEY);
        var authorized = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
        CompletableFuture<byte[]> answer = new CompletableFuture<>();
        StreamObserver<byte[]> upload = ClientCalls.asyncClientStreamingCall(authorized.newCall(RawBytes.clientStreaming(method),
                CallOptions.DEFAULT.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)), org.affectdml.service.testing.SingleAnswer.into(answer));
        messages.forEach(upload::onNext);
        upload.onCompleted();
        try {
            answer.get(DEADLINE_SECONDS * 2, TimeUnit.SECONDS);
            throw new AssertionError(method + " accepted a malformed message");
        } catch (java.util.concurrent.ExecutionException ex) {
            return (StatusRuntimeException) ex.getCause();
        }
    }

    private static void assertNoSpoolFiles() throws Exception {
        if (Files.isDirectory(SPOOL)) {
            try (var files = Files.list(SPOOL)) {
                List<Path> left = files.filter(f -> f.getFileName().toString().startsWith("import-")
                        || f.getFileName().toString().startsWith("evaluation-")).toList();
                // An evaluation job of another test may still be running with its spool; ours never reached one.
                assertTrue(left.stream().noneMatch(f -> f.getFileName().toString().startsWith("import-")), "import spools left: " + left);
                for (Path f : left) {
                    assertTrue(Files.size(f) > 0, "an empty spool file (a refused upload's) was left: " + f);
                }
            }
        }
    }

    private HttpResponse<String> rest(String method, String path, String idempotencyKey, String body) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url + path.substring(1))).header("Authorization", "Bearer " + ADMIN_KEY)
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (idempotencyKey != null) {
            r.header("Idempotency-Key", idempotencyKey);
        }
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
