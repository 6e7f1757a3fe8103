package org.affectdml.cli;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import org.affectdml.proto.v1.EmbedRequest;
import org.affectdml.proto.v1.EmbeddingServiceGrpc;
import org.affectdml.proto.v1.Image;
import org.affectdml.proto.v1.PersonBox;
import picocli.CommandLine;

import java.util.List;
import java.util.concurrent.Callable;

/**
 * How the time to receive one gRPC message grows with its size: Embed requests of 1 to 32 MiB whose bytes are no
 * image, so embedding-service answers INVALID_ARGUMENT as soon as it has the whole message. Linear transport makes
 * the 32 MiB time about 8× the 4 MiB one; the quadratic reassembly of vertx-grpc before 4.5.30 made it ~60×.
 */
@CommandLine.Command(name = "bench-message", mixinStandardHelpOptions = true,
        description = "Time to receive and refuse Embed messages of growing size (gRPC transport, no model runs).")
public class MessageSizeBenchmarkCommand implements Callable<Integer> {

    @CommandLine.Option(names = "--sizes", split = ",", defaultValue = "1,4,8,16,32", description = "message sizes in MiB (default ${DEFAULT-VALUE})")
    List<Integer> sizes;

    @CommandLine.Option(names = "--repeats", defaultValue = "3", description = "sends per size; the median counts (default ${DEFAULT-VALUE})")
    int repeats;

    @CommandLine.Mixin
    EmbeddingOptions embedding;

    @Override
    public Integer call() {
        if (sizes.isEmpty() || sizes.stream().anyMatch(s -> s < 1 || s > 60) || repeats < 1) {
            throw new IllegalArgumentException("--sizes must be 1..60 MiB each and --repeats >= 1");
        }
        ManagedChannel channel = embedding.channel();
        try {
            var client = embedding.authorized(EmbeddingServiceGrpc.newBlockingStub(channel));
            send(client, 1);  // connection set-up, not measured
            double first = 0;
            double last = 0;
            System.out.printf("Embed message size benchmark: median of %d sends per size, seconds%n", repeats);
            for (int mib : sizes) {
                long[] micros = new long[repeats];
                for (int r = 0; r < repeats; r++) {
                    long t0 = System.nanoTime();
                    send(client, mib);
                    micros[r] = (System.nanoTime() - t0) / 1000;
                }
                double seconds = RawOnnxRuntimeTiming.percentile(micros, 0.5) / 1e6;
                System.out.printf("  %3d MiB  %8.3f%n", mib, seconds);
                first = first == 0 ? seconds : first;
                last = seconds;
            }
            int smallest = sizes.get(0);
            int largest = sizes.get(sizes.size() - 1);
            System.out.printf("RATIO %d MiB / %d MiB time = %.2f (linear transport: about %.0f)%n", largest, smallest, last / first,
                    (double) largest / smallest);
            return 0;
        } finally {
            channel.shutdownNow();
        }
    }

    /** One request of {@code mib} MiB that starts like a JPEG but is none: refused once received. */
    private static void send(EmbeddingServiceGrpc.EmbeddingServiceBlockingStub client, int mib) {
        byte[] data = new byte[mib << 20];
        data[0] = (byte) 0xFF;
        data[1] = (byte) 0xD8;
        data[2] = (byte) 0xFF;
        try {
            client.embed(EmbedRequest.newBuilder().setImage(Image.newBuilder().setData(ByteString.copyFrom(data)))
                    .setBox(PersonBox.newBuilder().setX2(10).setY2(10)).build());
            throw new IllegalStateException("embedding-service accepted a message that is no image");
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() != io.grpc.Status.Code.INVALID_ARGUMENT) {
                throw e;
            }
        }
    }
}
