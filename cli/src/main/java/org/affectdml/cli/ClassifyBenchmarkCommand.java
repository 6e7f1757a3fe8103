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

    @CommandLine.Option(names = "--compare-explain", description = "alternate requests without and with explain; report both p50s")
    boolean compareExplain;

    @Override
    public Integer call() throws Exception {
        if (compareExplain) {
            return compareExplain();
        }
        run.prepare();
        int requests = run.requests;
        long[] e2e = new long[requests];
        ClassifyResponse[] last = {null};
        ManagedChannel channel = registry.channel();
        long[] raw;
        try {
            var client = registry.authorized(ClassificationGrpc.newBlockingStub(channel));
            // Paired: after each raw run of the models, one Classify, so both see the machine as it is at that moment.
            raw = run.rawTimings(i -> {
                // A distinct copy each time: every request is a first sight for the scene cache, as a new photo is.
                ClassifyRequest request = ClassifyRequest.newBuilder().setTaxonomy(taxonomy).setImage(run.protoImage(i + run.warmup))
                        .setBox(run.personBox()).build();
                long t0 = System.nanoTime();
                last[0] = client.classify(request);
                if (i >= 0) {
                    e2e[i] = (System.nanoTime() - t0) / 1000;
                }
            });
        } finally {
            channel.shutdownNow();
        }
        double rawP50 = RawOnnxRuntimeTiming.percentile(raw, 0.5);
        double p50 = RawOnnxRuntimeTiming.percentile(e2e, 0.5);
        long[] pairRatios = new long[requests];  // per pair, Classify ÷ raw, in thousandths
        for (int i = 0; i < requests; i++) {
            pairRatios[i] = Math.round(1000.0 * e2e[i] / raw[i]);
        }
        System.out.printf("Classify benchmark: taxonomy %s (%d classes, model %s), %s, %d requests after %d warm-up, each after a raw run, ms%n",
                taxonomy, last[0].getClassesCount(), last[0].getModelVersion(), run.image.getFileName(), requests, run.warmup);
        System.out.printf("  raw ONNX Runtime (segmenter + encoders + head) p50 %8.2f%n", rawP50 / 1e3);
        System.out.printf("  end-to-end Classify p50 %8.2f  p90 %8.2f%n", p50 / 1e3, RawOnnxRuntimeTiming.percentile(e2e, 0.9) / 1e3);
        System.out.printf("  per pair (Classify / the raw run just before it): median %.3f, p10 %.3f, p90 %.3f%n",
                RawOnnxRuntimeTiming.percentile(pairRatios, 0.5) / 1e3, RawOnnxRuntimeTiming.percentile(pairRatios, 0.1) / 1e3,
                RawOnnxRuntimeTiming.percentile(pairRatios, 0.9) / 1e3);
        System.out.printf("RATIO end-to-end Classify p50 / raw ONNX Runtime p50 = %.3f (target <= 1.05)%n", p50 / rawP50);
        return 0;
    }

    /** Requests without and with explain, alternating which goes first, each a distinct copy of the photo. */
    private int compareExplain() throws Exception {
        run.prepare();
        long[] off = new long[run.requests];
        long[] on = new long[run.requests];
        ManagedChannel channel = registry.channel();
        try {
            var client = registry.authorized(ClassificationGrpc.newBlockingStub(channel));
            long copy = 0;
            for (int i = -run.warmup; i < run.requests; i++) {
                for (int k = 0; k < 2; k++) {
                    boolean explain = (i + k) % 2 == 0;
                    ClassifyRequest request = ClassifyRequest.newBuilder().setTaxonomy(taxonomy).setImage(run.protoImage(copy++))
                            .setBox(run.personBox()).setExplain(explain).build();
                    long t0 = System.nanoTime();
                    client.classify(request);
                    if (i >= 0) {
                        (explain ? on : off)[i] = (System.nanoTime() - t0) / 1000;
                    }
                }
            }
        } finally {
            channel.shutdownNow();
        }
        double p50Off = RawOnnxRuntimeTiming.percentile(off, 0.5);
        double p50On = RawOnnxRuntimeTiming.percentile(on, 0.5);
        System.out.printf("Classify explain off/on: taxonomy %s, %s, %d requests each after %d warm-up, ms%n", taxonomy,
                run.image.getFileName(), run.requests, run.warmup);
        System.out.printf("  explain off p50 %8.2f  p90 %8.2f%n", p50Off / 1e3, RawOnnxRuntimeTiming.percentile(off, 0.9) / 1e3);
        System.out.printf("  explain on  p50 %8.2f  p90 %8.2f%n", p50On / 1e3, RawOnnxRuntimeTiming.percentile(on, 0.9) / 1e3);
        System.out.printf("RATIO explain on p50 / off p50 = %.3f%n", p50On / p50Off);
        return 0;
    }
}
