package org.affectdml.segmentation;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.affectdml.inference.bundle.ModelStore;
import org.affectdml.inference.bundle.Sha256;
import org.affectdml.inference.image.RgbImage;
import org.affectdml.service.testing.GrpcTestChannels;
import org.affectdml.service.testing.PrometheusScrape;
import org.affectdml.inference.testing.TestImages;
import org.affectdml.inference.testing.TinyModelStoreResource;
import org.affectdml.inference.testing.TinyModels;
import org.affectdml.proto.v1.Image;
import org.affectdml.proto.v1.SegmentRequest;
import org.affectdml.proto.v1.SegmentResponse;
import org.affectdml.proto.v1.SegmentationGrpc;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.awt.Color;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@QuarkusTestResource(TinyModelStoreResource.class)
class SegmentationGrpcServiceTest {

    @TestHTTPResource("/")
    URL url;

    @ConfigProperty(name = "test.affect.bundle-version")
    String bundleVersion;

    private ManagedChannel channel;
    private SegmentationGrpc.SegmentationBlockingStub client;

    @BeforeEach
    void connect() {
        channel = GrpcTestChannels.to(url);
        client = SegmentationGrpc.newBlockingStub(channel);
    }

    @AfterEach
    void disconnect() {
        channel.shutdownNow();
    }

    @Test
    void genericGrpcToolsDiscoverTheServiceAndItsHealth() throws Exception {
        var services = org.affectdml.service.testing.GrpcReflection.listServices(channel);
        assertTrue(services.containsAll(java.util.List.of("affect.v1.Segmentation", "grpc.health.v1.Health")), services.toString());
        var health = grpc.health.v1.HealthGrpc.newBlockingStub(channel);
        assertEquals(grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus.SERVING,
                health.check(grpc.health.v1.HealthOuterClass.HealthCheckRequest.getDefaultInstance()).getStatus());
        assertEquals(grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus.SERVING, health.check(
                grpc.health.v1.HealthOuterClass.HealthCheckRequest.newBuilder().setService("affect.v1.Segmentation").build()).getStatus());
        // The health protocol: an unknown service is NOT_FOUND, not a successful UNKNOWN.
        StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class, () -> health.check(
                grpc.health.v1.HealthOuterClass.HealthCheckRequest.newBuilder().setService("no.such.Service").build()));
        assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
        assertTrue(unknown.getStatus().getDescription().contains("unknown service 'no.such.Service'"), unknown.getStatus().getDescription());
    }

    private static SegmentRequest encoded(byte[] bytes, String mediaType) {
        return SegmentRequest.newBuilder().setImage(Image.newBuilder().setData(ByteString.copyFrom(bytes)).setMediaType(mediaType)).build();
    }

    private void assertInvalid(SegmentRequest request, String fragment) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> client.segment(request));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription().contains(fragment), e.getStatus().getDescription());
    }

    @Test
    void redSceneWithABlueBlockHasExactlyThoseClasses() throws Exception {
        byte[] png = TestImages.png(TestImages.scene(64, 64, Color.RED, Color.BLUE, 32, 0, 64, 64));
        SegmentResponse r = client.segment(SegmentRequest.newBuilder(encoded(png, "image/png")).setIncludeLabelMap(true).build());
        assertEquals(TinyModels.SEGMENTER_CLASSES, r.getClassNamesList());
        assertEquals(1f, r.getSem2Vec(0));  // red
        assertEquals(1f, r.getSem2Vec(2));  // blue
        assertEquals(0f, r.getSem2Vec(1));  // green
        assertEquals(1f, r.getPixelFractionsList().stream().mapToDouble(Float::doubleValue).sum(), 1e-5);
        assertEquals(8, r.getLabelMap().getWidth());
        assertEquals(64, r.getLabelMap().getClassIndices().size());
        assertEquals(0, r.getLabelMap().getClassIndices().byteAt(0));   // left column red
        assertEquals(2, r.getLabelMap().getClassIndices().byteAt(7));   // right column blue
        assertEquals(bundleVersion, r.getModelVersion());
        Path segmenter = new ModelStore(Path.of(System.getProperty(TinyModelStoreResource.STORE_PROPERTY)))
                .bundleDirectory(bundleVersion).resolve("segmenter.onnx");
        assertEquals(Sha256.of(segmenter), r.getSegmenterSha256(), "the digest of the segmenter that answered");
    }

    @Test
    void decodedPixelsGiveTheSameAnswerAsTheEncodedImage() {
        var scene = TestImages.scene(40, 30, Color.GREEN, Color.RED, 5, 5, 20, 28);
        SegmentResponse fromPng = client.segment(encoded(TestImages.png(scene), ""));
        int[] px = scene.getRGB(0, 0, 40, 30, null, 0, 40);
        for (int i = 0; i < px.length; i++) {
            px[i] &= 0xFFFFFF;
        }
        byte[] rgb = new RgbImage(40, 30, px).toRgbBytes();
        SegmentResponse fromRaw = client.segment(SegmentRequest.newBuilder().setRgb(
                org.affectdml.proto.v1.RgbImage.newBuilder().setWidth(40).setHeight(30).setData(ByteString.copyFrom(rgb))).build());
        assertEquals(fromPng.getSem2VecList(), fromRaw.getSem2VecList());
        assertEquals(fromPng.getPixelFractionsList(), fromRaw.getPixelFractionsList());
    }

    @Test
    void minimumPixelFractionDropsSmallRegions() {
        byte[] png = TestImages.png(TestImages.scene(64, 64, Color.RED, Color.BLUE, 56, 0, 64, 64));  // blue: 1/8 of columns
        SegmentResponse all = client.segment(encoded(png, "image/png"));
        SegmentResponse filtered = client.segment(SegmentRequest.newBuilder(encoded(png, "image/png")).setMinPixelFraction(0.2f).build());
        assertEquals(1f, all.getSem2Vec(2));
        assertEquals(0f, filtered.getSem2Vec(2));
        assertEquals(1f, filtered.getSem2Vec(0));
    }

    @Test
    void badInputsAreInvalidArgumentAndTheServiceKeepsServing() {
        assertInvalid(encoded(new byte[0], "image/png"), "empty");
        assertInvalid(encoded("hello".getBytes(), ""), "not a JPEG or PNG");
        assertInvalid(encoded(TestImages.pngDeclaring(50_000, 50_000), "image/png"), "above the limit of 40000000 pixels");
        byte[] jpeg = TestImages.jpeg(TestImages.scene(200, 100, Color.RED, Color.BLUE, 10, 10, 90, 90));
        assertInvalid(encoded(java.util.Arrays.copyOf(jpeg, jpeg.length / 2), "image/jpeg"), "truncated");
        assertInvalid(encoded(jpeg, "image/webp"), "unsupported media type 'image/webp'");
        assertInvalid(SegmentRequest.getDefaultInstance(), "request has no image");
        assertInvalid(SegmentRequest.newBuilder(encoded(jpeg, "")).setMinPixelFraction(1.5f).build(), "min_pixel_fraction");
        assertInvalid(SegmentRequest.newBuilder().setRgb(org.affectdml.proto.v1.RgbImage.newBuilder().setWidth(2).setHeight(2)
                .setData(ByteString.copyFrom(new byte[5]))).build(), "needs 12 bytes");
        assertEquals(6, client.segment(encoded(jpeg, "image/jpeg")).getSem2VecCount());
    }

    @Test
    void readinessNamesTheServingBundle() throws Exception {
        HttpResponse<String> ready = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(url.toString()).resolve("/q/health/ready")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ready.statusCode(), ready.body());
        assertTrue(ready.body().contains(bundleVersion), ready.body());
        assertTrue(ready.body().contains("\"status\":\"UP\"") || ready.body().contains("\"status\": \"UP\""), ready.body());
    }

    @Test
    void metricsShowPerRpcLatencyHistogramsTheInferenceLoadAndTheServingBundle() throws Exception {
        String[] segmentOk = {"method", "Segment", "statusCode", "OK", "le", "+Inf"};
        double before = PrometheusScrape.of(url.toString()).value("grpc_server_processing_duration_seconds_bucket", segmentOk).orElse(0);
        client.segment(encoded(TestImages.png(TestImages.scene(32, 32, Color.RED, Color.BLUE, 0, 0, 8, 8)), "image/png"));
        PrometheusScrape m = PrometheusScrape.of(url.toString());

        assertEquals(before + 1, m.value("grpc_server_processing_duration_seconds_bucket", segmentOk).orElseThrow(), m.text());
        assertTrue(m.value("grpc_server_processing_duration_seconds_bucket", "method", "Segment", "le", "0.1").isPresent(),
                "fixed latency buckets: " + m.text());
        assertEquals(0, m.value("affect_inference_in_flight").orElseThrow());
        assertEquals(8, m.value("affect_inference_slots").orElseThrow());
        assertTrue(m.value("affect_inference_queue_wait_seconds_count").orElseThrow() >= 1);
        assertEquals(1, m.value("affect_model_bundle", "slot", "serving", "version", bundleVersion).orElseThrow(), m.text());
        assertEquals(0, m.value("affect_model_bundle_rejected").orElseThrow());
    }
}
