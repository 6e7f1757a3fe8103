package org.affectdml.embedding;

import com.google.protobuf.ByteString;
import org.affectdml.proto.v1.EmbedRequest;
import org.affectdml.proto.v1.Image;
import org.affectdml.proto.v1.PersonBox;

import java.util.List;

final class EmbeddingTestSupport {

    private EmbeddingTestSupport() {
    }

    static EmbedRequest request(byte[] image, String mediaType, float x1, float y1, float x2, float y2) {
        return EmbedRequest.newBuilder()
                .setImage(Image.newBuilder().setData(ByteString.copyFrom(image)).setMediaType(mediaType))
                .setBox(PersonBox.newBuilder().setX1(x1).setY1(y1).setX2(x2).setY2(y2))
                .build();
    }

    static double cosine(List<Float> a, List<Float> b) {
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

    static double norm(List<Float> v) {
        return Math.sqrt(v.stream().mapToDouble(x -> x * x).sum());
    }
}
