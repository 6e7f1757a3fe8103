package org.affectdml.cli;

import io.grpc.ManagedChannel;
import org.affectdml.proto.v1.EmbedRequest;
import org.affectdml.proto.v1.EmbedResponse;
import org.affectdml.proto.v1.EmbeddingServiceGrpc;
import picocli.CommandLine;

import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.function.ToLongFunction;

/**
 * Benchmark of Embed: the same bundle's models run raw in this process (ONNX Runtime only: segmenter,
 * encoders as the service batches them, head), then the same image through a running embedding-service
 * over gRPC. Prints per-stage medians and the ratio of end-to-end latency to raw ONNX Runtime time.
 */
@CommandLine.Command(name = "bench-embed", mixinStandardHelpOptions = true,
        description = "Embed latency vs raw ONNX Runtime time of the same models (run the services first).")
public class EmbedBenchmarkCommand implements Callable<Integer> {

    @CommandLine.Mixin
    BenchmarkRun run;

    @CommandLine.Mixin
    EmbeddingOptions embedding;

    @Override
    public Integer call() throws Exception {
        String version = run.prepare();
        long[] raw = run.rawTimings();
        int requests = run.requests;
        ManagedChannel channel = embedding.channel();
        EmbedResponse[] responses = new EmbedResponse[requests];
        long[] endToEnd = new long[requests];
        try {
            var client = embedding.authorized(EmbeddingServiceGrpc.newBlockingStub(channel));
            // A distinct copy each time: every request is a first sight for the scene cache, as a new photo is.
            for (int i = 0; i < run.warmup; i++) {
                client.embed(EmbedRequest.newBuilder().setImage(run.protoImage(i)).setBox(run.personBox()).build());
            }
            for (int i = 0; i < requests; i++) {
                EmbedRequest request = EmbedRequest.newBuilder().setImage(run.protoImage(run.warmup + i)).setBox(run.personBox()).build();
                long t0 = System.nanoTime();
                responses[i] = client.embed(request);
                endToEnd[i] = (System.nanoTime() - t0) / 1000;
            }
        } finally {
            channel.shutdownNow();
        }
        if (!responses[0].getEmbedding().getModelVersion().equals(version)) {
            System.err.printf("warning: the service answered with bundle %s, the store's active one is %s%n",
                    responses[0].getEmbedding().getModelVersion(), version);
        }
        report(raw, endToEnd, responses);
        return 0;
    }

    private void report(long[] raw, long[] endToEnd, EmbedResponse[] responses) {
        double rawMedian = median(raw);
        double e2eMedian = median(endToEnd);
        int requests = run.requests;
        System.out.printf("Embed benchmark: %s, box %s, %d requests after %d warm-up, medians in ms%n", run.image.getFileName(), run.box,
                requests, run.warmup);
        System.out.printf("  raw ONNX Runtime (segmenter + encoders + head)  %8.2f%n", rawMedian / 1e3);
        System.out.printf("  server stages: decode %8.2f%n", stage(responses, r -> r.getTimings().getDecodeUs()));
        System.out.printf("                 preprocess %8.2f%n", stage(responses, r -> r.getTimings().getPreprocessUs()));
        System.out.printf("                 encoders %8.2f%n", stage(responses, r -> r.getTimings().getEncodersUs()));
        System.out.printf("                 segmentation (remote call)       %8.2f%n", stage(responses, r -> r.getTimings().getSegmentationUs()));
        System.out.printf("                 head %8.2f%n", stage(responses, r -> r.getTimings().getHeadUs()));
        System.out.printf("                 server total %8.2f%n", stage(responses, r -> r.getTimings().getTotalUs()));
        long[] grpc = new long[requests];
        for (int i = 0; i < requests; i++) {
            grpc[i] = endToEnd[i] - responses[i].getTimings().getTotalUs();
        }
        System.out.printf("  gRPC + transfer (client end-to-end - server total) %8.2f%n", median(grpc) / 1e3);
        System.out.printf("  end-to-end Embed  p50 %8.2f  p90 %8.2f%n", e2eMedian / 1e3, percentile(endToEnd, 0.9) / 1e3);
        System.out.printf("RATIO end-to-end p50 / raw ONNX Runtime p50 = %.3f (target <= 1.15)%n", e2eMedian / rawMedian);
    }

    private static double stage(EmbedResponse[] responses, ToLongFunction<EmbedResponse> f) {
        return median(Arrays.stream(responses).mapToLong(f).toArray()) / 1e3;
    }

    static double median(long[] values) {
        return RawOnnxRuntimeTiming.percentile(values, 0.5);
    }

    static double percentile(long[] values, double q) {
        return RawOnnxRuntimeTiming.percentile(values, q);
    }
}
