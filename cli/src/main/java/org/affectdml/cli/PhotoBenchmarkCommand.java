package org.affectdml.cli;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import org.affectdml.inference.image.SyntheticPhotos;
import org.affectdml.proto.v1.ClassificationGrpc;
import org.affectdml.proto.v1.ClassifyPersonsRequest;
import org.affectdml.proto.v1.ClassifyRequest;
import org.affectdml.proto.v1.Image;
import org.affectdml.proto.v1.PersonBox;
import picocli.CommandLine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Classify as real photos and group photos arrive: camera-like JPEGs (quality 90) of several sizes, a person box of
 * a quarter of the frame and a small one, several persons per photo, a repeated photo, a 32 MiB request. Every
 * request but the repeats is a distinct copy, so the scene cache never answers them. Prints p50 latencies and the
 * ratios docs/benchmarks.md records, each the median of --runs runs.
 */
@CommandLine.Command(name = "bench-photos", mixinStandardHelpOptions = true,
        description = "Classify latency over photo sizes, persons per photo, the scene cache and a 32 MiB request "
                + "(the services and a taxonomy with supports must exist).")
public class PhotoBenchmarkCommand implements Callable<Integer> {

    @CommandLine.Mixin
    RegistryOptions registry;

    @CommandLine.Option(names = "--taxonomy", required = true, description = "a taxonomy with supports")
    String taxonomy;

    @CommandLine.Option(names = "--megapixels", split = ",", defaultValue = "0.3,1.2,3,6,12,24",
            description = "photo sizes, 4:3 (default ${DEFAULT-VALUE})")
    List<Double> megapixels;

    @CommandLine.Option(names = "--persons", split = ",", defaultValue = "1,2,4,8,16",
            description = "persons per 640x425 photo for ClassifyPersons (default ${DEFAULT-VALUE})")
    List<Integer> persons;

    @CommandLine.Option(names = "--requests", defaultValue = "7", description = "measured requests per point and run (default ${DEFAULT-VALUE})")
    int requests;

    @CommandLine.Option(names = "--warmup", defaultValue = "2", description = "unmeasured requests first (default ${DEFAULT-VALUE})")
    int warmup;

    @CommandLine.Option(names = "--runs", defaultValue = "3", description = "runs; each ratio is their median (default ${DEFAULT-VALUE})")
    int runs;

    @CommandLine.Option(names = "--large-request-mib", defaultValue = "32", description = "size of the large request (default ${DEFAULT-VALUE})")
    int largeMiB;

    private final AtomicLong copies = new AtomicLong();

    @Override
    public Integer call() {
        if (requests < 1 || warmup < 0 || runs < 1 || megapixels.isEmpty() || persons.isEmpty()) {
            throw new IllegalArgumentException("--requests and --runs must be >= 1, --warmup >= 0, --megapixels and --persons non-empty");
        }
        ManagedChannel channel = registry.channel();
        try {
            var client = registry.authorized(ClassificationGrpc.newBlockingStub(channel));
            System.out.printf("Photo benchmark: taxonomy %s, %d requests after %d warm-up per point, %d runs, p50 in ms%n",
                    taxonomy, requests, warmup, runs);
            sizes(client);
            groups(client);
            cache(client);
            largeRequest(client);
            return 0;
        } finally {
            channel.shutdownNow();
        }
    }

    private void sizes(ClassificationGrpc.ClassificationBlockingStub client) {
        double[][] p50 = new double[megapixels.size() + 1][runs];
        List<byte[]> photos = new ArrayList<>();
        List<int[]> dims = new ArrayList<>();
        for (double mpx : megapixels) {
            int w = (int) Math.round(Math.sqrt(mpx * 1e6 * 4 / 3));
            int h = w * 3 / 4;
            photos.add(SyntheticPhotos.jpeg(SyntheticPhotos.photo(w, h, 17), 0.9f));
            dims.add(new int[]{w, h});
        }
        for (int run = 0; run < runs; run++) {
            for (int i = 0; i < photos.size(); i++) {
                int w = dims.get(i)[0];
                int h = dims.get(i)[1];
                PersonBox quarter = box(w / 4f, h / 4f, w * 3 / 4f, h * 3 / 4f);
                p50[i][run] = p50(photos.get(i), bytes -> client.classify(classify(bytes, quarter)));
            }
            // A small box (1/16 of the width) in the largest photo: its crop is decoded on its own at full scale.
            int[] largest = dims.get(dims.size() - 1);
            PersonBox small = box(largest[0] * 0.45f, largest[1] * 0.4f, largest[0] * 0.45f + largest[0] / 16f, largest[1] * 0.4f + largest[1] / 8f);
            p50[photos.size()][run] = p50(photos.get(photos.size() - 1), bytes -> client.classify(classify(bytes, small)));
        }
        for (int i = 0; i < photos.size(); i++) {
            System.out.printf("  Classify %5.1f Mpx (%dx%d, %.1f MB), quarter-frame box: p50 %8.2f%n", megapixels.get(i), dims.get(i)[0],
                    dims.get(i)[1], photos.get(i).length / 1e6, median(p50[i]));
        }
        System.out.printf("  Classify %5.1f Mpx, small box: p50 %8.2f%n", megapixels.get(photos.size() - 1), median(p50[photos.size()]));
        int twelve = megapixels.indexOf(12.0);
        int reference = megapixels.indexOf(0.3);
        if (twelve >= 0 && reference >= 0) {
            System.out.printf("RATIO Classify p50 12 Mpx / 0.3 Mpx = %.3f (target <= 1.3)%n", medianRatio(p50[twelve], p50[reference]));
        }
    }

    private void groups(ClassificationGrpc.ClassificationBlockingStub client) {
        byte[] photo = SyntheticPhotos.jpeg(SyntheticPhotos.photo(640, 425, 23), 0.9f);
        double[][] p50 = new double[persons.size()][runs];
        for (int run = 0; run < runs; run++) {
            for (int i = 0; i < persons.size(); i++) {
                List<PersonBox> boxes = boxes(persons.get(i));
                p50[i][run] = p50(photo, bytes -> client.classifyPersons(ClassifyPersonsRequest.newBuilder().setTaxonomy(taxonomy)
                        .setImage(image(bytes)).addAllBoxes(boxes).build()));
            }
        }
        for (int i = 0; i < persons.size(); i++) {
            System.out.printf("  ClassifyPersons %2d persons, 640x425: p50 %8.2f%n", persons.get(i), median(p50[i]));
        }
        int eight = persons.indexOf(8);
        int one = persons.indexOf(1);
        if (eight >= 0 && one >= 0) {
            System.out.printf("RATIO ClassifyPersons p50 8 persons / 1 person = %.3f (target <= 2.5)%n", medianRatio(p50[eight], p50[one]));
        }
    }

    /** The first sight of a photo vs the same bytes again (the scene cache answers segmentation and the image encoder). */
    private void cache(ClassificationGrpc.ClassificationBlockingStub client) {
        byte[] photo = SyntheticPhotos.jpeg(SyntheticPhotos.photo(640, 425, 29), 0.9f);
        PersonBox box = box(160, 106, 480, 319);
        double[] first = new double[runs];
        double[] repeat = new double[runs];
        for (int run = 0; run < runs; run++) {
            long[] firstTimes = new long[requests];
            long[] repeatTimes = new long[requests];
            for (int i = -warmup; i < requests; i++) {
                byte[] copy = DistinctCopies.copy(photo, copies.incrementAndGet());
                long a = time(() -> client.classify(classify(copy, box)));
                long b = time(() -> client.classify(classify(copy, box)));
                if (i >= 0) {
                    firstTimes[i] = a;
                    repeatTimes[i] = b;
                }
            }
            first[run] = percentile(firstTimes);
            repeat[run] = percentile(repeatTimes);
        }
        System.out.printf("  Classify 640x425, first sight: p50 %8.2f; the same photo again: p50 %8.2f%n", median(first), median(repeat));
        System.out.printf("RATIO Classify p50 repeated photo / first sight = %.3f (target <= 0.4)%n", medianRatio(repeat, first));
    }

    /** A request of --large-request-mib MiB (above the image limit): answered, with a result or an error, how fast. */
    private void largeRequest(ClassificationGrpc.ClassificationBlockingStub client) {
        byte[] big = new byte[largeMiB << 20];
        new java.util.Random(1).nextBytes(big);
        big[0] = (byte) 0xFF;
        big[1] = (byte) 0xD8;
        big[2] = (byte) 0xFF;
        double[] times = new double[runs];
        String answer = "";
        for (int run = 0; run < runs; run++) {
            long t0 = System.nanoTime();
            try {
                client.classify(classify(big, box(1, 1, 100, 100)));
                answer = "OK";
            } catch (StatusRuntimeException e) {
                answer = e.getStatus().getCode() + ": " + e.getStatus().getDescription();
            }
            times[run] = (System.nanoTime() - t0) / 1e3;
        }
        System.out.printf("  Classify with a %d MiB image: %s%n", largeMiB, answer.length() > 120 ? answer.substring(0, 120) + "..." : answer);
        System.out.printf("RATIO %d MiB request answered in seconds = %.3f (target <= 1)%n", largeMiB, median(times) / 1e6);
    }

    /** p50 in milliseconds of requests on distinct copies of the photo. */
    private double p50(byte[] photo, Function<byte[], Object> call) {
        long[] times = new long[requests];
        for (int i = -warmup; i < requests; i++) {
            byte[] copy = DistinctCopies.copy(photo, copies.incrementAndGet());
            long t = time(() -> call.apply(copy));
            if (i >= 0) {
                times[i] = t;
            }
        }
        return percentile(times);
    }

    private static long time(Runnable call) {
        long t0 = System.nanoTime();
        call.run();
        return (System.nanoTime() - t0) / 1000;
    }

    /** n boxes of 1/8 of the width side by side, in two rows. */
    private static List<PersonBox> boxes(int n) {
        List<PersonBox> boxes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float x = (i % 8) * 80f;
            float y = (i / 8 % 2) * 212f;
            boxes.add(box(x, y, x + 80, y + 212));
        }
        return boxes;
    }

    private ClassifyRequest classify(byte[] bytes, PersonBox box) {
        return ClassifyRequest.newBuilder().setTaxonomy(taxonomy).setImage(image(bytes)).setBox(box).build();
    }

    private static Image image(byte[] bytes) {
        return Image.newBuilder().setData(ByteString.copyFrom(bytes)).build();
    }

    private static PersonBox box(float x1, float y1, float x2, float y2) {
        return PersonBox.newBuilder().setX1(x1).setY1(y1).setX2(x2).setY2(y2).build();
    }

    private static double percentile(long[] micros) {
        return RawOnnxRuntimeTiming.percentile(micros, 0.5) / 1e3;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /** The median over runs of the per-run ratio. */
    private static double medianRatio(double[] numerator, double[] denominator) {
        double[] r = new double[numerator.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = numerator[i] / denominator[i];
        }
        return median(r);
    }
}
