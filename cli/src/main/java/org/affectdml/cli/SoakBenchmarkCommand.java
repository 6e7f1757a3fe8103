package org.affectdml.cli;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import org.affectdml.inference.bundle.BundleLoader;
import org.affectdml.inference.bundle.ModelStore;
import org.affectdml.inference.image.SyntheticPhotos;
import org.affectdml.inference.onnx.OrtSessionFactory;
import org.affectdml.proto.v1.ClassificationGrpc;
import org.affectdml.proto.v1.ClassifyPersonsRequest;
import org.affectdml.proto.v1.ClassifyRequest;
import org.affectdml.proto.v1.Image;
import org.affectdml.proto.v1.PersonBox;
import picocli.CommandLine;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Memory under sustained mixed traffic: for a given time, unique photos of 0.3-24 Mpx (JPEG, and PNG up to a few
 * megapixels), 1-64 person boxes (Classify or ClassifyPersons), a concurrency that changes every minute between 1
 * and 16, and bundle swaps (the active bundle published again under a new version); meanwhile the resident memory
 * (VmRSS) of every service process is sampled. Prints the samples, and per service the plateau (the largest RSS of
 * the last third) against its first third and against the pod limit given.
 */
@CommandLine.Command(name = "bench-soak", mixinStandardHelpOptions = true,
        description = "RSS of every service under mixed traffic with bundle swaps: does memory plateau within the pod limits?")
public class SoakBenchmarkCommand implements Callable<Integer> {

    @CommandLine.Option(names = "--registry", defaultValue = "${AFFECT_REGISTRY_TARGET:-localhost:8103}",
            description = "support-registry host:port (default ${DEFAULT-VALUE})")
    String registry;

    @CommandLine.Option(names = "--client-key", defaultValue = "${AFFECT_API_KEY:-}", description = "registry client key")
    String clientKey;

    @CommandLine.Option(names = "--taxonomy", defaultValue = "demo", description = "a taxonomy with supports (default ${DEFAULT-VALUE})")
    String taxonomy;

    @CommandLine.Option(names = "--minutes", defaultValue = "20", description = "traffic time (default ${DEFAULT-VALUE})")
    double minutes;

    @CommandLine.Option(names = "--pid", description = "a service to sample, NAME=PID (repeat); e.g. segmentation-service=1234")
    Map<String, Long> pids = new LinkedHashMap<>();

    @CommandLine.Option(names = "--limit-mib", description = "a service's pod memory limit in MiB, NAME=MIB (repeat), for the ratio")
    Map<String, Long> limits = new LinkedHashMap<>();

    @CommandLine.Option(names = "--store", description = "the model store the services serve from: swap bundles in it")
    Path store;

    @CommandLine.Option(names = "--swaps", defaultValue = "2", description = "bundle swaps, evenly spread (default ${DEFAULT-VALUE})")
    int swaps;

    @CommandLine.Option(names = "--max-concurrency", defaultValue = "16", description = "largest concurrency (default ${DEFAULT-VALUE})")
    int maxConcurrency;

    @CommandLine.Option(names = "--max-megapixels", defaultValue = "24", description = "largest photo (default ${DEFAULT-VALUE})")
    double maxMegapixels;

    @CommandLine.Option(names = "--sample-seconds", defaultValue = "10", description = "RSS sampling interval (default ${DEFAULT-VALUE})")
    int sampleSeconds;

    @CommandLine.Option(names = "--csv", description = "also write the samples to this CSV file")
    Path csv;

    @CommandLine.Option(names = "--seed", defaultValue = "2021")
    long seed;

    @CommandLine.Option(names = "--label", defaultValue = "", description = "a label for the printed lines (e.g. batching=on)")
    String label;

    private static final int[] CONCURRENCIES = {1, 2, 4, 8, 16};
    private static final double MIN_MEGAPIXELS = 0.3;
    private static final double MAX_PNG_MEGAPIXELS = 4;

    private final AtomicInteger concurrency = new AtomicInteger(1);
    private final AtomicLong photoSeeds = new AtomicLong();
    private final Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>();
    /** The first message of each failure code, to say what the failures were. */
    private final Map<String, String> firstMessages = new ConcurrentHashMap<>();

    @Override
    public Integer call() throws Exception {
        if (pids.isEmpty()) {
            throw new CommandLine.ParameterException(new CommandLine(this), "give at least one --pid NAME=PID to sample");
        }
        long end = System.currentTimeMillis() + (long) (minutes * 60_000);
        photoSeeds.set(seed * 1_000_000);
        ManagedChannel channel = Endpoints.channel(registry);
        var classifier = Endpoints.withKey(ClassificationGrpc.newBlockingStub(channel), clientKey);
        ExecutorService callers = Executors.newFixedThreadPool(maxConcurrency);
        List<long[]> samples = new ArrayList<>();  // [seconds, rss KiB per pid...]
        System.out.printf("Soak %s: %.1f min, photos %.1f-%.0f Mpx, 1-64 boxes, concurrency 1-%d, %d bundle swap(s), RSS every %d s%n",
                label, minutes, MIN_MEGAPIXELS, maxMegapixels, maxConcurrency, store == null ? 0 : swaps, sampleSeconds);
        try {
            for (int i = 0; i < maxConcurrency; i++) {
                int caller = i;
                callers.submit(() -> traffic(caller, classifier, end));
            }
            long start = System.currentTimeMillis();
            Random phases = new Random(seed);
            int swapsDone = 0;
            long nextPhase = start;
            while (System.currentTimeMillis() < end) {
                long now = System.currentTimeMillis();
                if (now >= nextPhase) {
                    concurrency.set(Math.min(maxConcurrency, CONCURRENCIES[phases.nextInt(CONCURRENCIES.length)]));
                    nextPhase = now + 60_000;
                }
                if (store != null && swapsDone < swaps && now - start >= (swapsDone + 1) * (end - start) / (swaps + 1)) {
                    swap(++swapsDone);
                }
                long[] sample = new long[pids.size() + 1];
                sample[0] = (now - start) / 1000;
                int k = 1;
                for (long pid : pids.values()) {
                    sample[k++] = rssKib(pid);
                }
                samples.add(sample);
                System.out.printf("t=%4ds conc=%2d rss MiB %s  calls %s%n", sample[0], concurrency.get(), rssLine(sample), outcomes);
                Thread.sleep(sampleSeconds * 1000L);
            }
        } finally {
            // the callers stop at the end by themselves: their last calls are answered, not cancelled and counted
            callers.shutdown();
            if (!callers.awaitTermination(150, TimeUnit.SECONDS)) {
                callers.shutdownNow();
            }
            channel.shutdownNow();
        }
        writeCsv(samples);
        return summarise(samples);
    }

    /** One caller: sends requests while its index is below the current concurrency. */
    private void traffic(int caller, ClassificationGrpc.ClassificationBlockingStub classifier, long end) {
        Random random = new Random(seed * 31 + caller);
        while (System.currentTimeMillis() < end && !Thread.currentThread().isInterrupted()) {
            if (caller >= concurrency.get()) {
                sleep(200);
                continue;
            }
            try {
                request(classifier.withDeadlineAfter(120, TimeUnit.SECONDS), random);
                count("OK");
            } catch (StatusRuntimeException e) {
                count(e.getStatus().getCode().name());
                firstMessages.putIfAbsent(e.getStatus().getCode().name(), String.valueOf(e.getStatus().getDescription()));
            } catch (RuntimeException | OutOfMemoryError e) {
                count(e.getClass().getSimpleName());
            }
        }
    }

    private void request(ClassificationGrpc.ClassificationBlockingStub classifier, Random random) {
        double megapixels = Math.exp(Math.log(MIN_MEGAPIXELS) + random.nextDouble() * Math.log(maxMegapixels / MIN_MEGAPIXELS));
        double aspect = new double[]{4.0 / 3, 3.0 / 4, 16.0 / 9, 1}[random.nextInt(4)];
        int width = (int) Math.max(64, Math.sqrt(megapixels * 1e6 * aspect));
        int height = (int) Math.max(64, megapixels * 1e6 / width);
        BufferedImage photo = SyntheticPhotos.photo(width, height, photoSeeds.incrementAndGet());  // unique: no cache answers
        boolean png = megapixels <= MAX_PNG_MEGAPIXELS && random.nextInt(4) == 0;
        byte[] bytes = png ? png(photo) : SyntheticPhotos.jpeg(photo, 0.85f);
        Image image = Image.newBuilder().setData(ByteString.copyFrom(bytes)).setMediaType(png ? "image/png" : "image/jpeg").build();
        int boxes = random.nextInt(3) == 0 ? 1 : 1 + random.nextInt(64);
        List<PersonBox> people = new ArrayList<>();
        for (int i = 0; i < boxes; i++) {
            float w = width * (0.1f + 0.4f * random.nextFloat());
            float h = height * (0.2f + 0.6f * random.nextFloat());
            float x = random.nextFloat() * (width - w);
            float y = random.nextFloat() * (height - h);
            people.add(PersonBox.newBuilder().setX1(x).setY1(y).setX2(x + w).setY2(y + h).build());
        }
        if (boxes == 1) {
            classifier.classify(ClassifyRequest.newBuilder().setTaxonomy(taxonomy).setImage(image).setBox(people.get(0)).build());
        } else {
            classifier.classifyPersons(ClassifyPersonsRequest.newBuilder().setTaxonomy(taxonomy).setImage(image).addAllBoxes(people).build());
        }
    }

    /** Publishes the active bundle again under a new version and activates it: every service loads a new bundle. */
    private void swap(int n) throws IOException {
        ModelStore models = new ModelStore(store);
        String active = models.activeVersion().orElseThrow(() -> new IllegalStateException("no active bundle in " + store));
        String next = active.replaceFirst("-soak\\d+$", "") + "-soak" + n;
        BundleLoader verifier = new BundleLoader(OrtSessionFactory.cpu(1));
        if (!models.contains(next)) {
            models.publishCopy(active, next, verifier);
        }
        models.activate(next, verifier);
        System.out.printf("bundle swap %d: %s -> %s%n", n, active, next);
    }

    private int summarise(List<long[]> samples) {
        int third = Math.max(1, samples.size() / 3);
        System.out.printf("%nSoak %s summary (MiB; plateau = largest RSS in the last third, early = largest in the first third)%n", label);
        System.out.println("service                 early  plateau  growth  limit  plateau/limit");
        int k = 1;
        for (String name : pids.keySet()) {
            int column = k++;
            long early = samples.subList(0, third).stream().mapToLong(s -> s[column]).max().orElse(0) / 1024;
            long plateau = samples.subList(samples.size() - third, samples.size()).stream().mapToLong(s -> s[column]).max().orElse(0) / 1024;
            Long limit = limits.get(name);
            System.out.printf("%-22s %6d %8d %+6.0f%% %6s %s%n", name, early, plateau, early == 0 ? 0 : 100.0 * (plateau - early) / early,
                    limit == null ? "-" : limit, limit == null ? "-" : String.format("%.0f %%", 100.0 * plateau / limit));
        }
        System.out.println("calls: " + outcomes);
        firstMessages.forEach((code, message) -> System.out.println("first " + code + ": " + message));
        return 0;
    }

    private String rssLine(long[] sample) {
        StringBuilder b = new StringBuilder();
        int k = 1;
        for (String name : pids.keySet()) {
            b.append(String.format("%s=%d ", name, sample[k++] / 1024));
        }
        return b.toString().trim();
    }

    private void writeCsv(List<long[]> samples) throws IOException {
        if (csv == null) {
            return;
        }
        try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(csv))) {
            out.println("seconds," + String.join(",", pids.keySet().stream().map(n -> n + "_rss_kib").toList()));
            for (long[] s : samples) {
                StringBuilder line = new StringBuilder();
                for (int i = 0; i < s.length; i++) {
                    line.append(i == 0 ? "" : ",").append(s[i]);
                }
                out.println(line);
            }
        }
    }

    /** The process's resident set (VmRSS) in KiB; 0 when it is gone. */
    static long rssKib(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException gone) {
            // the process ended: its memory is 0
        }
        return 0;
    }

    private void count(String outcome) {
        outcomes.computeIfAbsent(outcome, k -> new AtomicLong()).incrementAndGet();
    }

    private static byte[] png(BufferedImage image) {
        try (var out = new java.io.ByteArrayOutputStream()) {
            javax.imageio.ImageIO.write(image, "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
