package org.affectdml.registry;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.affectdml.inference.testing.TestImages;
import org.affectdml.proto.v1.AddSupportResponse;
import org.affectdml.proto.v1.ClassificationGrpc;
import org.affectdml.proto.v1.ClassifyPersonsRequest;
import org.affectdml.proto.v1.ClassifyPersonsResponse;
import org.affectdml.proto.v1.ClassifyResponse;
import org.affectdml.proto.v1.DeleteTaxonomyRequest;
import org.affectdml.proto.v1.ExportTaxonomyRequest;
import org.affectdml.proto.v1.GetTaxonomyRequest;
import org.affectdml.proto.v1.ListSupportsRequest;
import org.affectdml.proto.v1.ListSupportsResponse;
import org.affectdml.proto.v1.ListTaxonomiesRequest;
import org.affectdml.proto.v1.PersonBox;
import org.affectdml.proto.v1.RemoveSupportRequest;
import org.affectdml.proto.v1.ScoringRule;
import org.affectdml.proto.v1.TaxonomyAdminGrpc;
import org.affectdml.proto.v1.TaxonomyArchiveChunk;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.affectdml.registry.RegistryTestSupport.ADMIN_KEY;
import static org.affectdml.registry.RegistryTestSupport.BOX;
import static org.affectdml.registry.RegistryTestSupport.CLIENT_KEY;
import static org.affectdml.registry.RegistryTestSupport.NEAR_BOX;
import static org.affectdml.registry.RegistryTestSupport.classify;
import static org.affectdml.registry.RegistryTestSupport.nearDuplicate;
import static org.affectdml.registry.RegistryTestSupport.scene;
import static org.affectdml.registry.RegistryTestSupport.support;
import static org.affectdml.registry.RegistryTestSupport.taxonomy;
import static org.affectdml.registry.RegistryTestSupport.withKey;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The registry over real gRPC, with real PostgreSQL + pgvector and the real embedding-service process. */
@QuarkusTest
@QuarkusTestResource(EmbeddingServiceProcess.class)
class RegistryGrpcTest extends RegistryStubs {

    /** The token with its last character changed (always changed: a fixed replacement would sometimes be the same). */
    private static String tampered(String token) {
        char last = token.charAt(token.length() - 1);
        return token.substring(0, token.length() - 1) + (last == '0' ? '1' : '0');
    }

    private static void assertStatus(Status.Code code, String fragment, Runnable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription().contains(fragment), e.getStatus().getDescription());
    }

    @Test
    void nearDuplicateOfASupportIsClassifiedAsItsClass() {
        RegistryTestSupport.threeClassTaxonomy(admin, "one-shot");
        for (int variant = 0; variant < 3; variant++) {
            ClassifyResponse r = client.classify(classify("one-shot", nearDuplicate(variant), NEAR_BOX));
            assertEquals(List.of("joy", "anger", "calm").get(variant), r.getClasses(0).getClassName());
            assertEquals(3, r.getClassesCount());
            assertEquals(1.0, r.getClassesList().stream().mapToDouble(c -> c.getProbability()).sum(), 1e-4);
            assertTrue(r.getClasses(0).getDistance() <= r.getClasses(1).getDistance());
            assertFalse(r.getModelVersion().isEmpty());
            assertEquals(4, r.getTaxonomyRevision());  // created (1) + three supports
            assertFalse(r.getClasses(0).getNearestSupportId().isEmpty());
        }
        var top1 = client.classify(classify("one-shot", nearDuplicate(1), NEAR_BOX).toBuilder().setTopK(1)
                .setScoring(ScoringRule.SCORING_RULE_MEAN_PROTOTYPE).build());
        assertEquals(1, top1.getClassesCount());
        assertEquals("anger", top1.getClasses(0).getClassName());
    }

    @Test
    void classifyPersonsAnswersEveryBoxInOrderAsClassifyWouldAndABadBoxOnlyFailsItself() {
        RegistryTestSupport.threeClassTaxonomy(admin, "group");
        byte[] photo = nearDuplicate(1);
        PersonBox outside = PersonBox.newBuilder().setX1(500).setY1(10).setX2(600).setY2(50).build();
        PersonBox other = PersonBox.newBuilder().setX1(5).setY1(5).setX2(60).setY2(80).build();
        ClassifyPersonsResponse r = client.classifyPersons(ClassifyPersonsRequest.newBuilder().setTaxonomy("group")
                .setImage(classify("group", photo, NEAR_BOX).getImage())
                .addBoxes(NEAR_BOX).addBoxes(outside).addBoxes(other).setTopK(2).build());
        assertEquals(3, r.getPersonsCount());
        assertEquals(4, r.getTaxonomyRevision());
        assertTrue(r.getPersons(1).hasError());
        assertEquals("INVALID_ARGUMENT", r.getPersons(1).getError().getCode());
        assertTrue(r.getPersons(1).getError().getMessage().startsWith("box 1: "), r.getPersons(1).getError().getMessage());
        for (int i : new int[]{0, 2}) {
            PersonBox box = i == 0 ? NEAR_BOX : other;
            ClassifyResponse alone = client.classify(classify("group", photo, box).toBuilder().setTopK(2).build());
            ClassifyResponse together = r.getPersons(i).getClassification();
            assertEquals(2, together.getClassesCount());
            for (int c = 0; c < 2; c++) {
                assertEquals(alone.getClasses(c).getClassName(), together.getClasses(c).getClassName(), "box " + i);
                assertEquals(alone.getClasses(c).getDistance(), together.getClasses(c).getDistance(), 1e-4, "box " + i);
            }
        }
        assertEquals("anger", r.getPersons(0).getClassification().getClasses(0).getClassName());

        var tooMany = ClassifyPersonsRequest.newBuilder().setTaxonomy("group").setImage(classify("group", photo, NEAR_BOX).getImage());
        for (int i = 0; i < 65; i++) {
            tooMany.addBoxes(NEAR_BOX);
        }
        assertStatus(Status.Code.INVALID_ARGUMENT, "65 boxes, above the limit of 64 (affect.registry.max-persons)",
                () -> client.classifyPersons(tooMany.build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "at least one person box",
                () -> client.classifyPersons(ClassifyPersonsRequest.newBuilder().setTaxonomy("group")
                        .setImage(classify("group", photo, NEAR_BOX).getImage()).build()));
        assertStatus(Status.Code.NOT_FOUND, "taxonomy 'nobody' does not exist",
                () -> client.classifyPersons(tooMany.setTaxonomy("nobody").clearBoxes().addBoxes(NEAR_BOX).build()));
    }

    @Test
    void taxonomyLifecycleAndPaging() {
        admin.createTaxonomy(taxonomy("life-a", "x", "y"));
        admin.createTaxonomy(taxonomy("life-b", "x", "y"));
        assertStatus(Status.Code.ALREADY_EXISTS, "exists already", () -> admin.createTaxonomy(taxonomy("life-a", "x")));
        assertStatus(Status.Code.INVALID_ARGUMENT, "taxonomy name 'Bad Name'", () -> admin.createTaxonomy(taxonomy("Bad Name", "x")));
        assertStatus(Status.Code.INVALID_ARGUMENT, "listed twice", () -> admin.createTaxonomy(taxonomy("dup", "x", "x")));
        var got = admin.getTaxonomy(GetTaxonomyRequest.newBuilder().setName("life-a").build());
        assertEquals(List.of("x", "y"), got.getClassesList().stream().map(c -> c.getName()).toList());

        Set<String> seen = new HashSet<>();
        String token = "";
        int pages = 0;
        do {
            var page = admin.listTaxonomies(ListTaxonomiesRequest.newBuilder().setPageSize(1).setPageToken(token).build());
            page.getTaxonomiesList().forEach(t -> seen.add(t.getName()));
            token = page.getNextPageToken();
        } while (!token.isEmpty() && ++pages < 10_000);
        assertEquals("", token, "paging ended (the test database holds far fewer than 10 000 taxonomies)");
        assertTrue(seen.containsAll(Set.of("life-a", "life-b")), seen.toString());

        admin.addSupport(support("life-a", "x", TestImages.png(scene(0)), BOX));
        assertEquals(1, admin.deleteTaxonomy(DeleteTaxonomyRequest.newBuilder().setName("life-a").build()).getDeletedSupports());
        assertStatus(Status.Code.NOT_FOUND, "taxonomy 'life-a' does not exist",
                () -> admin.getTaxonomy(GetTaxonomyRequest.newBuilder().setName("life-a").build()));
    }

    /** INVALID_ARGUMENT, a message naming the field, and never more than a short prefix of the input. */
    private static void assertRefusedBriefly(String fragment, Runnable call) {
        assertRefusedBriefly(Status.Code.INVALID_ARGUMENT, fragment, call);
    }

    private static void assertRefusedBriefly(Status.Code code, String fragment, Runnable call) {
        assertStatus(code, fragment, call);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
        assertTrue(e.getStatus().getDescription().length() < 300, "bounded: " + e.getStatus().getDescription().length() + " characters");
        assertTrue(!e.getStatus().getDescription().contains("Exception"), e.getStatus().getDescription());
    }

    @Test
    void hostileStringsAreRefusedBrieflyAndNothingIsStored() {
        String huge = "x".repeat(10_000);
        byte[] image = TestImages.png(scene(4));
        assertRefusedBriefly("taxonomy name 'xxxx", () -> admin.createTaxonomy(taxonomy(huge, "a", "b")));
        assertRefusedBriefly("taxonomy name 'xxxx", () -> admin.getTaxonomy(GetTaxonomyRequest.newBuilder().setName(huge).build()));
        assertRefusedBriefly("taxonomy name 'a\\u0000b'", () -> admin.getTaxonomy(GetTaxonomyRequest.newBuilder().setName("a\u0000b").build()));
        assertRefusedBriefly("taxonomy name", () -> client.classify(classify(huge, image, BOX)));
        assertRefusedBriefly("class name has a control character (U+0000) at position 1: 'a\\u0000'", () -> admin.createTaxonomy(taxonomy("hostile", "a\u0000", "b")));
        assertRefusedBriefly("must be 1-64 characters", () -> admin.createTaxonomy(taxonomy("hostile", huge, "b")));
        assertStatus(Status.Code.NOT_FOUND, "does not exist", () -> admin.getTaxonomy(GetTaxonomyRequest.newBuilder().setName("hostile").build()));

        admin.createTaxonomy(taxonomy("hostile", "a", "b"));
        assertRefusedBriefly("media type has 10000 characters, above the limit of 255", () -> admin.addSupport(support("hostile", "a", image, BOX).toBuilder()
                .setImage(org.affectdml.proto.v1.Image.newBuilder().setData(com.google.protobuf.ByteString.copyFrom(image)).setMediaType(huge)).build()));
        assertRefusedBriefly("unsupported media type 'text/plain'", () -> admin.addSupport(support("hostile", "a", image, BOX).toBuilder()
                .setImage(org.affectdml.proto.v1.Image.newBuilder().setData(com.google.protobuf.ByteString.copyFrom(image)).setMediaType("text/plain")).build()));
        assertRefusedBriefly("does not match the bytes, which are image/png", () -> admin.addSupport(support("hostile", "a", image, BOX).toBuilder()
                .setImage(org.affectdml.proto.v1.Image.newBuilder().setData(com.google.protobuf.ByteString.copyFrom(image)).setMediaType("image/jpeg")).build()));
        assertRefusedBriefly("must be 1-64 characters", () -> admin.addSupport(support("hostile", huge, image, BOX)));
        assertRefusedBriefly(Status.Code.NOT_FOUND, "has no class 'nope'", () -> admin.addSupport(support("hostile", "nope", image, BOX)));
        var tooMuch = support("hostile", "a", image, BOX).toBuilder();
        for (int i = 0; i < 33; i++) {
            tooMuch.putMetadata("k" + i, "v");
        }
        assertRefusedBriefly("entries, above the limit of 32", () -> admin.addSupport(tooMuch.build()));
        assertRefusedBriefly("metadata value of 'note' has a control character",
                () -> admin.addSupport(support("hostile", "a", image, BOX).toBuilder().putMetadata("note", "a\u0000b").build()));
        assertRefusedBriefly("page_token is 10000 characters", () -> admin.listSupports(ListSupportsRequest.newBuilder().setTaxonomy("hostile")
                .setPageToken("z".repeat(10_000)).build()));
        assertRefusedBriefly("support id", () -> admin.removeSupport(RemoveSupportRequest.newBuilder().setTaxonomy("hostile")
                .setSupportId(huge).build()));
        assertEquals(0, admin.listSupports(ListSupportsRequest.newBuilder().setTaxonomy("hostile").build()).getSamplesCount(),
                "no refused support was stored");
    }

    @Test
    void everyListCallReturnsEveryItemOnceForEveryPageSizeAlsoWhileItemsAreAdded() {
        admin.createTaxonomy(taxonomy("pages", "x", "y"));
        byte[] image = TestImages.png(scene(2));
        int[] boxes = {0};
        java.util.function.Consumer<String> addSupport = className -> {
            // the same photo, another box each time: another support
            int i = boxes[0]++;
            admin.addSupport(support("pages", className.isEmpty() ? (i % 2 == 0 ? "x" : "y") : className, image,
                    BOX.toBuilder().setX1(20 + i).build()));
        };
        for (int i = 0; i < 7; i++) {
            addSupport.accept("");
        }
        for (String classFilter : List.of("", "x")) {
            for (int pageSize = 1; pageSize <= 8; pageSize++) {
                int size = pageSize;
                java.util.function.Function<String, ListSupportsResponse> fetch = token -> admin.listSupports(ListSupportsRequest
                        .newBuilder().setTaxonomy("pages").setClassName(classFilter).setPageSize(size).setPageToken(token).build());
                Set<String> present = new HashSet<>(admin.listSupports(ListSupportsRequest.newBuilder().setTaxonomy("pages").setClassName(classFilter)
                        .setPageSize(500).build()).getSamplesList().stream().map(x -> x.getId()).toList());
                List<String> listed = new java.util.ArrayList<>();
                String token = "";
                int pages = 0;
                do {
                    ListSupportsResponse page = fetch.apply(token);
                    assertTrue(page.getSamplesCount() == size || page.getNextPageToken().isEmpty(), "a full page unless it is the last");
                    page.getSamplesList().forEach(sample -> listed.add(sample.getId()));
                    token = page.getNextPageToken();
                    if (pages++ == 0) {
                        // Added and removed while paging: neither may shift what is listed after it.
                        addSupport.accept(classFilter);
                        admin.removeSupport(RemoveSupportRequest.newBuilder().setTaxonomy("pages").setSupportId(listed.get(0)).build());
                        present.remove(listed.get(0));
                    }
                } while (!token.isEmpty() && pages < 50);
                assertEquals(new HashSet<>(listed).size(), listed.size(), "no sample twice at page size " + size + ": " + listed);
                assertTrue(listed.containsAll(present), "every sample present throughout is listed at page size " + size);
            }
        }

        Set<String> mine = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            admin.createTaxonomy(taxonomy("pg-m" + i, "x", "y"));
            mine.add("pg-m" + i);
        }
        for (int pageSize = 1; pageSize <= 6; pageSize++) {
            List<String> listed = new java.util.ArrayList<>();
            String token = "";
            int pages = 0;
            do {
                var page = admin.listTaxonomies(ListTaxonomiesRequest.newBuilder().setPageSize(pageSize).setPageToken(token).build());
                page.getTaxonomiesList().forEach(t -> listed.add(t.getName()));
                token = page.getNextPageToken();
                if (pages++ == 0) {
                    // one that sorts before every name listed so far (digits before letters, whatever the other tests
                    // created): paging by offset would shift by one and list a name twice; and one after
                    String first = "0000-" + (100 - pageSize);  // before those of the earlier page sizes too
                    assertTrue(listed.stream().allMatch(n -> n.compareTo(first) > 0), "sorts first: " + listed);
                    admin.createTaxonomy(taxonomy(first, "x", "y"));
                    admin.createTaxonomy(taxonomy("pg-z" + pageSize, "x", "y"));
                }
            } while (!token.isEmpty() && pages < 500);
            assertEquals(new HashSet<>(listed).size(), listed.size(), "no taxonomy twice at page size " + pageSize);
            assertTrue(listed.containsAll(mine), "every taxonomy present before paging is listed at page size " + pageSize);
        }

        String supportsToken = admin.listSupports(ListSupportsRequest.newBuilder().setTaxonomy("pages").setPageSize(1).build()).getNextPageToken();
        String classToken = admin.listSupports(ListSupportsRequest.newBuilder().setTaxonomy("pages").setClassName("x").setPageSize(1).build())
                .getNextPageToken();
        assertStatus(Status.Code.INVALID_ARGUMENT, "page_token was not issued by this listing",
                () -> admin.listTaxonomies(ListTaxonomiesRequest.newBuilder().setPageToken(supportsToken).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "belongs to another taxonomy or class filter",
                () -> admin.listSupports(ListSupportsRequest.newBuilder().setTaxonomy("pages").setPageToken(classToken).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "page_token was not issued by this service",
                () -> admin.listSupports(ListSupportsRequest.newBuilder().setTaxonomy("pages").setPageToken("3").build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "page_token was not issued by this service",
                () -> admin.listSupports(ListSupportsRequest.newBuilder().setTaxonomy("pages")
                        .setPageToken(tampered(supportsToken)).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "is 600 characters",
                () -> admin.listTaxonomies(ListTaxonomiesRequest.newBuilder().setPageToken("a".repeat(600)).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "page_size must be >= 0",
                () -> admin.listSupports(ListSupportsRequest.newBuilder().setTaxonomy("pages").setPageSize(-1).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "page_size must be >= 0",
                () -> admin.listTaxonomies(ListTaxonomiesRequest.newBuilder().setPageSize(-5).build()));
    }

    @Test
    void addSupportIsIdempotentAlsoUnderConcurrency() throws Exception {
        admin.createTaxonomy(taxonomy("idem", "a", "b"));
        byte[] image = TestImages.png(scene(3));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<AddSupportResponse>> calls = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                calls.add(pool.submit((Callable<AddSupportResponse>) () -> admin.addSupport(support("idem", "a", image, BOX))));
            }
            Set<String> ids = new HashSet<>();
            int created = 0;
            for (Future<AddSupportResponse> f : calls) {
                ids.add(f.get().getSample().getId());
                created += f.get().getCreated() ? 1 : 0;
            }
            assertEquals(1, ids.size());
            assertEquals(1, created);
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, admin.listSupports(ListSupportsRequest.newBuilder().setTaxonomy("idem").build()).getSamplesCount());
        assertStatus(Status.Code.ALREADY_EXISTS, "already a support of class 'a'", () -> admin.addSupport(support("idem", "b", image, BOX)));
        var sample = admin.listSupports(ListSupportsRequest.newBuilder().setTaxonomy("idem").build()).getSamples(0);
        assertEquals(1, sample.getEmbeddedModelVersionsCount());
        admin.removeSupport(RemoveSupportRequest.newBuilder().setTaxonomy("idem").setSupportId(sample.getId()).build());
        assertEquals(0, admin.listSupports(ListSupportsRequest.newBuilder().setTaxonomy("idem").build()).getSamplesCount());
    }

    @Test
    void classifyErrorsNameWhatIsMissing() {
        byte[] image = TestImages.png(scene(0));
        assertStatus(Status.Code.NOT_FOUND, "taxonomy 'nope' does not exist", () -> client.classify(classify("nope", image, BOX)));
        admin.createTaxonomy(taxonomy("single", "only"));
        admin.addSupport(support("single", "only", image, BOX));
        assertStatus(Status.Code.FAILED_PRECONDITION, "needs at least 2", () -> client.classify(classify("single", image, BOX)));
        admin.createTaxonomy(taxonomy("gappy", "has", "empty1", "empty2"));
        admin.addSupport(support("gappy", "has", image, BOX));
        assertStatus(Status.Code.FAILED_PRECONDITION, "[empty1, empty2] have no support sample",
                () -> client.classify(classify("gappy", image, BOX)));
        RegistryTestSupport.threeClassTaxonomy(admin, "errs");
        assertStatus(Status.Code.INVALID_ARGUMENT, "top_k must be >= 0",
                () -> client.classify(classify("errs", image, BOX).toBuilder().setTopK(-1).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "not a JPEG or PNG", () -> client.classify(classify("errs", "junk".getBytes(), BOX)));
        assertStatus(Status.Code.INVALID_ARGUMENT, "outside the 160x120 image", () -> client.classify(classify("errs", image,
                BOX.toBuilder().setX1(500).setX2(600).build())));
        assertStatus(Status.Code.NOT_FOUND, "has no class 'fear'", () -> admin.addSupport(support("errs", "fear", image, BOX)));
    }

    @Test
    void reflectionNeedsNoKeySoGenericToolsFindTheApi() throws Exception {
        var services = org.affectdml.service.testing.GrpcReflection.listServices(channel);
        assertTrue(services.containsAll(List.of("affect.v1.TaxonomyAdmin", "affect.v1.Classification")), services.toString());
    }

    @Test
    void credentialsAreRequiredPerRole() {
        var anonymous = ClassificationGrpc.newBlockingStub(channel);
        assertStatus(Status.Code.UNAUTHENTICATED, "missing or unknown API key", () -> anonymous.classify(classify("x", new byte[]{1}, BOX)));
        var wrongKey = withKey(TaxonomyAdminGrpc.newBlockingStub(channel), "not-a-key");
        assertStatus(Status.Code.UNAUTHENTICATED, "missing or unknown API key", () -> wrongKey.listTaxonomies(ListTaxonomiesRequest.getDefaultInstance()));
        var clientAsAdmin = withKey(TaxonomyAdminGrpc.newBlockingStub(channel), CLIENT_KEY);
        assertStatus(Status.Code.PERMISSION_DENIED, "needs an admin key", () -> clientAsAdmin.listTaxonomies(ListTaxonomiesRequest.getDefaultInstance()));
    }

    @Test
    void exportThenImportUnderANewNameClassifiesTheSame() {
        RegistryTestSupport.threeClassTaxonomy(admin, "to-export");
        List<TaxonomyArchiveChunk> chunks = new ArrayList<>();
        admin.exportTaxonomy(ExportTaxonomyRequest.newBuilder().setName("to-export").build()).forEachRemaining(chunks::add);
        assertEquals(4, chunks.size());
        admin.deleteTaxonomy(DeleteTaxonomyRequest.newBuilder().setName("to-export").build());

        var importer = withKey(TaxonomyAdminGrpc.newStub(channel), ADMIN_KEY);
        var done = new java.util.concurrent.CompletableFuture<org.affectdml.proto.v1.Taxonomy>();
        var upload = importer.importTaxonomy(new io.grpc.stub.StreamObserver<>() {
            public void onNext(org.affectdml.proto.v1.Taxonomy t) { done.complete(t); }
            public void onError(Throwable t) { done.completeExceptionally(t); }
            public void onCompleted() { }
        });
        chunks.forEach(upload::onNext);
        upload.onCompleted();
        var imported = done.join();
        assertEquals("to-export", imported.getName());
        assertEquals(3, imported.getClassesList().stream().mapToInt(c -> c.getSupportCount()).sum());
        assertEquals("calm", client.classify(classify("to-export", nearDuplicate(2), NEAR_BOX)).getClasses(0).getClassName());
        // the imported supports' class means were kept as they were stored (in statements of many rows)
        assertEquals("calm", client.classify(classify("to-export", nearDuplicate(2), NEAR_BOX).toBuilder()
                .setScoring(ScoringRule.SCORING_RULE_MEAN_PROTOTYPE).build()).getClasses(0).getClassName());
    }
}
