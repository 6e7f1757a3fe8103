package org.affectdml.registry.bench;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A Java Flight Recorder profile in a few lines: the methods most often on top of the sampled stacks. */
final class JfrSummary {

    private JfrSummary() {
    }

    /** Where the sampled stacks are, by library: the share of samples with at least one frame of it (they overlap). */
    private static final Map<String, String> LIBRARIES = new java.util.LinkedHashMap<>();

    static {
        LIBRARIES.put("org.affectdml.", "our code");
        LIBRARIES.put("org.hibernate.", "Hibernate ORM");
        LIBRARIES.put("org.postgresql.", "PostgreSQL JDBC driver");
        LIBRARIES.put("io.agroal.", "Agroal pool");
        LIBRARIES.put("io.grpc.", "grpc-java");
        LIBRARIES.put("io.vertx.", "Vert.x");
        LIBRARIES.put("io.netty.", "Netty");
        LIBRARIES.put("com.google.protobuf.", "protobuf");
        LIBRARIES.put("io.micrometer.", "Micrometer");
        LIBRARIES.put("io.opentelemetry.", "OpenTelemetry");
        LIBRARIES.put("ai.onnxruntime.", "ONNX Runtime (Java side)");
        LIBRARIES.put("javax.imageio.", "ImageIO");
        LIBRARIES.put("sun.security.", "JDK security (hashing)");
    }

    /** The share of samples per library (inclusive: a sample counts for every library on its stack). */
    static List<String> libraries(Path recording) throws IOException {
        Map<String, Integer> counts = new java.util.LinkedHashMap<>();
        int samples = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(recording)) {
            if (!e.getEventType().getName().equals("jdk.ExecutionSample") || e.getStackTrace() == null) {
                continue;
            }
            samples++;
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (RecordedFrame f : e.getStackTrace().getFrames()) {
                String type = f.getMethod().getType().getName();
                LIBRARIES.forEach((prefix, name) -> {
                    if (type.startsWith(prefix)) {
                        seen.add(name);
                    }
                });
            }
            seen.forEach(name -> counts.merge(name, 1, Integer::sum));
        }
        List<String> out = new ArrayList<>();
        int total = samples;
        LIBRARIES.values().forEach(name -> {
            if (counts.containsKey(name)) {
                out.add(String.format("%5.1f %%  %s", 100.0 * counts.get(name) / total, name));
            }
        });
        return out;
    }

    /** The {@code limit} methods most often executing when sampled, with their share of all execution samples. */
    static List<String> hottestFrames(Path recording, int limit) throws IOException {
        Map<String, Integer> top = new HashMap<>();
        int samples = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(recording)) {
            if (!e.getEventType().getName().equals("jdk.ExecutionSample") || e.getStackTrace() == null
                    || e.getStackTrace().getFrames().isEmpty()) {
                continue;
            }
            RecordedFrame frame = e.getStackTrace().getFrames().get(0);
            top.merge(frame.getMethod().getType().getName() + "." + frame.getMethod().getName(), 1, Integer::sum);
            samples++;
        }
        List<Map.Entry<String, Integer>> sorted = new ArrayList<>(top.entrySet());
        sorted.sort(Map.Entry.<String, Integer>comparingByValue().reversed());
        List<String> out = new ArrayList<>();
        out.add(samples + " execution samples (Java code only; native ONNX Runtime and waiting are not sampled)");
        for (Map.Entry<String, Integer> e : sorted.subList(0, Math.min(limit, sorted.size()))) {
            out.add(String.format("%5.1f %%  %s", 100.0 * e.getValue() / samples, e.getKey()));
        }
        return out;
    }
}
