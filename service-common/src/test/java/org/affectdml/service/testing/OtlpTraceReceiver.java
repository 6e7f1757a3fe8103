package org.affectdml.service.testing;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Predicate;
import java.util.zip.GZIPInputStream;

/**
 * A minimal OpenTelemetry collector for tests: accepts OTLP/HTTP protobuf trace exports on a free port and
 * keeps the spans. It reads the few fields it needs straight off the wire (opentelemetry-proto field
 * numbers), so the test depends on the protocol, not on an SDK.
 */
public final class OtlpTraceReceiver implements AutoCloseable {

    /** One received span: ids as lower-case hex, {@code parentSpanId} empty for a root; kind 2 server, 3 client. */
    public record Span(String service, String traceId, String spanId, String parentSpanId, String name, int kind) {
    }

    private final HttpServer server;
    private final ConcurrentLinkedQueue<Span> spans = new ConcurrentLinkedQueue<>();

    public OtlpTraceReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            try (InputStream body = "gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))
                    ? new GZIPInputStream(exchange.getRequestBody()) : exchange.getRequestBody()) {
                readExportRequest(body.readAllBytes());
                exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
                exchange.sendResponseHeaders(200, 0);
            } catch (RuntimeException | IOException e) {
                exchange.sendResponseHeaders(400, -1);
            } finally {
                exchange.close();
            }
        });
        server.start();
    }

    /** The endpoint to configure as the services' OTLP traces endpoint. */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Waits until a span matching {@code wanted} has arrived (exports are batched), then returns it. */
    public Span await(Predicate<Span> wanted, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (Span s : spans) {
                if (wanted.test(s)) {
                    return s;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no matching span within " + timeout + " among " + spans.size() + " received, first: "
                + spans.stream().limit(12).toList());
    }

    public List<Span> spans() {
        return List.copyOf(spans);
    }

    @Override
    public void close() {
        server.stop(0);
    }

    // ExportTraceServiceRequest{1: ResourceSpans}; ResourceSpans{1: Resource, 2: ScopeSpans};
    // Resource{1: KeyValue}; KeyValue{1: key, 2: AnyValue{1: string}}; ScopeSpans{2: Span};
    // Span{1: trace_id, 2: span_id, 4: parent_span_id, 5: name, 6: kind}.
    private void readExportRequest(byte[] bytes) throws IOException {
        for (ByteString resourceSpans : fields(bytes, 1)) {
            String service = "";
            List<ByteString> scopeSpans = new ArrayList<>();
            CodedInputStream in = resourceSpans.newCodedInput();
            for (int tag; (tag = in.readTag()) != 0; ) {
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case 1 -> service = serviceName(in.readBytes());
                    case 2 -> scopeSpans.add(in.readBytes());
                    default -> in.skipField(tag);
                }
            }
            for (ByteString scope : scopeSpans) {
                for (ByteString span : fields(scope.toByteArray(), 2)) {
                    spans.add(span(service, span));
                }
            }
        }
    }

    private static String serviceName(ByteString resource) throws IOException {
        for (ByteString kv : fields(resource.toByteArray(), 1)) {
            Map<Integer, ByteString> f = scalarFields(kv);
            if (f.containsKey(1) && f.get(1).toStringUtf8().equals("service.name") && f.containsKey(2)) {
                return scalarFields(f.get(2)).getOrDefault(1, ByteString.EMPTY).toStringUtf8();
            }
        }
        return "";
    }

    private static Span span(String service, ByteString bytes) throws IOException {
        String traceId = "", spanId = "", parent = "", name = "";
        int kind = 0;
        CodedInputStream in = bytes.newCodedInput();
        HexFormat hex = HexFormat.of();
        for (int tag; (tag = in.readTag()) != 0; ) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> traceId = hex.formatHex(in.readByteArray());
                case 2 -> spanId = hex.formatHex(in.readByteArray());
                case 4 -> parent = hex.formatHex(in.readByteArray());
                case 5 -> name = in.readString();
                case 6 -> kind = in.readEnum();
                default -> in.skipField(tag);
            }
        }
        return new Span(service, traceId, spanId, parent, name, kind);
    }

    /** Every occurrence of length-delimited field {@code number} in a message. */
    private static List<ByteString> fields(byte[] message, int number) throws IOException {
        List<ByteString> out = new ArrayList<>();
        CodedInputStream in = CodedInputStream.newInstance(message);
        for (int tag; (tag = in.readTag()) != 0; ) {
            if (WireFormat.getTagFieldNumber(tag) == number && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                out.add(in.readBytes());
            } else {
                in.skipField(tag);
            }
        }
        return out;
    }

    /** The last value of each length-delimited field of a small message. */
    private static Map<Integer, ByteString> scalarFields(ByteString message) throws IOException {
        Map<Integer, ByteString> out = new java.util.HashMap<>();
        CodedInputStream in = message.newCodedInput();
        for (int tag; (tag = in.readTag()) != 0; ) {
            if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                out.put(WireFormat.getTagFieldNumber(tag), in.readBytes());
            } else {
                in.skipField(tag);
            }
        }
        return out;
    }
}
