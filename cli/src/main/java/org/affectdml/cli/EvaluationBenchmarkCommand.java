package org.affectdml.cli;

import io.grpc.ManagedChannel;
import org.affectdml.proto.v1.ClassificationGrpc;
import org.affectdml.proto.v1.ClassifyRequest;
import org.affectdml.proto.v1.EvaluationJob;
import org.affectdml.proto.v1.EvaluationJobState;
import org.affectdml.proto.v1.GetTaxonomyRequest;
import org.affectdml.proto.v1.LabelledQuery;
import org.affectdml.proto.v1.TaxonomyAdminGrpc;
import picocli.CommandLine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * How long an evaluation job takes for N labelled queries (upload to SUCCEEDED), against N sequential Classify calls
 * at the p50 measured in the same run: each query is a distinct copy of one photo, so the scene cache never answers.
 */
@CommandLine.Command(name = "bench-evaluate", mixinStandardHelpOptions = true,
        description = "Evaluation job time for N labelled queries vs N x Classify p50 (services and a taxonomy must exist; admin key).")
public class EvaluationBenchmarkCommand implements Callable<Integer> {

    @CommandLine.Mixin
    RegistryOptions registry;

    @CommandLine.Option(names = "--taxonomy", required = true, description = "a taxonomy with supports")
    String taxonomy;

    @CommandLine.Option(names = "--image", required = true, description = "JPEG or PNG photo every query is a copy of")
    java.nio.file.Path image;

    @CommandLine.Option(names = "--box", required = true, description = "person box x1,y1,x2,y2")
    String box;

    @CommandLine.Option(names = "--queries", split = ",", defaultValue = "100,1000", description = "query counts (default ${DEFAULT-VALUE})")
    List<Integer> counts;

    @CommandLine.Option(names = "--classify-requests", defaultValue = "30", description = "Classify calls for the p50 (default ${DEFAULT-VALUE})")
    int classifyRequests;

    @Override
    public Integer call() throws Exception {
        byte[] photo = Endpoints.read(image);
        var personBox = Endpoints.personBox(Endpoints.parseBox(box));
        ManagedChannel channel = registry.channel();
        try {
            var admin = registry.authorized(TaxonomyAdminGrpc.newBlockingStub(channel));
            var classes = admin.getTaxonomy(GetTaxonomyRequest.newBuilder().setName(taxonomy).build()).getClassesList();
            var client = registry.authorized(ClassificationGrpc.newBlockingStub(channel));
            long copy = 0;
            long[] classify = new long[classifyRequests];
            for (int i = -3; i < classifyRequests; i++) {
                ClassifyRequest request = ClassifyRequest.newBuilder().setTaxonomy(taxonomy)
                        .setImage(org.affectdml.proto.v1.Image.newBuilder().setData(com.google.protobuf.ByteString.copyFrom(
                                DistinctCopies.copy(photo, copy++)))).setBox(personBox).build();
                long t0 = System.nanoTime();
                client.classify(request);
                if (i >= 0) {
                    classify[i] = (System.nanoTime() - t0) / 1000;
                }
            }
            double p50 = RawOnnxRuntimeTiming.percentile(classify, 0.5) / 1e3;
            System.out.printf("Evaluation job benchmark: taxonomy %s (%d classes), %s, Classify p50 %.2f ms over %d calls%n",
                    taxonomy, classes.size(), image.getFileName(), p50, classifyRequests);
            List<String> ratios = new ArrayList<>();
            for (int n : counts) {
                long first = copy;
                copy += n;
                long t0 = System.nanoTime();
                EvaluationJob job = LabelledQueryUpload.upload(registry.authorized(TaxonomyAdminGrpc.newStub(channel)), taxonomy, 0.05f, n,
                        i -> LabelledQuery.newBuilder().setImage(org.affectdml.proto.v1.Image.newBuilder().setData(
                                        com.google.protobuf.ByteString.copyFrom(DistinctCopies.copy(photo, first + i))))
                                .setBox(personBox).setClassName(i % 5 == 4 ? "" : classes.get(i % classes.size()).getName()).build(),
                        sent -> { });
                long uploaded = System.nanoTime();
                job = TaxonomyCommand.Evaluate.awaitEnd(admin, job, 20, false);
                long ended = System.nanoTime();
                if (job.getState() != EvaluationJobState.EVALUATION_JOB_STATE_SUCCEEDED) {
                    System.err.println("error: evaluation job failed: " + job.getError());
                    return 1;
                }
                double seconds = (ended - t0) / 1e9;
                System.out.printf("  %5d queries: %7.2f s (upload %.2f s), %.2f ms per query, %d skipped%n", n, seconds,
                        (uploaded - t0) / 1e9, seconds * 1e3 / n, job.getQueriesSkipped());
                ratios.add(String.format(java.util.Locale.ROOT, "RATIO evaluation of %d queries / (%d x Classify p50) = %.3f", n, n,
                        seconds * 1e3 / (n * p50)));
            }
            ratios.forEach(System.out::println);
            return 0;
        } finally {
            channel.shutdownNow();
        }
    }
}
