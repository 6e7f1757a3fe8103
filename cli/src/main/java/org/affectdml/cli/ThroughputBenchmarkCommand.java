package org.affectdml.cli;

import io.grpc.ManagedChannel;
import org.affectdml.inference.bundle.ModelStore;
import org.affectdml.proto.v1.ClassificationGrpc;
import org.affectdml.proto.v1.ClassifyRequest;
import org.affectdml.proto.v1.EmbedRequest;
import org.affectdml.proto.v1.EmbeddingServiceGrpc;
import picocli.CommandLine;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Throughput and latency of Embed (and Classify, given a taxonomy) at several concurrencies against running
 * services, with the batch size the embedding-service's encoder batcher realised (from its metrics), and the raw
 * ONNX Runtime throughput of the same models at that batch size measured here in the same run. Every request
 * carries a distinct copy of the photo, so the scene cache never answers.
 */
@CommandLine.Command(name = "bench-throughput", mixinStandardHelpOptions = true,
        description = "Embed/Classify throughput, p50/p99 and realised batch size per concurrency, vs raw ONNX Runtime throughput.")
public class ThroughputBenchmarkCommand implements Callable<Integer> {

    @CommandLine.Mixin
    BenchmarkRun run;

    @CommandLine.Mixin
    EmbeddingOptions embedding;

    @CommandLine.Option(names = "--registry", defaultValue = "${AFFECT_REGISTRY_TARGET:-localhost:8103}",
            description = "support-registry host:port, for Classify (default ${DEFAULT-VALUE})")
    String registry;

    @CommandLine.Option(names = "--client-key", defaultValue = "${AFFECT_API_KEY:-}", description = "registry client key, for Classify")
    String clientKey;

    @CommandLine.Option(names = "--taxonomy", description = "a taxonomy with supports: also measure Classify")
    String taxonomy;

    @CommandLine.Option(names = "--concurrency", split = ",", defaultValue = "1,2,4,8,16",
            description = "concurrent callers (default ${DEFAULT-VALUE})")
    List<Integer> concurrency;

    @CommandLine.Option(names = "--metrics", defaultValue = "${AFFECT_EMBEDDING_METRICS:-http://localhost:9102/q/metrics}",
            description = "embedding-service's metrics on its management port (default ${DEFAULT-VALUE})")
    String metricsUrl;

    @CommandLine.Option(names = "--segmentation-metrics", defaultValue = "${AFFECT_SEGMENTATION_METRICS:-http://localhost:9101/q/metrics}",
            description = "segmentation-service's metrics, for its realised segmenter batch (default ${DEFAULT-VALUE})")
    String segmentationMetricsUrl;

    @CommandLine.Option(names = "--label", defaultValue = "", description = "a label for the printed lines (e.g. batching=on)")
    String label;

    private static Pattern samples(String model) {
        return Pattern.compile("^(affect_batch_requests_(?:sum|count))\\{[^}]*model=\"" + model + "\"[^}]*} ([0-9.eE+-]+)$", Pattern.MULTILINE);
    }

    @Override
    public Integer call() throws Exception {
        String version = run.prepare();
        byte[] bytes = Endpoints.read(run.image);
        float[] box = Endpoints.parseBox(run.box);
        AtomicLong copies = new AtomicLong(1_000_000);
        System.out.printf("Throughput benchmark %s: %s, box %s, bundle %s, %d requests per level after %d warm-up%n",
                label, run.image.getFileName(), run.box, version, run.requests, run.warmup);
        System.out.println("op        conc  req/s    p50 ms   p99 ms  batch (enc/seg)  raw req/s at batch  ratio");
        ManagedChannel embeddingChannel = embedding.channel();
        ManagedChannel registryChannel = taxonomy == null ? null : Endpoints.channel(registry);
        try {
            var embedder = embedding.authorized(EmbeddingServiceGrpc.newBlockingStub(embeddingChannel));
            var classifier = registryChannel == null ? null
                    : Endpoints.withKey(ClassificationGrpc.newBlockingStub(registryChannel), clientKey);
            for (int c : concurrency) {
                Level embed = level(c, () -> embedder.embed(EmbedRequest.newBuilder()
                        .setImage(run.protoImage(copies.incrementAndGet())).setBox(run.personBox()).build()));
                print("Embed", c, embed, version, bytes, box);
                if (classifier != null) {
                    Level classify = level(c, () -> classifier.classify(ClassifyRequest.newBuilder().setTaxonomy(taxonomy)
                            .setImage(run.protoImage(copies.incrementAndGet())).setBox(run.personBox()).build()));
                    print("Classify", c, classify, version, bytes, box);
                }
            }
        } finally {
            embeddingChannel.shutdownNow();
            if (registryChannel != null) {
                registryChannel.shutdownNow();
            }
        }
        return 0;
    }

    /** One concurrency level: throughput, latencies and the mean number of requests per encoder and segmenter run. */
    private record Level(double throughput, double p50Ms, double p99Ms, double meanBatch, double meanSegmenterBatch) {
    }

    private Level level(int callers, Runnable call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        try {
            run(pool, callers, run.warmup * callers, call, null);
            double[] before = batchCounters(metricsUrl, "image_encoder");
            double[] segBefore = batchCounters(segmentationMetricsUrl, "segmenter");
            long[] latencies = new long[Math.max(run.requests, 4 * callers)];
            long start = System.nanoTime();
            run(pool, callers, latencies.length, call, latencies);
            double seconds = (System.nanoTime() - start) / 1e9;
            double[] after = batchCounters(metricsUrl, "image_encoder");
            double[] segAfter = batchCounters(segmentationMetricsUrl, "segmenter");
            return new Level(latencies.length / seconds, RawOnnxRuntimeTiming.percentile(latencies, 0.5) / 1e3,
                    RawOnnxRuntimeTiming.percentile(latencies, 0.99) / 1e3, mean(before, after), mean(segBefore, segAfter));
        } finally {
            pool.shutdownNow();
        }
    }

    /** {@code total} calls spread over {@code callers} threads; each call's µs into {@code latencies} if given. */
    private static void run(ExecutorService pool, int callers, int total, Runnable call, long[] latencies) throws Exception {
        AtomicLong next = new AtomicLong();
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < callers; t++) {
            workers.add(pool.submit(() -> {
                for (long i = next.getAndIncrement(); i < total; i = next.getAndIncrement()) {
                    long t0 = System.nanoTime();
                    call.run();
                    if (latencies != null) {
                        latencies[(int) i] = (System.nanoTime() - t0) / 1000;
                    }
                }
                return null;
            }));
        }
        for (Future<?> w : workers) {
            w.get();
        }
    }

    private static double mean(double[] before, double[] after) {
        double runs = after[1] - before[1];
        return runs > 0 ? (after[0] - before[0]) / runs : Double.NaN;
    }

    /** A service's affect_batch_requests sum and count for one model (requests and runs so far; 0 if unreachable). */
    private static double[] batchCounters(String url, String model) {
        double[] out = new double[2];
        HttpResponse<String> r;
        try {
            // HTTP/1.1 as Prometheus scrapes: the JDK client's h2c upgrade once garbled a large metrics answer
            r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception unreachable) {
            return out;  // e.g. in-process segmentation: no segmentation-service to ask
        } 
        Matcher m = samples(model).matcher(r.body());
        while (m.find()) {
            out[m.group(1).endsWith("sum") ? 0 : 1] = Double.parseDouble(m.group(2));
        }
        return out;
    }

    private void print(String op, int c, Level level, String version, byte[] bytes, float[] box) throws Exception {
        // the raw models at the batch the service realised: the larger of the encoder's and the segmenter's
        double realised = Math.max(Double.isNaN(level.meanBatch()) ? 1 : level.meanBatch(),
                Double.isNaN(level.meanSegmenterBatch()) ? 1 : level.meanSegmenterBatch());
        int batch = Math.max(1, (int) Math.round(realised));
        long[] raw = RawOnnxRuntimeTiming.measure(new ModelStore(run.store), version, bytes, box, run.threads, 2,
                Math.max(5, 20 / batch), batch);
        double rawThroughput = batch / (RawOnnxRuntimeTiming.percentile(raw, 0.5) / 1e6);
        System.out.printf("%-9s %4d %7.2f %9.1f %8.1f %6.2f / %5.2f %12.2f (b=%d) %6.3f%n", op, c, level.throughput(), level.p50Ms(),
                level.p99Ms(), level.meanBatch(), level.meanSegmenterBatch(), rawThroughput, batch, level.throughput() / rawThroughput);
        System.out.printf("LEVEL %s op=%s concurrency=%d throughput=%.3f p50_ms=%.2f p99_ms=%.2f mean_batch=%.2f mean_segmenter_batch=%.2f"
                        + " raw_throughput=%.3f ratio=%.3f%n", label.isBlank() ? "-" : label, op, c, level.throughput(), level.p50Ms(),
                level.p99Ms(), level.meanBatch(), level.meanSegmenterBatch(), rawThroughput, level.throughput() / rawThroughput);
    }
}
