package org.affectdml.cli;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import org.affectdml.proto.v1.CreateTaxonomyRequest;
import org.affectdml.proto.v1.DeleteTaxonomyRequest;
import org.affectdml.proto.v1.EmotionClass;
import org.affectdml.proto.v1.GetReembeddingStatusRequest;
import org.affectdml.proto.v1.GetTaxonomyRequest;
import org.affectdml.proto.v1.ListTaxonomiesRequest;
import org.affectdml.proto.v1.ListTaxonomiesResponse;
import org.affectdml.proto.v1.Taxonomy;
import org.affectdml.proto.v1.TaxonomyAdminGrpc;
import org.affectdml.proto.v1.TaxonomyKind;
import org.affectdml.proto.v1.RejectionRule;
import org.affectdml.proto.v1.RecommendedThreshold;
import org.affectdml.proto.v1.EvaluateTaxonomyRequest;
import org.affectdml.proto.v1.TaxonomyEvaluation;
import org.affectdml.proto.v1.UpdateTaxonomyRequest;
import picocli.CommandLine;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;

/** affect taxonomy create|update|evaluate|list|get|delete|reembedding (admin key). */
@CommandLine.Command(name = "taxonomy", mixinStandardHelpOptions = true, description = "Manage taxonomies (admin key).",
        subcommands = {TaxonomyCommand.Create.class, TaxonomyCommand.Update.class, TaxonomyCommand.Evaluate.class})
public class TaxonomyCommand {

    /** Runs one admin call and prints its result, or the status on failure. */
    static int admin(RegistryOptions registry, Function<TaxonomyAdminGrpc.TaxonomyAdminBlockingStub, String> call) {
        ManagedChannel channel = registry.channel();
        try {
            System.out.println(call.apply(registry.authorized(TaxonomyAdminGrpc.newBlockingStub(channel))));
            return 0;
        } catch (StatusRuntimeException e) {
            return Endpoints.fail(e);
        } finally {
            channel.shutdownNow();
        }
    }

    static String describe(Taxonomy t) {
        StringBuilder b = new StringBuilder(String.format("%s (%s, revision %d)%s%n", t.getName(),
                t.getKind().name().replace("TAXONOMY_KIND_", "").toLowerCase(), t.getRevision(),
                t.getDescription().isEmpty() ? "" : ": " + t.getDescription()));
        for (EmotionClass c : t.getClassesList()) {
            b.append(String.format("  %-24s %d support(s)%n", c.getName(), c.getSupportCount()));
        }
        if (t.hasRejection()) {
            var r = t.getRejection();
            b.append(String.format(java.util.Locale.ROOT, "  rejection: max distance %s, min margin %s%s (model %s, %s)%n",
                    r.getMaxDistance() == 0 ? "none" : r.getMaxDistance(), r.getMinMargin() == 0 ? "none" : r.getMinMargin(),
                    r.getClassMaxDistanceCount() == 0 ? "" : ", per class " + r.getClassMaxDistanceMap(), r.getModelVersion(),
                    r.getScoring().name().replace("SCORING_RULE_", "").toLowerCase()));
        }
        return b.toString().stripTrailing();
    }

    @CommandLine.Command(name = "create", mixinStandardHelpOptions = true, description = "Create a taxonomy with its classes.")
    static class Create implements Callable<Integer> {
        @CommandLine.Mixin
        RegistryOptions registry;
        @CommandLine.Parameters(index = "0", description = "name: a-z, 0-9, '.', '_', '-'")
        String name;
        @CommandLine.Option(names = "--class", required = true, description = "a class name; repeat for each class")
        List<String> classes;
        @CommandLine.Option(names = "--kind", defaultValue = "categorical", description = "categorical or level")
        String kind;
        @CommandLine.Option(names = "--description", defaultValue = "")
        String description;

        @Override
        public Integer call() {
            Taxonomy.Builder t = Taxonomy.newBuilder().setName(name).setDescription(description)
                    .setKind("level".equalsIgnoreCase(kind) ? TaxonomyKind.TAXONOMY_KIND_LEVEL : TaxonomyKind.TAXONOMY_KIND_CATEGORICAL);
            classes.forEach(c -> t.addClasses(EmotionClass.newBuilder().setName(c)));
            return admin(registry, s -> describe(s.createTaxonomy(CreateTaxonomyRequest.newBuilder().setTaxonomy(t).build())));
        }
    }

    @CommandLine.Command(name = "update", mixinStandardHelpOptions = true,
            description = "Change a taxonomy at its current revision: description, classes, rejection rule.")
    static class Update implements Callable<Integer> {
        @CommandLine.Mixin
        RegistryOptions registry;
        @CommandLine.Parameters(index = "0", paramLabel = "NAME")
        String name;
        @CommandLine.Option(names = "--revision", description = "the revision your change is based on (default: the current one)")
        Long revision;
        @CommandLine.Option(names = "--description")
        String description;
        @CommandLine.Option(names = "--add-class", description = "a class to add; repeat")
        List<String> addClasses = List.of();
        @CommandLine.Option(names = "--remove-class", description = "a class to remove with its supports; repeat")
        List<String> removeClasses = List.of();
        @CommandLine.Option(names = "--max-distance", description = "reject a query whose best class is farther (cosine distance)")
        Float maxDistance;
        @CommandLine.Option(names = "--min-margin", description = "reject a query whose best two classes are nearer than this")
        Float minMargin;
        @CommandLine.Option(names = "--class-max-distance", description = "CLASS=DISTANCE, a class's own threshold; repeat")
        java.util.Map<String, Float> classMaxDistance = java.util.Map.of();
        @CommandLine.Option(names = "--clear-rejection", description = "remove the rejection rule")
        boolean clearRejection;
        @CommandLine.Option(names = "--confirm-rejection", description = "bind the rule to the model version served now")
        boolean confirmRejection;
        @CommandLine.Option(names = "--apply-threshold", description = "best-f1 or false-accept: the latest evaluation's recommendation")
        String applyThreshold;

        @Override
        public Integer call() {
            return admin(registry, s -> {
                long at = revision != null ? revision : s.getTaxonomy(GetTaxonomyRequest.newBuilder().setName(name).build()).getRevision();
                UpdateTaxonomyRequest.Builder u = UpdateTaxonomyRequest.newBuilder().setName(name).setExpectedRevision(at)
                        .addAllRemoveClasses(removeClasses).setClearRejection(clearRejection).setConfirmRejection(confirmRejection);
                if (description != null) {
                    u.setDescription(description);
                }
                addClasses.forEach(c -> u.addAddClasses(EmotionClass.newBuilder().setName(c)));
                if (applyThreshold != null) {
                    u.setApplyThreshold("best-f1".equals(applyThreshold) ? RecommendedThreshold.RECOMMENDED_THRESHOLD_BEST_F1
                            : "false-accept".equals(applyThreshold) ? RecommendedThreshold.RECOMMENDED_THRESHOLD_FALSE_ACCEPT_RATE
                            : RecommendedThreshold.UNRECOGNIZED);
                }
                if (maxDistance != null || minMargin != null || !classMaxDistance.isEmpty()) {
                    u.setRejection(RejectionRule.newBuilder().setMaxDistance(maxDistance == null ? 0 : maxDistance)
                            .setMinMargin(minMargin == null ? 0 : minMargin).putAllClassMaxDistance(classMaxDistance));
                }
                return describe(s.updateTaxonomy(u.build()));
            });
        }
    }

    @CommandLine.Command(name = "evaluate", mixinStandardHelpOptions = true,
            description = "Evaluate a taxonomy from its supports: accuracy, confusion matrix, recommended thresholds.")
    static class Evaluate implements Callable<Integer> {
        @CommandLine.Mixin
        RegistryOptions registry;
        @CommandLine.Parameters(index = "0", paramLabel = "NAME")
        String name;
        @CommandLine.Option(names = "--target-false-accept-rate", defaultValue = "0.05")
        float target;

        @Override
        public Integer call() {
            return admin(registry, s -> report(s.evaluateTaxonomy(EvaluateTaxonomyRequest.newBuilder().setName(name)
                    .setTargetFalseAcceptRate(target).build())));
        }

        static String report(TaxonomyEvaluation e) {
            StringBuilder b = new StringBuilder(String.format(java.util.Locale.ROOT,
                    "%s revision %d, model %s: %d leave-one-out queries, accuracy %.3f, balanced accuracy %.3f%n",
                    e.getTaxonomy(), e.getTaxonomyRevision(), e.getModelVersion(), e.getQueries(), e.getAccuracy(), e.getBalancedAccuracy()));
            b.append(String.format("%-24s %8s %9s %7s   confusion (answered as: %s)%n", "class", "supports", "precision", "recall",
                    String.join(" ", e.getClassesList().stream().map(c -> c.getClassName()).toList())));
            for (int i = 0; i < e.getClassesCount(); i++) {
                var c = e.getClasses(i);
                b.append(String.format(java.util.Locale.ROOT, "%-24s %8d %9.3f %7.3f   %s%n", c.getClassName(), c.getSupports(),
                        c.getPrecision(), c.getRecall(), e.getConfusion(i).getCountsList()));
            }
            b.append(String.format(java.util.Locale.ROOT, "best-F1 threshold %.4f (F1 %.3f); within false-accept rate %.2f: %.4f "
                            + "(false accepts %.3f, true accepts %.3f)", e.getBestF1Threshold(), e.getBestF1(), e.getTargetFalseAcceptRate(),
                    e.getFalseAcceptThreshold(), e.getFalseAcceptRate(), e.getTrueAcceptRate()));
            return b.toString();
        }
    }

    @CommandLine.Command(name = "list", mixinStandardHelpOptions = true, description = "List taxonomies.")
    int list(@CommandLine.Mixin RegistryOptions registry) {
        return admin(registry, s -> Endpoints.allPages(
                token -> s.listTaxonomies(ListTaxonomiesRequest.newBuilder().setPageSize(200).setPageToken(token).build()),
                page -> page.getTaxonomiesList().stream().map(TaxonomyCommand::describe).toList(),
                ListTaxonomiesResponse::getNextPageToken, "(no taxonomies)"));
    }

    @CommandLine.Command(name = "get", mixinStandardHelpOptions = true, description = "Show a taxonomy.")
    int get(@CommandLine.Mixin RegistryOptions registry, @CommandLine.Parameters(paramLabel = "NAME") String name) {
        return admin(registry, s -> describe(s.getTaxonomy(GetTaxonomyRequest.newBuilder().setName(name).build())));
    }

    @CommandLine.Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a taxonomy and its supports.")
    int delete(@CommandLine.Mixin RegistryOptions registry, @CommandLine.Parameters(paramLabel = "NAME") String name) {
        return admin(registry, s -> "deleted " + name + " with "
                + s.deleteTaxonomy(DeleteTaxonomyRequest.newBuilder().setName(name).build()).getDeletedSupports() + " support(s)");
    }

    @CommandLine.Command(name = "reembedding", mixinStandardHelpOptions = true, description = "Progress of re-embedding supports with the active model.")
    int reembedding(@CommandLine.Mixin RegistryOptions registry) {
        return admin(registry, s -> {
            var r = s.getReembeddingStatus(GetReembeddingStatusRequest.getDefaultInstance());
            return String.format("model %s: %d of %d supports embedded, %d of %d taxonomies ready%s%s", r.getTargetModelVersion(),
                    r.getSamplesDone(), r.getSamplesTotal(), r.getTaxonomiesReady(), r.getTaxonomiesTotal(),
                    r.getRunning() ? " (running)" : "", r.getLastError().isEmpty() ? "" : "; last error: " + r.getLastError());
        });
    }
}
