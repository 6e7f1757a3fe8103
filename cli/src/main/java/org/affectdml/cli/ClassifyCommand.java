package org.affectdml.cli;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import org.affectdml.proto.v1.ClassScore;
import org.affectdml.proto.v1.ClassificationGrpc;
import org.affectdml.proto.v1.ClassifyPersonsRequest;
import org.affectdml.proto.v1.ClassifyPersonsResponse;
import org.affectdml.proto.v1.ClassifyRequest;
import org.affectdml.proto.v1.ClassifyResponse;
import org.affectdml.proto.v1.ScoringRule;
import picocli.CommandLine;

import java.util.concurrent.Callable;

/** affect classify --taxonomy T image.jpg --box x1,y1,x2,y2 [--box ...] */
@CommandLine.Command(name = "classify", mixinStandardHelpOptions = true,
        description = "Which class of a taxonomy does the person in each box show? Several --box: one ClassifyPersons "
                + "call (the image is processed once). (client or admin key)")
public class ClassifyCommand implements Callable<Integer> {

    @CommandLine.Mixin
    RegistryOptions registry;

    @CommandLine.Option(names = "--taxonomy", required = true)
    String taxonomy;

    @CommandLine.Mixin
    PersonPhoto photo;

    @CommandLine.Option(names = "--top-k", defaultValue = "0", description = "classes to show; 0 = all")
    int topK;

    @CommandLine.Option(names = "--prototype", description = "score by the mean of each class's supports instead of the nearest one")
    boolean prototype;

    @CommandLine.Option(names = "--explain", description = "also show each class's nearest supports and the scene classes")
    boolean explain;

    @CommandLine.Option(names = "--multi-label", description = "also name every class within its threshold (needs a rejection rule)")
    boolean multiLabel;

    @Override
    public Integer call() throws Exception {
        ManagedChannel channel = registry.channel();
        ScoringRule scoring = prototype ? ScoringRule.SCORING_RULE_MEAN_PROTOTYPE : ScoringRule.SCORING_RULE_NEAREST_SUPPORT;
        try {
            var stub = registry.authorized(ClassificationGrpc.newBlockingStub(channel));
            if (photo.boxes.size() == 1) {
                ClassifyResponse r = stub.classify(ClassifyRequest.newBuilder().setTaxonomy(taxonomy).setTopK(topK)
                        .setScoring(scoring).setExplain(explain).setMultiLabel(multiLabel)
                        .setImage(photo.protoImage()).setBox(photo.personBox()).build());
                System.out.printf("taxonomy %s (revision %d), model %s%n", taxonomy, r.getTaxonomyRevision(), r.getModelVersion());
                print(r);
                return 0;
            }
            ClassifyPersonsResponse r = stub.classifyPersons(ClassifyPersonsRequest.newBuilder().setTaxonomy(taxonomy)
                    .setTopK(topK).setScoring(scoring).setExplain(explain).setMultiLabel(multiLabel)
                    .setImage(photo.protoImage()).addAllBoxes(photo.personBoxes()).build());
            System.out.printf("taxonomy %s (revision %d), model %s%n", taxonomy, r.getTaxonomyRevision(), r.getModelVersion());
            boolean allAnswered = true;
            for (int i = 0; i < r.getPersonsCount(); i++) {
                System.out.printf("person %d (box %s)%n", i, photo.boxes.get(i));
                if (r.getPersons(i).hasError()) {
                    System.out.printf("  %s: %s%n", r.getPersons(i).getError().getCode(), r.getPersons(i).getError().getMessage());
                    allAnswered = false;
                } else {
                    print(r.getPersons(i).getClassification());
                }
            }
            // Some boxes refused: the bad-input exit code, so scripts notice.
            return allAnswered ? 0 : CommandLineSetup.BAD_INPUT;
        } catch (StatusRuntimeException e) {
            return Endpoints.fail(e);
        } finally {
            channel.shutdownNow();
        }
    }

    private static void print(ClassifyResponse r) {
        if (r.getUnknown()) {
            System.out.printf("  unknown: %s%n", r.getUnknownReason());
        }
        if (r.getRejectionStale()) {
            System.out.println("  (the rejection rule was set for another model version or scoring rule: re-evaluate or confirm it)");
        }
        if (r.getAcceptedClassesCount() > 0) {
            System.out.printf("  within their thresholds: %s%n", String.join(", ", r.getAcceptedClassesList()));
        }
        System.out.printf(java.util.Locale.ROOT, "  %-24s %10s %12s (temperature %s, %s)%n", "class", "distance", "probability",
                TaxonomyCommand.temperature(r.getTemperature()), r.getTemperatureSource().name().replace("TEMPERATURE_SOURCE_", "").toLowerCase(java.util.Locale.ROOT));
        for (int i = 0; i < r.getClassesCount(); i++) {
            ClassScore c = r.getClasses(i);
            System.out.printf("  %-24s %10.4f %12.4f%n", c.getClassName(), c.getDistance(), c.getProbability());
            if (r.hasExplanation() && i < r.getExplanation().getClassesCount()) {
                for (var s : r.getExplanation().getClasses(i).getNearestSupportsList()) {
                    StringBuilder streams = new StringBuilder();
                    for (var st : s.getStreamsList()) {
                        streams.append(streams.isEmpty() ? "; alike in " : ", ").append(String.format(java.util.Locale.ROOT, "%s %.3f",
                                st.getStream().name().replace("STREAM_", "").toLowerCase(), st.getSimilarity()));
                    }
                    System.out.printf("      support %s at %.4f%s%n", s.getSupportId(), s.getDistance(), streams);
                }
            }
        }
        if (r.hasExplanation() && r.getExplanation().getSceneClassesCount() > 0) {
            StringBuilder scene = new StringBuilder();
            for (var c : r.getExplanation().getSceneClassesList()) {
                scene.append(scene.isEmpty() ? "" : ", ").append(String.format(java.util.Locale.ROOT, "%s %.0f%%", c.getName(), 100 * c.getPixelShare()));
            }
            System.out.printf("  scene: %s%n", scene);
        }
    }
}
