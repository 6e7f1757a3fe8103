package org.affectdml.embedding;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.affectdml.inference.image.SyntheticPhotos;
import org.affectdml.inference.testing.TestImages;
import org.affectdml.inference.testing.TinyModelStoreResource;
import org.affectdml.proto.v1.EmbedPersonsRequest;
import org.affectdml.proto.v1.EmbedPersonsResponse;
import org.affectdml.proto.v1.EmbeddingServiceGrpc;
import org.affectdml.proto.v1.Image;
import org.affectdml.proto.v1.PersonBox;
import org.affectdml.proto.v1.PersonEmbedding;
import org.affectdml.service.testing.GrpcTestChannels;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.net.URL;
import java.util.List;

import static org.affectdml.embedding.EmbeddingTestSupport.cosine;
import static org.affectdml.embedding.EmbeddingTestSupport.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** EmbedPersons and large photos over real gRPC, tiny bundle, Sem2Vec in-process, photos generated here. */
@QuarkusTest
@QuarkusTestResource(TinyModelStoreResource.class)
class EmbedPersonsTest {

    @TestHTTPResource("/")
    URL url;

    private ManagedChannel channel;
    private EmbeddingServiceGrpc.EmbeddingServiceBlockingStub client;

    @BeforeEach
    void connect() {
        channel = GrpcTestChannels.to(url);
        client = EmbeddingServiceGrpc.newBlockingStub(channel);
    }

    @AfterEach
    void disconnect() {
        channel.shutdownNow();
    }

    private static PersonBox box(float x1, float y1, float x2, float y2) {
        return PersonBox.newBuilder().setX1(x1).setY1(y1).setX2(x2).setY2(y2).build();
    }

    private static EmbedPersonsRequest persons(byte[] jpeg, List<PersonBox> boxes) {
        return EmbedPersonsRequest.newBuilder()
                .setImage(Image.newBuilder().setData(ByteString.copyFrom(jpeg)).setMediaType("image/jpeg"))
                .addAllBoxes(boxes).build();
    }

    @Test
    void everyPersonIsAnsweredInBoxOrderAsItsOwnEmbedWouldBeAndABadBoxOnlyFailsItself() {
        byte[] jpeg = SyntheticPhotos.jpeg(SyntheticPhotos.photo(640, 425, 11), 0.9f);
        List<PersonBox> boxes = List.of(box(10, 20, 200, 400), box(300, 50, 420, 300), box(700, 10, 800, 100),
                box(450, 100, 630, 420), box(50, 50, 50, 90), box(600, 380, 639, 424));
        EmbedPersonsResponse response = client.embedPersons(persons(jpeg, boxes));
        assertEquals(boxes.size(), response.getPersonsCount());
        assertFalse(response.getSceneCached());
        assertEquals(6, response.getSem2VecCount());
        assertTrue(response.getPersons(2).hasError());
        assertEquals("INVALID_ARGUMENT", response.getPersons(2).getError().getCode());
        assertTrue(response.getPersons(2).getError().getMessage().startsWith("box 2: ")
                && response.getPersons(2).getError().getMessage().contains("outside the 640x425 image"), response.getPersons(2).getError().getMessage());
        assertTrue(response.getPersons(4).getError().getMessage().contains("box 4: ")
                && response.getPersons(4).getError().getMessage().contains("zero or negative area"));
        for (int i : new int[]{0, 1, 3, 5}) {
            PersonEmbedding person = response.getPersons(i);
            assertTrue(person.hasEmbedding(), "box " + i);
            assertEquals(response.getModelVersion(), person.getEmbedding().getModelVersion());
            PersonBox b = boxes.get(i);
            var alone = client.embed(request(jpeg, "image/jpeg", b.getX1(), b.getY1(), b.getX2(), b.getY2()));
            assertTrue(alone.getSceneCached(), "EmbedPersons filled the scene cache");
            double c = cosine(alone.getEmbedding().getValuesList(), person.getEmbedding().getValuesList());
            assertTrue(c > 0.9999, "box " + i + ": EmbedPersons and Embed agree, cosine " + c);
        }
        // Different persons of one scene do not collapse into one embedding.
        assertTrue(cosine(response.getPersons(0).getEmbedding().getValuesList(), response.getPersons(3).getEmbedding().getValuesList()) < 0.9999);
    }

    @Test
    void aGroupOfSeveralEncoderSlicesIsAnsweredAsSingleEmbedsWouldBe() {
        // More persons than FusedEmbedder.MAX_CROPS_PER_RUN: the crops reach the encoder in slices, in order.
        byte[] jpeg = SyntheticPhotos.jpeg(SyntheticPhotos.photo(640, 425, 12), 0.9f);
        List<PersonBox> boxes = new java.util.ArrayList<>();
        for (int i = 0; i < 2 * org.affectdml.inference.embedding.FusedEmbedder.MAX_CROPS_PER_RUN + 3; i++) {
            boxes.add(box(5 + 30 * i, 10 + 7 * i, 60 + 30 * i, 200 + 9 * i));
        }
        EmbedPersonsResponse response = client.embedPersons(persons(jpeg, boxes));
        assertEquals(boxes.size(), response.getPersonsCount());
        for (int i = 0; i < boxes.size(); i++) {
            PersonBox b = boxes.get(i);
            var alone = client.embed(request(jpeg, "image/jpeg", b.getX1(), b.getY1(), b.getX2(), b.getY2()));
            double c = cosine(alone.getEmbedding().getValuesList(), response.getPersons(i).getEmbedding().getValuesList());
            assertTrue(c > 0.9999, "box " + i + ": EmbedPersons and Embed agree, cosine " + c);
        }
    }

    @Test
    void theBoxCountIsBoundedAndNamed() {
        byte[] jpeg = SyntheticPhotos.jpeg(SyntheticPhotos.photo(64, 48, 3), 0.9f);
        StatusRuntimeException none = assertThrows(StatusRuntimeException.class, () -> client.embedPersons(persons(jpeg, List.of())));
        assertEquals(Status.Code.INVALID_ARGUMENT, none.getStatus().getCode());
        List<PersonBox> many = java.util.Collections.nCopies(65, box(1, 1, 30, 40));
        StatusRuntimeException tooMany = assertThrows(StatusRuntimeException.class, () -> client.embedPersons(persons(jpeg, many)));
        assertEquals(Status.Code.INVALID_ARGUMENT, tooMany.getStatus().getCode());
        assertTrue(tooMany.getStatus().getDescription().contains("65 boxes, above the limit of 64 (affect.embedding.max-persons)"));
        EmbedPersonsResponse allBad = client.embedPersons(persons(jpeg, List.of(box(100, 100, 200, 200), box(Float.NaN, 0, 5, 5))));
        assertTrue(allBad.getPersons(0).hasError() && allBad.getPersons(1).hasError());
        assertTrue(allBad.getPersons(1).getError().getMessage().contains("not a finite number"));
    }

    @Test
    void aRotatedTwelveMegapixelPhotoEmbedsLikeItsQuarterSizeCopy() {
        // Stored 4032x3024 with EXIF orientation 6: displayed 3024 wide, 4032 high; boxes are in displayed pixels.
        BufferedImage stored = SyntheticPhotos.photo(4032, 3024, 5);
        byte[] big = TestImages.withExifOrientation(SyntheticPhotos.jpeg(stored, 0.9f), 6);
        BufferedImage displayedQuarter = rotateClockwise(scaled(stored, 1008, 756));
        byte[] small = SyntheticPhotos.jpeg(displayedQuarter, 0.95f);
        PersonBox large = box(400, 800, 2000, 3600);
        PersonBox tiny = box(2000, 400, 2120, 640);
        EmbedPersonsResponse full = client.embedPersons(persons(big, List.of(large, tiny)));
        EmbedPersonsResponse quarter = client.embedPersons(persons(small, List.of(box(100, 200, 500, 900), box(500, 100, 530, 160))));
        for (int i = 0; i < 2; i++) {
            double c = cosine(full.getPersons(i).getEmbedding().getValuesList(), quarter.getPersons(i).getEmbedding().getValuesList());
            assertTrue(c > 0.95, "person " + i + ": 12 Mpx and quarter-size copy agree, cosine " + c);
        }
        StatusRuntimeException outside = assertThrows(StatusRuntimeException.class,
                () -> client.embed(request(big, "image/jpeg", 3100, 10, 3200, 100)));
        assertTrue(outside.getStatus().getDescription().contains("outside the 3024x4032 image"), outside.getStatus().getDescription());
    }

    private static BufferedImage scaled(BufferedImage src, int w, int h) {
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
        g.drawImage(src.getScaledInstance(w, h, java.awt.Image.SCALE_AREA_AVERAGING), 0, 0, null);
        g.dispose();
        return out;
    }

    private static BufferedImage rotateClockwise(BufferedImage src) {
        BufferedImage out = new BufferedImage(src.getHeight(), src.getWidth(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < src.getHeight(); y++) {
            for (int x = 0; x < src.getWidth(); x++) {
                out.setRGB(src.getHeight() - 1 - y, x, src.getRGB(x, y));
            }
        }
        return out;
    }
}
