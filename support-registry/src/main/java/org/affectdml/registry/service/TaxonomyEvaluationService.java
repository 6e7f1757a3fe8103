package org.affectdml.registry.service;

import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.affectdml.proto.v1.ClassFigures;
import org.affectdml.proto.v1.ConfusionRow;
import org.affectdml.proto.v1.EvaluateTaxonomyRequest;
import org.affectdml.proto.v1.ScoringRule;
import org.affectdml.proto.v1.TaxonomyEvaluation;
import org.affectdml.registry.RegistryConfig;
import org.affectdml.registry.model.EmotionClassEntity;
import org.affectdml.registry.model.SupportEmbeddingEntity;
import org.affectdml.registry.model.TaxonomyEntity;
import org.affectdml.registry.repository.SupportEmbeddingRepository;
import org.affectdml.registry.repository.TaxonomyEvaluationRepository;
import org.affectdml.service.errors.Errors;

import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * EvaluateTaxonomy: the leave-one-out evaluation of a taxonomy's supports in the version it is served with
 * ({@link LeaveOneOutEvaluator}), stored with the revision, version and scoring rule it was computed on.
 */
@ApplicationScoped
public class TaxonomyEvaluationService {

    private static final float DEFAULT_TARGET_FALSE_ACCEPT_RATE = 0.05f;

    @Inject
    TaxonomyService taxonomies;
    @Inject
    ServingVersions versions;
    @Inject
    SupportEmbeddingRepository embeddings;
    @Inject
    TaxonomyEvaluationRepository evaluations;
    @Inject
    RegistryConfig config;

    public TaxonomyEvaluation evaluate(EvaluateTaxonomyRequest request) {
        float target = request.getTargetFalseAcceptRate() == 0 ? DEFAULT_TARGET_FALSE_ACCEPT_RATE : request.getTargetFalseAcceptRate();
        if (!(target > 0 && target < 1)) {
            throw Errors.invalidArgument("target_false_accept_rate must be in (0, 1) (0 = 0.05), got " + request.getTargetFalseAcceptRate());
        }
        List<String> candidates = versions.candidates();
        return QuarkusTransaction.requiringNew().call(() -> {
            TaxonomyEntity t = taxonomies.require(request.getName());
            String version = versions.requirePick(t.name, candidates, "wait for re-embedding (GetReembeddingStatus)");
            List<SupportEmbeddingEntity> rows = embeddings.list("taxonomyId = ?1 and key.modelVersion = ?2", t.id, version);
            if (rows.size() > config.evaluationMaxSupports()) {
                throw Errors.failedPrecondition("taxonomy '" + t.name + "' has " + rows.size() + " supports; EvaluateTaxonomy compares "
                        + "every pair and takes at most " + config.evaluationMaxSupports() + " (affect.registry.evaluation-max-supports)");
            }
            Map<Long, Integer> index = new HashMap<>();
            for (EmotionClassEntity c : t.classes) {
                index.put(c.id, index.size());
            }
            float[][] vectors = new float[rows.size()][];
            int[] classOf = new int[rows.size()];
            for (int i = 0; i < rows.size(); i++) {
                vectors[i] = rows.get(i).embedding;
                classOf[i] = index.get(rows.get(i).classId);
            }
            LeaveOneOutEvaluator.Report r = LeaveOneOutEvaluator.evaluate(
                    new LeaveOneOutEvaluator.Supports(vectors, classOf, t.classes.size()), target);
            if (r.queries() == 0) {
                throw Errors.failedPrecondition("taxonomy '" + t.name + "' has no class with two supports: leave-one-out has nothing "
                        + "to ask (add a second support to a class)");
            }
            TaxonomyEvaluation evaluation = message(t, version, target, r);
            evaluations.store(t.id, evaluation);
            return evaluation;
        });
    }

    private static TaxonomyEvaluation message(TaxonomyEntity t, String version, float target, LeaveOneOutEvaluator.Report r) {
        TaxonomyEvaluation.Builder e = TaxonomyEvaluation.newBuilder().setTaxonomy(t.name).setTaxonomyRevision(t.revision)
                .setModelVersion(version).setScoring(ScoringRule.SCORING_RULE_NEAREST_SUPPORT).setCreated(OffsetDateTime.now().toString())
                .setQueries(r.queries()).setAccuracy(r.accuracy()).setBalancedAccuracy(r.balancedAccuracy())
                .setBestF1Threshold(r.f1Threshold()).setBestF1(r.f1()).setTargetFalseAcceptRate(target)
                .setFalseAcceptThreshold(r.falseAcceptThreshold()).setFalseAcceptRate(r.falseAcceptRate())
                .setTrueAcceptRate(r.trueAcceptRate());
        for (float d : r.correctDistances()) {
            e.addCorrectDistances(d);
        }
        for (float d : r.wrongDistances()) {
            e.addWrongDistances(d);
        }
        for (float d : r.unknownDistances()) {
            e.addUnknownDistances(d);
        }
        for (int c = 0; c < t.classes.size(); c++) {
            String name = t.classes.get(c).name;
            e.addClasses(ClassFigures.newBuilder().setClassName(name).setSupports(r.queriesPerClass()[c])
                    .setPrecision(r.precision()[c]).setRecall(r.recall()[c]));
            ConfusionRow.Builder row = ConfusionRow.newBuilder().setClassName(name);
            for (int count : r.confusion()[c]) {
                row.addCounts(count);
            }
            e.addConfusion(row);
        }
        return e.build();
    }
}
