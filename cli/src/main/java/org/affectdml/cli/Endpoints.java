package org.affectdml.cli;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Options and helpers every client command shares. */
final class Endpoints {

    private Endpoints() {
    }

    static ManagedChannel channel(String target) {
        int colon = target.lastIndexOf(':');
        if (colon <= 0) {
            throw new CommandLine.ParameterException(new CommandLine(new AffectCommand()), "target must be host:port, got " + target);
        }
        return ManagedChannelBuilder.forAddress(target.substring(0, colon), Integer.parseInt(target.substring(colon + 1)))
                .usePlaintext().maxInboundMessageSize(64 * 1024 * 1024).build();
    }

    /** The stub sending "authorization: Bearer KEY" (unchanged when no key is given). */
    static <S extends io.grpc.stub.AbstractStub<S>> S withKey(S stub, String key) {
        if (key == null || key.isBlank()) {
            return stub;
        }
        io.grpc.Metadata headers = new io.grpc.Metadata();
        headers.put(io.grpc.Metadata.Key.of("authorization", io.grpc.Metadata.ASCII_STRING_MARSHALLER), "Bearer " + key);
        return stub.withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    /** "x1,y1,x2,y2" in pixels. */
    static float[] parseBox(String box) {
        String[] parts = box.split(",");
        if (parts.length != 4) {
            throw new IllegalArgumentException("--box must be x1,y1,x2,y2 in pixels, got " + box);
        }
        float[] b = new float[4];
        for (int i = 0; i < 4; i++) {
            b[i] = Float.parseFloat(parts[i].trim());
        }
        return b;
    }

    /** The proto box of {@link #parseBox}'s values. */
    static org.affectdml.proto.v1.PersonBox personBox(float[] b) {
        return org.affectdml.proto.v1.PersonBox.newBuilder().setX1(b[0]).setY1(b[1]).setX2(b[2]).setY2(b[3]).build();
    }

    static byte[] read(Path image) throws IOException {
        if (!Files.isRegularFile(image)) {
            throw new IllegalArgumentException("no such image file: " + image);
        }
        return Files.readAllBytes(image);
    }

    /** Every page of a paged List call, one line per item; {@code none} when there is no item. */
    static <P> String allPages(java.util.function.Function<String, P> fetch, java.util.function.Function<P, java.util.List<String>> lines,
                               java.util.function.Function<P, String> nextPageToken, String none) {
        StringBuilder out = new StringBuilder();
        String token = "";
        do {
            P page = fetch.apply(token);
            lines.apply(page).forEach(line -> out.append(line).append('\n'));
            token = nextPageToken.apply(page);
        } while (!token.isEmpty());
        return out.length() == 0 ? none : out.toString().stripTrailing();
    }

    /** One line for a failed call: status and the server's message. */
    static int fail(StatusRuntimeException e) {
        System.err.println("error: " + e.getStatus().getCode() + ": " + e.getStatus().getDescription());
        return 1;
    }
}
