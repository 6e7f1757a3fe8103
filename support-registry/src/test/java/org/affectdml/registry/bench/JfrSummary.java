package org.affectdml.registry.bench;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Java Flight Recorder profile in a few lines: the methods most often on top of the sampled stacks, and where the
 * sampled stacks are by library.
 */
final class JfrSummary {

    /** Libraries by the package prefix of their classes, in the order printed. */
    private static final Map<String, String> LIBRARIES = new LinkedHashMap<>();

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

    private JfrSummary() {
    }

    /**
     * Reads the recording once: the {@code limit} methods most often executing when sampled, with their share of all
     * execution samples; then the share of samples per library (inclusive: a sample counts for every library on its stack).
     */
    static List<String> of(Path recording, int limit) throws IOException {
        Map<String, Integer> top = new HashMap<>();
        Map<String, Integer> libraries = new HashMap<>();
        int samples = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(recording)) {
            if (!e.getEventType().getName().equals("jdk.ExecutionSample") || e.getStackTrace() == null
                    || e.getStackTrace().getFrames().isEmpty()) {
                continue;
            }
            samples++;
            List<RecordedFrame> frames = e.getStackTrace().getFrames();
            top.merge(frames.get(0).getMethod().getType().getName() + "." + frames.get(0).getMethod().getName(), 1, Integer::sum);
            Set<String> seen = new HashSet<>();
            for (RecordedFrame f : frames) {
                String type = f.getMethod().getType().getName();
                LIBRARIES.forEach((prefix, name) -> {
                    if (type.startsWith(prefix)) {
                        seen.add(name);
                    }
                });
            }
            seen.forEach(name -> libraries.merge(name, 1, Integer::sum));
        }
        List<String> out = new ArrayList<>();
        out.add(samples + " execution samples (Java code only; native ONNX Runtime and waiting are not sampled)");
        List<Map.Entry<String, Integer>> sorted = new ArrayList<>(top.entrySet());
        sorted.sort(Map.Entry.<String, Integer>comparingByValue().reversed());
        for (Map.Entry<String, Integer> e : sorted.subList(0, Math.min(limit, sorted.size()))) {
            out.add(share(e.getValue(), samples) + e.getKey());
        }
        out.add("by library (a sample counts for each library on its stack):");
        for (String name : LIBRARIES.values()) {
            if (libraries.containsKey(name)) {
                out.add(share(libraries.get(name), samples) + name);
            }
        }
        return out;
    }

    private static String share(int count, int samples) {
        return String.format("%5.1f %%  ", 100.0 * count / samples);
    }
}
