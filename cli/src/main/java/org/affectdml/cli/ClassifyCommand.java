package org.affectdml.cli;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import org.affectdml.proto.v1.ClassScore;
import org.affectdml.proto.v1.ClassificationGrpc;
import org.affectdml.proto.v1.ClassifyRequest;
import org.affectdml.proto.v1.ClassifyResponse;
import org.affectdml.proto.v1.ScoringRule;
import picocli.CommandLine;

import java.util.concurrent.Callable;

/** affect classify --taxonomy T image.jpg --box x1,y1,x2,y2 */
@CommandLine.Command(name = "classify", mixinStandardHelpOptions = true,
        description = "Which class of a taxonomy does the person in the box show? (client or admin key)")
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

    @Override
    public Integer call() throws Exception {
        ManagedChannel channel = registry.channel();
        try {
            ClassifyResponse r = registry.authorized(ClassificationGrpc.newBlockingStub(channel)).classify(ClassifyRequest.newBuilder()
                    .setTaxonomy(taxonomy).setTopK(topK)
                    .setScoring(prototype ? ScoringRule.SCORING_RULE_MEAN_PROTOTYPE : ScoringRule.SCORING_RULE_NEAREST_SUPPORT)
                    .setImage(photo.protoImage())
                    .setBox(photo.personBox()).build());
            System.out.printf("taxonomy %s (revision %d), model %s%n", taxonomy, r.getTaxonomyRevision(), r.getModelVersion());
            System.out.printf("  %-24s %10s %12s%n", "class", "distance", "probability");
            for (ClassScore c : r.getClassesList()) {
                System.out.printf("  %-24s %10.4f %12.4f%n", c.getClassName(), c.getDistance(), c.getProbability());
            }
            return 0;
        } catch (StatusRuntimeException e) {
            return Endpoints.fail(e);
        } finally {
            channel.shutdownNow();
        }
    }
}
