package org.affectdml.registry;

import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.affectdml.inference.image.SyntheticPhotos;
import org.affectdml.inference.testing.TestImages;
import org.affectdml.proto.v1.ClassificationGrpc;
import org.affectdml.proto.v1.ClassifyPersonsRequest;
import org.affectdml.proto.v1.ClassifyRequest;
import org.affectdml.proto.v1.EmbedPersonsRequest;
import org.affectdml.proto.v1.EmbedRequest;
import org.affectdml.proto.v1.EmbeddingServiceGrpc;
import org.affectdml.proto.v1.EmotionClass;
import org.affectdml.proto.v1.Image;
import org.affectdml.proto.v1.ListSupportsRequest;
import org.affectdml.proto.v1.ListTaxonomiesRequest;
import org.affectdml.proto.v1.PersonBox;
import org.affectdml.proto.v1.RemoveSupportRequest;
import org.affectdml.proto.v1.TaxonomyAdminGrpc;
import org.affectdml.service.testing.GrpcTestChannels;
import org.affectdml.service.testing.RawBytes;
import org.affectdml.service.testing.ServiceProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import static org.affectdml.registry.RegistryTestSupport.ADMIN_KEY;
import static org.affectdml.registry.RegistryTestSupport.CLIENT_KEY;
import static org.affectdml.registry.RegistryTestSupport.taxonomy;
import static org.affectdml.registry.RegistryTestSupport.withKey;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A corpus of hostile and unusual input, generated here, through the real registry (gRPC and REST) and the real
 * embedding-service process: every case must get its precise status and a short message a person can act on,
 * never INTERNAL/UNKNOWN, a stack trace, SQL or a long echo of the input; valid-but-unusual images are
 * answered. The last case checks both services are still healthy and nothing hostile was stored.
 */
@QuarkusTest
@QuarkusTestResource(EmbeddingServiceProcess.class)
class HostileInputCorpusTest {

    /** What came back: a gRPC code name ("OK" for an answer) or an HTTP status, and the message or body. */
    record Answer(String code, String message) {
    }

    /** One input, what it must get, and a fragment the message must contain ("" = any message). */
    record Case(String name, Supplier<Answer> call, String expectedCode, String fragment) {
    }

    private static final String TAXONOMY = "corpus";
    private static final int MAX_MESSAGE = 400;
    private static final Pattern LEAKS = Pattern.compile(
            "Exception|\\bat (org|java|io)\\.|SQL|select |insert |org\\.postgresql|java\\.|com\\.google|Gson|null$");
    private static final String FILLER = "x".repeat(10_000);

    @TestHTTPResource("/")
    URL url;

    private ManagedChannel channel;
    private ManagedChannel embeddingChannel;
    private TaxonomyAdminGrpc.TaxonomyAdminBlockingStub admin;
    private ClassificationGrpc.ClassificationBlockingStub client;
    private EmbeddingServiceGrpc.EmbeddingServiceBlockingStub embedding;
    // HTTP/1.1, as curl speaks to a plain-http server.
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void connect() {
        channel = GrpcTestChannels.to(url);
        admin = withKey(TaxonomyAdminGrpc.newBlockingStub(channel), ADMIN_KEY);
        client = withKey(ClassificationGrpc.newBlockingStub(channel), CLIENT_KEY);
        embeddingChannel = io.grpc.ManagedChannelBuilder.forAddress("127.0.0.1",
                Integer.parseInt(System.getProperty(EmbeddingServiceProcess.PORT_PROPERTY))).usePlaintext().build();
        embedding = GrpcTestChannels.withKey(EmbeddingServiceGrpc.newBlockingStub(embeddingChannel), ServiceProcess.SERVICE_KEY);
    }

    @AfterEach
    void disconnect() {
        channel.shutdownNow();
        embeddingChannel.shutdownNow();
    }

    @TestFactory
    List<DynamicTest> everyHostileInputGetsItsStatusAndAShortActionableMessage() {
        // A classifiable taxonomy, so image errors are reached (they are checked after the taxonomy).
        admin.createTaxonomy(taxonomy(TAXONOMY, "a", "b"));
        admin.addSupport(RegistryTestSupport.support(TAXONOMY, "a", TestImages.png(RegistryTestSupport.scene(0)), RegistryTestSupport.BOX));
        admin.addSupport(RegistryTestSupport.support(TAXONOMY, "b", TestImages.png(RegistryTestSupport.scene(1)), RegistryTestSupport.BOX));

        byte[] photo = SyntheticPhotos.jpeg(SyntheticPhotos.photo(320, 240, 1), 0.9f);
        List<Case> cases = new ArrayList<>();
        imageCases(cases, photo);
        boxCases(cases, photo);
        stringCases(cases, photo);
        invalidUtf8InEveryStringField(cases);
        pagingCases(cases);
        authCases(cases, photo);
        sizeCases(cases, photo);
        restCases(cases, photo);
        assertTrue(cases.size() >= 40, "the corpus has " + cases.size() + " cases");

        List<DynamicTest> tests = new ArrayList<>();
        for (Case c : cases) {
            tests.add(DynamicTest.dynamicTest(c.name(), () -> check(c, c.call().get())));
        }
        tests.add(DynamicTest.dynamicTest("both services stay healthy and nothing hostile was stored", this::stillHealthy));
        return tests;
    }

    private static void check(Case c, Answer answer) {
        assertEquals(c.expectedCode(), answer.code(), c.name() + ": " + answer.message());
        String message = answer.message() == null ? "" : answer.message();
        assertTrue(message.contains(c.fragment()), c.name() + ": message lacks '" + c.fragment() + "': " + message);
        if (!answer.code().equals("OK") && !answer.code().equals("200")) {
            assertTrue(!message.isBlank(), c.name() + ": a refusal says why");
            assertTrue(message.length() <= MAX_MESSAGE, c.name() + ": message of " + message.length() + " characters");
            assertTrue(!LEAKS.matcher(message).find(), c.name() + ": message leaks internals: " + message);
            assertTrue(!message.contains("x".repeat(100)), c.name() + ": message echoes the input at length");
        }
    }

    // --- images -----------------------------------------------------------------------------------------

    private void imageCases(List<Case> cases, byte[] photo) {
        byte[] png = TestImages.png(SyntheticPhotos.photo(200, 150, 2));
        cases.add(classify("empty image bytes", new byte[0], "", "INVALID_ARGUMENT", "no image"));
        cases.add(classify("random bytes", random(5000, 1), "", "INVALID_ARGUMENT", "not a JPEG or PNG"));
        cases.add(classify("a GIF", "GIF89a\u0001\u0000\u0001\u0000".getBytes(), "", "INVALID_ARGUMENT", "not a JPEG or PNG"));
        cases.add(classify("a JPEG cut in half", Arrays.copyOf(photo, photo.length / 2), "", "INVALID_ARGUMENT", "truncated"));
        cases.add(classify("a JPEG of only its first 200 bytes", Arrays.copyOf(photo, 200), "", "INVALID_ARGUMENT", "image/jpeg"));
        cases.add(classify("a PNG without its last 40 bytes", Arrays.copyOf(png, png.length - 40), "", "INVALID_ARGUMENT", "image/png"));
        cases.add(classify("a PNG declaring 50000x50000 pixels", TestImages.pngDeclaring(50_000, 50_000), "", "INVALID_ARGUMENT",
                "above the limit of 40000000 pixels"));
        cases.add(classify("a JPEG declaring 65000x65000 pixels", jpegDeclaring(photo, 65_000, 65_000), "", "INVALID_ARGUMENT",
                "above the limit of 40000000 pixels"));
        cases.add(classify("JPEG bytes declared text/plain", photo, "text/plain", "INVALID_ARGUMENT", "media type"));
        cases.add(classify("JPEG bytes declared image/png", photo, "image/png", "INVALID_ARGUMENT", "image/png"));
        cases.add(classify("a 10000-character media type", photo, "image/" + FILLER, "INVALID_ARGUMENT", "media type"));
        cases.add(classify("a media type with a NUL byte", photo, "image/jpeg\u0000", "INVALID_ARGUMENT", "media type"));
        cases.add(classify("a greyscale JPEG", jpegOf(grey(320, 240)), "", "OK", ""));
        cases.add(classify("a progressive JPEG", SyntheticPhotos.progressiveJpeg(SyntheticPhotos.photo(320, 240, 3), 0.9f), "", "OK", ""));
        cases.add(classify("a 16-bit PNG", sixteenBitPng(320, 240), "", "OK", ""));
        cases.add(classify("a PNG with alpha", TestImages.png(withAlpha(SyntheticPhotos.photo(320, 240, 4))), "", "OK", ""));
        cases.add(classify("a CMYK JPEG with an Adobe marker and no ICC profile", TestImages.withAdobeMarker(TestImages.cmykJpeg(320, 240, new byte[]{20, (byte) 200, 90, 10})), "", "OK", ""));
        cases.add(classify("a JPEG rotated by EXIF (boxes in displayed pixels)", TestImages.withExifOrientation(photo, 6), "", "OK", ""));
        cases.add(new Case("EXIF-rotated JPEG, box outside the displayed frame", () -> grpc(() -> client.classify(
                classifyRequest(TestImages.withExifOrientation(photo, 6), "", box(250, 300, 300, 310)))), "INVALID_ARGUMENT",
                "outside the 240x320 image"));
    }

    // --- boxes ------------------------------------------------------------------------------------------

    private void boxCases(List<Case> cases, byte[] photo) {
        cases.add(box("a NaN coordinate", photo, box(Float.NaN, 0, 10, 10), "INVALID_ARGUMENT", "not a finite number"));
        cases.add(box("an infinite coordinate", photo, box(0, 0, Float.POSITIVE_INFINITY, 10), "INVALID_ARGUMENT", "not a finite number"));
        cases.add(box("a box of zero area", photo, box(10, 10, 10, 50), "INVALID_ARGUMENT", "zero or negative area"));
        cases.add(box("an inverted box", photo, box(100, 100, 50, 50), "INVALID_ARGUMENT", "zero or negative area"));
        cases.add(box("a box wholly outside", photo, box(1000, 1000, 1100, 1100), "INVALID_ARGUMENT", "outside the 320x240 image"));
        cases.add(box("a box at -1e30", photo, box(-1e30f, -1e30f, -1e29f, -1e29f), "INVALID_ARGUMENT", "outside"));
        cases.add(box("a box partly outside (clamped)", photo, box(-50, -50, 100, 100), "OK", ""));
        cases.add(new Case("a request without a box", () -> grpc(() -> client.classify(classifyRequest(photo, "", null))),
                "INVALID_ARGUMENT", "no person box"));
        ClassifyPersonsRequest.Builder many = ClassifyPersonsRequest.newBuilder().setTaxonomy(TAXONOMY).setImage(image(photo, ""));
        for (int i = 0; i < 65; i++) {
            many.addBoxes(box(1, 1, 50, 50));
        }
        cases.add(new Case("ClassifyPersons with 65 boxes", () -> grpc(() -> client.classifyPersons(many.build())), "INVALID_ARGUMENT",
                "above the limit of 64"));
        cases.add(new Case("ClassifyPersons with no box", () -> grpc(() -> client.classifyPersons(
                ClassifyPersonsRequest.newBuilder().setTaxonomy(TAXONOMY).setImage(image(photo, "")).build())), "INVALID_ARGUMENT", "at least one"));
        cases.add(new Case("ClassifyPersons: one bad box among good ones is answered per box", () -> grpc(() -> {
            var r = client.classifyPersons(ClassifyPersonsRequest.newBuilder().setTaxonomy(TAXONOMY).setImage(image(photo, ""))
                    .addBoxes(box(10, 10, 100, 200)).addBoxes(box(Float.NaN, 1, 2, 3)).build());
            return r.getPersons(0).hasClassification() ? r.getPersons(1).getError().getMessage() : "first person unanswered";
        }), "OK", "box 1: "));
        cases.add(new Case("EmbedPersons with 65 boxes (embedding-service)", () -> grpc(() -> embedding.embedPersons(
                EmbedPersonsRequest.newBuilder().setImage(image(photo, "")).addAllBoxes(many.getBoxesList()).build())),
                "INVALID_ARGUMENT", "above the limit of 64 (affect.embedding.max-persons)"));
    }

    // --- strings ----------------------------------------------------------------------------------------

    private void stringCases(List<Case> cases, byte[] photo) {
        cases.add(new Case("a 10000-character taxonomy name", () -> grpc(() -> client.classify(classifyRequest(photo, "", box(1, 1, 50, 50))
                .toBuilder().setTaxonomy(FILLER).build())), "INVALID_ARGUMENT", "taxonomy name"));
        cases.add(new Case("a taxonomy name with a NUL byte", () -> grpc(() -> client.classify(classifyRequest(photo, "", box(1, 1, 50, 50))
                .toBuilder().setTaxonomy("corp\u0000us").build())), "INVALID_ARGUMENT", "taxonomy name"));
        cases.add(new Case("a taxonomy name of invalid UTF-8", () -> grpc(() -> rawCall("affect.v1.Classification/Classify", CLIENT_KEY,
                new byte[]{0x0A, 0x03, 'a', (byte) 0xC3, 0x28})), "INVALID_ARGUMENT", "UTF-8"));
        cases.add(new Case("a 10000-character class name", () -> grpc(() -> admin.createTaxonomy(taxonomy("long-class", FILLER, "b"))),
                "INVALID_ARGUMENT", "class name"));
        cases.add(new Case("a class name with a newline", () -> grpc(() -> admin.createTaxonomy(taxonomy("nl-class", "a\nb", "c"))),
                "INVALID_ARGUMENT", "control character"));
        cases.add(new Case("a 100000-character description", () -> grpc(() -> admin.createTaxonomy(taxonomy("long-desc", "a", "b").toBuilder()
                .setTaxonomy(taxonomy("long-desc", "a", "b").getTaxonomy().toBuilder().setDescription(FILLER.repeat(10))).build())),
                "INVALID_ARGUMENT", "description"));
        cases.add(new Case("a class description with a NUL byte", () -> grpc(() -> admin.createTaxonomy(taxonomy("nul-desc").toBuilder()
                .setTaxonomy(taxonomy("nul-desc").getTaxonomy().toBuilder()
                        .addClasses(EmotionClass.newBuilder().setName("a").setDescription("x\u0000y"))
                        .addClasses(EmotionClass.newBuilder().setName("b"))).build())), "INVALID_ARGUMENT", "control character"));
        var support = RegistryTestSupport.support(TAXONOMY, "a", photo, box(1, 1, 50, 50)).toBuilder();
        cases.add(new Case("33 metadata entries", () -> grpc(() -> {
            var s = support.clone();
            for (int i = 0; i < 33; i++) {
                s.putMetadata("k" + i, "v");
            }
            return admin.addSupport(s.build());
        }), "INVALID_ARGUMENT", "above the limit of 32"));
        cases.add(new Case("a 65-character metadata key", () -> grpc(() -> admin.addSupport(support.clone().putMetadata("k".repeat(65), "v").build())),
                "INVALID_ARGUMENT", "metadata key"));
        cases.add(new Case("a 10000-character metadata value", () -> grpc(() -> admin.addSupport(support.clone().putMetadata("note", FILLER).build())),
                "INVALID_ARGUMENT", "metadata value"));
        cases.add(new Case("a support id that is not a UUID", () -> grpc(() -> admin.removeSupport(RemoveSupportRequest.newBuilder()
                .setTaxonomy(TAXONOMY).setSupportId(FILLER).build())), "INVALID_ARGUMENT", "not a UUID"));
        cases.add(new Case("a class that does not exist, 10000 characters", () -> grpc(() -> admin.addSupport(support.clone().setClassName(FILLER).build())),
                "INVALID_ARGUMENT", "class name"));
        cases.add(new Case("a negative top_k", () -> grpc(() -> client.classify(classifyRequest(photo, "", box(1, 1, 50, 50)).toBuilder().setTopK(-1).build())),
                "INVALID_ARGUMENT", "top_k"));
        cases.add(new Case("an unknown scoring rule", () -> grpc(() -> client.classify(classifyRequest(photo, "", box(1, 1, 50, 50)).toBuilder()
                .setScoringValue(99).build())), "INVALID_ARGUMENT", "scoring"));
        cases.add(new Case("a hostile model_version (embedding-service)", () -> grpc(() -> embedding.embed(EmbedRequest.newBuilder()
                .setImage(image(photo, "")).setBox(box(1, 1, 50, 50)).setModelVersion("../../etc/" + FILLER).build())), "INVALID_ARGUMENT", "model_version"));
        cases.add(new Case("an evaluation job id of 10000 characters", () -> grpc(() -> admin.getEvaluationJob(
                org.affectdml.proto.v1.GetEvaluationJobRequest.newBuilder().setId(FILLER).build())), "INVALID_ARGUMENT", "not a UUID"));
    }

    /**
     * Every string field (top level and one message down, map keys and values included) of every request of the
     * registry's and embedding-service's APIs, holding invalid UTF-8 as a client in any language can send it: each
     * call, unary or client-streaming, ends with INVALID_ARGUMENT at once. Generated from the descriptors, so a field
     * or method added later is covered too.
     */
    private void invalidUtf8InEveryStringField(List<Case> cases) {
        List<io.grpc.ServiceDescriptor> services = List.of(TaxonomyAdminGrpc.getServiceDescriptor(), ClassificationGrpc.getServiceDescriptor(),
                EmbeddingServiceGrpc.getServiceDescriptor());
        for (io.grpc.ServiceDescriptor service : services) {
            boolean embeddingService = service == EmbeddingServiceGrpc.getServiceDescriptor();
            for (MethodDescriptor<?, ?> method : service.getMethods()) {
                if (!(method.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<?> p)
                        || !(p.getMessagePrototype() instanceof com.google.protobuf.Message prototype)) {
                    continue;
                }
                for (byte[] request : withInvalidUtf8(prototype)) {
                    String name = "invalid UTF-8 in a string of " + method.getFullMethodName() + " #" + cases.size();
                    if (method.getType().clientSendsOneMessage()) {
                        cases.add(new Case(name, () -> grpc(() -> embeddingService
                                ? rawCall(embeddingChannel, method.getFullMethodName(), ServiceProcess.SERVICE_KEY, request)
                                : rawCall(method.getFullMethodName(), ADMIN_KEY, request)), "INVALID_ARGUMENT", "UTF-8"));
                    } else {
                        cases.add(new Case(name, () -> grpc(() -> rawStream(method.getFullMethodName(), request)), "INVALID_ARGUMENT",
                                "message 0 of the stream"));
                    }
                }
            }
        }
    }

    /** The message once per string field, that field holding invalid UTF-8 (the bytes C3 28 twice), serialised. */
    private static List<byte[]> withInvalidUtf8(com.google.protobuf.Message prototype) {
        List<byte[]> out = new ArrayList<>();
        for (com.google.protobuf.Message m : withPlaceholder(prototype, 1)) {
            byte[] bytes = m.toByteArray();
            int at = indexOf(bytes, PLACEHOLDER);
            if (at >= 0) {
                byte[] bad = bytes.clone();
                System.arraycopy(new byte[]{(byte) 0xC3, 0x28, (byte) 0xC3, 0x28}, 0, bad, at, 4);
                out.add(bad);
            }
        }
        return out;
    }

    private static final byte[] PLACEHOLDER = "ZqZq".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** Copies of the message with one string field set to the placeholder, down to {@code depth} messages below. */
    private static List<com.google.protobuf.Message> withPlaceholder(com.google.protobuf.Message prototype, int depth) {
        List<com.google.protobuf.Message> out = new ArrayList<>();
        for (var field : prototype.getDescriptorForType().getFields()) {
            String placeholder = new String(PLACEHOLDER, java.nio.charset.StandardCharsets.US_ASCII);
            if (field.getJavaType() == com.google.protobuf.Descriptors.FieldDescriptor.JavaType.STRING) {
                var b = prototype.newBuilderForType();
                if (field.isRepeated()) {
                    b.addRepeatedField(field, placeholder);
                } else {
                    b.setField(field, placeholder);
                }
                out.add(b.build());
            } else if (field.getJavaType() == com.google.protobuf.Descriptors.FieldDescriptor.JavaType.MESSAGE && depth > 0) {
                var nested = prototype.newBuilderForType().newBuilderForField(field).getDefaultInstanceForType();
                for (com.google.protobuf.Message inner : withPlaceholder(nested, field.isMapField() ? 0 : depth - 1)) {
                    var b = prototype.newBuilderForType();
                    if (field.isRepeated()) {
                        b.addRepeatedField(field, inner);
                    } else {
                        b.setField(field, inner);
                    }
                    out.add(b.build());
                }
            }
        }
        return out;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** A client stream of one raw message, half-closed; its answer or its status. */
    private Object rawStream(String method, byte[] message) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + ADMIN_KEY);
        var authorized = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
        java.util.concurrent.CompletableFuture<byte[]> answer = new java.util.concurrent.CompletableFuture<>();
        var upload = ClientCalls.asyncClientStreamingCall(authorized.newCall(RawBytes.clientStreaming(method),
                CallOptions.DEFAULT.withDeadlineAfter(20, java.util.concurrent.TimeUnit.SECONDS)), org.affectdml.service.testing.SingleAnswer.into(answer));
        upload.onNext(message);
        upload.onCompleted();
        try {
            return answer.get(40, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw (StatusRuntimeException) e.getCause();
        } catch (Exception e) {
            throw new AssertionError(method + ": no answer in 40 s", e);
        }
    }

    // --- paging -----------------------------------------------------------------------------------------

    private void pagingCases(List<Case> cases) {
        cases.add(new Case("page_size -1", () -> grpc(() -> admin.listTaxonomies(ListTaxonomiesRequest.newBuilder().setPageSize(-1).build())),
                "INVALID_ARGUMENT", "page_size"));
        cases.add(new Case("page_size 100000 is cut to the maximum", () -> grpc(() -> admin.listTaxonomies(ListTaxonomiesRequest.newBuilder()
                .setPageSize(100_000).build())), "OK", ""));
        cases.add(new Case("a made-up page token", () -> grpc(() -> admin.listSupports(ListSupportsRequest.newBuilder().setTaxonomy(TAXONOMY)
                .setPageToken("eyJvZmZzZXQiOjEwfQ").build())), "INVALID_ARGUMENT", "page_token"));
        cases.add(new Case("a 10000-character page token", () -> grpc(() -> admin.listTaxonomies(ListTaxonomiesRequest.newBuilder()
                .setPageToken(FILLER).build())), "INVALID_ARGUMENT", "page_token"));
    }

    // --- credentials ------------------------------------------------------------------------------------

    private void authCases(List<Case> cases, byte[] photo) {
        cases.add(new Case("no API key", () -> grpc(() -> ClassificationGrpc.newBlockingStub(channel).classify(classifyRequest(photo, "", box(1, 1, 9, 9)))),
                "UNAUTHENTICATED", "API key"));
        cases.add(new Case("a client key on the admin API", () -> grpc(() -> withKey(TaxonomyAdminGrpc.newBlockingStub(channel), CLIENT_KEY)
                .listTaxonomies(ListTaxonomiesRequest.getDefaultInstance())), "PERMISSION_DENIED", "admin"));
        cases.add(new Case("a 4000-character API key", () -> grpc(() -> withKey(ClassificationGrpc.newBlockingStub(channel), "k".repeat(4000))
                .classify(classifyRequest(photo, "", box(1, 1, 9, 9)))), "UNAUTHENTICATED", "API key"));
        cases.add(new Case("a 10 KB authorization header", () -> grpc(() -> withKey(ClassificationGrpc.newBlockingStub(channel), "k".repeat(10_000))
                .classify(classifyRequest(photo, "", box(1, 1, 9, 9)))), "UNAUTHENTICATED", "above the 4096"));
        cases.add(new Case("REST without a key", () -> rest("GET", "/api/v1/taxonomies", null, null), "401", "UNAUTHENTICATED"));
    }

    // --- sizes ------------------------------------------------------------------------------------------

    private void sizeCases(List<Case> cases, byte[] photo) {
        cases.add(new Case("a 70 MiB gRPC message", () -> grpc(() -> client.classify(classifyRequest(random(70 << 20, 2), "", box(1, 1, 9, 9)))),
                "RESOURCE_EXHAUSTED", "67108864"));
        cases.add(new Case("a 25 MiB image (above the 20 MiB image limit)", () -> grpc(() -> client.classify(classifyRequest(
                padded(photo, 25 << 20), "", box(1, 1, 9, 9)))), "INVALID_ARGUMENT", "above the limit of 20971520 bytes"));
    }

    // --- REST -------------------------------------------------------------------------------------------

    private void restCases(List<Case> cases, byte[] photo) {
        String b64 = Base64.getEncoder().encodeToString(photo);
        cases.add(new Case("REST: JSON that does not parse", () -> rest("POST", "/api/v1/taxonomies/corpus/classify", CLIENT_KEY, "{\"image\":"),
                "400", "INVALID_ARGUMENT"));
        cases.add(new Case("REST: an unknown JSON field", () -> rest("POST", "/api/v1/taxonomies/corpus/classify", CLIENT_KEY,
                "{\"image\":{\"data\":\"" + b64 + "\"},\"box\":{\"x1\":1,\"y1\":1,\"x2\":50,\"y2\":50},\"bogus\":1}"), "400", "bogus"));
        cases.add(new Case("REST: image data that is not base64", () -> rest("POST", "/api/v1/taxonomies/corpus/classify", CLIENT_KEY,
                "{\"image\":{\"data\":\"%%%\"},\"box\":{\"x1\":1,\"y1\":1,\"x2\":50,\"y2\":50}}"), "400", "INVALID_ARGUMENT"));
        cases.add(new Case("REST: an unknown path", () -> rest("GET", "/api/v1/nothing-here", ADMIN_KEY, null), "404", "NOT_FOUND"));
        cases.add(new Case("REST: a wrong method", () -> rest("PATCH", "/api/v1/taxonomies", ADMIN_KEY, "{}"), "405", "UNIMPLEMENTED"));
        cases.add(new Case("REST: page_size that is not a number", () -> rest("GET", "/api/v1/taxonomies?page_size=abc", ADMIN_KEY, null),
                "400", "page_size"));
        cases.add(new Case("REST: a 20000-character URI", () -> rest("GET", "/api/v1/taxonomies/" + "y".repeat(20_000), ADMIN_KEY, null),
                "414", "affect.registry.max-uri-length"));
        cases.add(new Case("REST: a body above the 64 MiB limit, announced as curl does", () -> rawHttp(
                "POST /api/v1/taxonomies/corpus/classify HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + CLIENT_KEY
                        + "\r\nContent-Type: application/json\r\nContent-Length: " + (70 << 20) + "\r\nExpect: 100-continue\r\n\r\n"),
                "413", "above the limit of 67108864 bytes"));
        cases.add(new Case("REST: invalid UTF-8 in the body", () -> restBytes("POST", "/api/v1/taxonomies", ADMIN_KEY,
                new byte[]{'{', '"', 'n', 'a', 'm', 'e', '"', ':', '"', (byte) 0xC3, 0x28, '"', '}'}), "400", "INVALID_ARGUMENT"));
        cases.add(new Case("REST: a taxonomy name with an encoded NUL", () -> rest("GET", "/api/v1/taxonomies/a%00b", ADMIN_KEY, null),
                "400", "taxonomy name"));
        cases.add(new Case("REST: an evaluation job id that is not a UUID", () -> rest("GET", "/api/v1/evaluations/" + "x".repeat(2000),
                ADMIN_KEY, null), "400", "not a UUID"));
        cases.add(new Case("REST: an evaluation upload with a NaN target rate", () -> restNdjson(
                "/api/v1/taxonomies/corpus/evaluations?target_false_accept_rate=NaN", ""), "400", "target_false_accept_rate"));
        cases.add(new Case("REST: an evaluation upload line that is not JSON", () -> restNdjson("/api/v1/taxonomies/corpus/evaluations",
                "{\"image\": \n"), "400", "INVALID_ARGUMENT"));
        cases.add(new Case("REST: an evaluation upload with a 10000-character class", () -> restNdjson("/api/v1/taxonomies/corpus/evaluations",
                "{\"image\":{\"data\":\"" + b64 + "\"},\"box\":{\"x1\":1,\"y1\":1,\"x2\":50,\"y2\":50},\"class_name\":\"" + FILLER
                        + "\"}\n"), "400", "class name"));
        cases.add(new Case("REST: an evaluation upload as application/json", () -> rest("POST", "/api/v1/taxonomies/corpus/evaluations",
                ADMIN_KEY, "{}"), "415", ""));
    }

    private Answer restNdjson(String path, String body) {
        return restBytes("POST", path, ADMIN_KEY, body.getBytes(java.nio.charset.StandardCharsets.UTF_8), "application/x-ndjson");
    }

    private void stillHealthy() throws Exception {
        assertEquals("200", rest("GET", "/q/health/ready", null, null).code());
        assertEquals(grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus.SERVING, grpc.health.v1.HealthGrpc
                .newBlockingStub(embeddingChannel).withDeadlineAfter(30, java.util.concurrent.TimeUnit.SECONDS)
                .check(grpc.health.v1.HealthOuterClass.HealthCheckRequest.getDefaultInstance()).getStatus());
        var names = admin.listTaxonomies(ListTaxonomiesRequest.newBuilder().setPageSize(500).build()).getTaxonomiesList().stream()
                .map(t -> t.getName()).toList();
        assertTrue(names.stream().noneMatch(n -> n.contains("long") || n.contains("nul") || n.contains("nl-")), names.toString());
        assertEquals(2, admin.listSupports(ListSupportsRequest.newBuilder().setTaxonomy(TAXONOMY).build()).getSamplesCount());
    }

    // --- calls ------------------------------------------------------------------------------------------

    private Case classify(String name, byte[] data, String mediaType, String code, String fragment) {
        return new Case(name, () -> grpc(() -> client.classify(classifyRequest(data, mediaType, box(20, 20, 200, 200)))), code, fragment);
    }

    private Case box(String name, byte[] photo, PersonBox box, String code, String fragment) {
        return new Case(name, () -> grpc(() -> client.classify(classifyRequest(photo, "", box))), code, fragment);
    }

    private static ClassifyRequest classifyRequest(byte[] data, String mediaType, PersonBox box) {
        ClassifyRequest.Builder r = ClassifyRequest.newBuilder().setTaxonomy(TAXONOMY).setImage(image(data, mediaType));
        return box == null ? r.build() : r.setBox(box).build();
    }

    private static Image image(byte[] data, String mediaType) {
        return Image.newBuilder().setData(ByteString.copyFrom(data)).setMediaType(mediaType).build();
    }

    private static PersonBox box(float x1, float y1, float x2, float y2) {
        return PersonBox.newBuilder().setX1(x1).setY1(y1).setX2(x2).setY2(y2).build();
    }

    /** OK with the answer's text, or the status's code and description. */
    private static Answer grpc(Supplier<Object> call) {
        try {
            Object answer = call.get();
            return new Answer("OK", answer instanceof String s ? s : "");
        } catch (StatusRuntimeException e) {
            return new Answer(e.getStatus().getCode().name(), e.getStatus().getDescription());
        }
    }

    /** A unary call with hand-made request bytes (what a buggy or hostile client in any language can send). */
    private Object rawCall(String method, String key, byte[] request) {
        return rawCall(channel, method, key, request);
    }

    private static Object rawCall(ManagedChannel channel, String method, String key, byte[] request) {
        MethodDescriptor<byte[], byte[]> descriptor = RawBytes.unary(method);
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + key);
        var authorized = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
        return ClientCalls.blockingUnaryCall(authorized, descriptor,
                CallOptions.DEFAULT.withDeadlineAfter(GrpcTestChannels.DEFAULT_DEADLINE_MINUTES, java.util.concurrent.TimeUnit.MINUTES), request);
    }

    /** Sends a raw HTTP/1.1 request head (no body) and reads one answer (its Content-Length body), 10 s at most. */
    private Answer rawHttp(String head) {
        try (java.net.Socket socket = new java.net.Socket(url.getHost(), url.getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(head.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            int end;
            while ((end = received.toString(java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("\r\n\r\n")) < 0) {
                int b = in.read();
                if (b < 0) {
                    return new Answer("no answer", received.toString());
                }
                received.write(b);
            }
            String headers = received.toString(java.nio.charset.StandardCharsets.ISO_8859_1).toLowerCase(java.util.Locale.ROOT);
            java.util.regex.Matcher length = Pattern.compile("content-length: *(\\d+)").matcher(headers);
            byte[] body = in.readNBytes(length.find() ? Integer.parseInt(length.group(1)) : 0);
            return new Answer(headers.substring(9, 12), new String(body, java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.io.IOException e) {
            return new Answer("connection failed", e.toString());
        }
    }

    private Answer rest(String method, String path, String key, String body) {
        return restBytes(method, path, key, body == null ? null : body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private Answer restBytes(String method, String path, String key, byte[] body) {
        return restBytes(method, path, key, body, "application/json");
    }

    private Answer restBytes(String method, String path, String key, byte[] body, String contentType) {
        try {
            HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url.toString() + path.substring(1))).header("Content-Type", contentType);
            if (key != null) {
                r.header("Authorization", "Bearer " + key);
            }
            r.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
            r.timeout(java.time.Duration.ofSeconds(60));
            HttpResponse<String> response = http.send(r.build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(Integer.toString(response.statusCode()), response.body());
        } catch (java.io.IOException e) {
            // The server may close the connection on a body it refuses before reading it all.
            return new Answer("connection closed", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // --- generated inputs -------------------------------------------------------------------------------

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new java.util.Random(seed).nextBytes(b);
        return b;
    }

    /** A valid JPEG followed by zero bytes up to {@code size} (decoders ignore data after the end marker). */
    private static byte[] padded(byte[] jpeg, int size) {
        return Arrays.copyOf(jpeg, size);
    }

    /** The JPEG with its frame header (SOF0) claiming another size. */
    private static byte[] jpegDeclaring(byte[] jpeg, int width, int height) {
        byte[] out = jpeg.clone();
        for (int i = 2; i + 9 < out.length; i++) {
            if ((out[i] & 0xFF) == 0xFF && (out[i + 1] & 0xFF) == 0xC0) {
                out[i + 5] = (byte) (height >> 8);
                out[i + 6] = (byte) height;
                out[i + 7] = (byte) (width >> 8);
                out[i + 8] = (byte) width;
                return out;
            }
        }
        throw new IllegalStateException("no SOF0 marker");
    }

    private static BufferedImage grey(int w, int h) {
        BufferedImage g = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        g.getGraphics().drawImage(SyntheticPhotos.photo(w, h, 7), 0, 0, null);
        return g;
    }

    private static byte[] jpegOf(BufferedImage image) {
        return SyntheticPhotos.jpeg(image, 0.9f);
    }

    private static byte[] sixteenBitPng(int w, int h) {
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_USHORT_GRAY);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                image.getRaster().setSample(x, y, 0, (x * 257 + y * 97) & 0xFFFF);
            }
        }
        return TestImages.png(image);
    }

    private static BufferedImage withAlpha(BufferedImage rgb) {
        BufferedImage argb = new BufferedImage(rgb.getWidth(), rgb.getHeight(), BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < rgb.getHeight(); y++) {
            for (int x = 0; x < rgb.getWidth(); x++) {
                argb.setRGB(x, y, (x % 256) << 24 | rgb.getRGB(x, y) & 0xFFFFFF);
            }
        }
        return argb;
    }
}
