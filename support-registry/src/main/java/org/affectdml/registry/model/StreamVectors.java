package org.affectdml.registry.model;

import org.affectdml.proto.v1.StreamProjections;
import org.affectdml.proto.v1.Stream;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * One embedding's stream projections (see StreamProjections in common.proto), by stream; a stream the head does
 * not use or does not output has none. Stored with each support embedding so explanations can compare a query
 * with its deciding support stream by stream.
 */
public record StreamVectors(Map<Stream, float[]> byStream) {

    public static final StreamVectors NONE = new StreamVectors(Map.of());

    /** The streams in the order they are stored (columns image, body, scene). */
    public static final List<Stream> STREAMS = List.of(Stream.STREAM_IMAGE, Stream.STREAM_BODY, Stream.STREAM_SCENE);

    public StreamVectors {
        byStream = Map.copyOf(byStream);
    }

    public static StreamVectors of(StreamProjections p) {
        Map<Stream, float[]> out = new EnumMap<>(Stream.class);
        put(out, Stream.STREAM_IMAGE, p.getImageList());
        put(out, Stream.STREAM_BODY, p.getBodyList());
        put(out, Stream.STREAM_SCENE, p.getSceneList());
        return new StreamVectors(out);
    }

    private static void put(Map<Stream, float[]> out, Stream stream, List<Float> values) {
        if (!values.isEmpty()) {
            float[] v = new float[values.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = values.get(i);
            }
            out.put(stream, v);
        }
    }

    /** The projection of a stream, or an empty array when there is none (stored as such: "computed, none"). */
    public float[] of(Stream stream) {
        return byStream.getOrDefault(stream, new float[0]);
    }

    /**
     * Cosine similarity of each stream both have, most similar first (ties in stream order). A zero vector has
     * similarity 0 to anything.
     */
    public List<Map.Entry<Stream, Float>> similarities(StreamVectors other) {
        List<Map.Entry<Stream, Float>> out = new ArrayList<>();
        for (Stream s : STREAMS) {
            float[] a = byStream.get(s);
            float[] b = other.byStream.get(s);
            if (a != null && b != null && a.length == b.length) {
                out.add(Map.entry(s, (float) cosine(a, b)));
            }
        }
        out.sort((x, y) -> Float.compare(y.getValue(), x.getValue()));
        return out;
    }

    /** Cosine similarity in double precision; 0 when either vector is zero. */
    public static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
    }
}
