package org.affectdml.cli;

import io.grpc.ManagedChannel;
import org.affectdml.proto.v1.ClassificationGrpc;
import org.affectdml.proto.v1.ClassifyRequest;
import org.affectdml.proto.v1.ClassifyResponse;
import picocli.CommandLine;

import java.util.concurrent.Callable;

/** Classify end-to-end latency through support-registry vs raw ONNX Runtime time of the same models. */
@CommandLine.Command(name = "bench-classify", mixinStandardHelpOptions = true,
        description = "Classify latency vs raw ONNX Runtime time of the same models (services and a taxonomy must exist).")
public class ClassifyBenchmarkCommand implements Callable<Integer> {

    @CommandLine.Mixin
    RegistryOptions registry;

    @CommandLine.Mixin
    BenchmarkRun run;

    @CommandLine.Option(names = "--taxonomy", required = true, description = "a taxonomy with supports")
    String taxonomy;

    @Override
    public Integer call() throws Exception {
        run.prepare();
        long[] raw = run.rawTimings();
        int requests = run.requests;
        int warmup = run.warmup;
        long[] e2e = new long[requests];
        ClassifyResponse last = null;
        ManagedChannel channel = registry.channel();
        try {
            var client = registry.authorized(ClassificationGrpc.newBlockingStub(channel));
            for (int i = -warmup; i < requests; i++) {
                // A distinct copy each time: every request is a first sight for the scene cache, as a new photo is.
                ClassifyRequest request = ClassifyRequest.newBuilder().setTaxonomy(taxonomy).setImage(run.protoImage(i + warmup))
                        .setBox(run.personBox()).build();
                long t0 = System.nanoTime();
                last = client.classify(request);
                if (i >= 0) {
                    e2e[i] = (System.nanoTime() - t0) / 1000;
                }
            }
        } finally {
            channel.shutdownNow();
        }
        double rawP50 = RawOnnxRuntimeTiming.percentile(raw, 0.5);
        double p50 = RawOnnxRuntimeTiming.percentile(e2e, 0.5);
        System.out.printf("Classify benchmark: taxonomy %s (%d classes, model %s), %s, %d requests after %d warm-up, ms%n",
                taxonomy, last.getClassesCount(), last.getModelVersion(), run.image.getFileName(), requests, warmup);
        System.out.printf("  raw ONNX Runtime (segmenter + encoders + head) p50 %8.2f%n", rawP50 / 1e3);
        System.out.printf("  end-to-end Classify p50 %8.2f  p90 %8.2f%n", p50 / 1e3, RawOnnxRuntimeTiming.percentile(e2e, 0.9) / 1e3);
        System.out.printf("RATIO end-to-end Classify p50 / raw ONNX Runtime p50 = %.3f (target <= 1.10)%n", p50 / rawP50);
        return 0;
    }
}
