package org.affectdml.registry.service;

import org.affectdml.proto.v1.RejectionRule;
import org.affectdml.proto.v1.ScoringRule;
import org.affectdml.registry.model.EmotionClassEntity;
import org.affectdml.registry.model.TaxonomyEntity;
import org.affectdml.registry.repository.SupportEmbeddingRepository.ClassDistance;
import org.affectdml.service.errors.Errors;
import org.affectdml.service.errors.Inputs;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The open-set rule of a taxonomy: checking and storing one, and judging a ranked query by it. A query is unknown
 * when its best class is farther than that class's threshold, or nearer than the minimum margin to the runner-up.
 */
final class RejectionRules {

    /** The judgement of one ranked query. {@code thresholds}: per ranked class, the distance limit that applied (0: none). */
    record Verdict(boolean unknown, String reason, boolean stale, List<String> accepted, float[] thresholds) {
    }

    private static final double MAX_DISTANCE = 2;  // cosine distance

    private RejectionRules() {
    }

    static ScoringRule scoringOf(ScoringRule requested) {
        return requested == ScoringRule.SCORING_RULE_UNSPECIFIED ? ScoringRule.SCORING_RULE_NEAREST_SUPPORT : requested;
    }

    /** Stores {@code rule} on the taxonomy (whose classes are final for this change), bound to {@code version}. */
    static void set(TaxonomyEntity t, RejectionRule rule, String version) {
        requireDistance("max_distance", rule.getMaxDistance());
        requireDistance("min_margin", rule.getMinMargin());
        if (rule.getScoring() == ScoringRule.UNRECOGNIZED) {
            throw Errors.invalidArgument("rejection.scoring is not a ScoringRule this service knows");
        }
        Map<String, Float> classMaxDistance = new java.util.HashMap<>();  // by the classes' stored (NFC) names
        for (Map.Entry<String, Float> e : rule.getClassMaxDistanceMap().entrySet()) {
            String stored = TaxonomyService.requireClass(t, e.getKey()).name;
            requireDistance("class_max_distance of " + Inputs.quoted(e.getKey()), e.getValue());
            if (classMaxDistance.put(stored, e.getValue()) != null) {
                throw Errors.invalidArgument("class_max_distance names class " + Inputs.quoted(stored) + " twice (in two spellings)");
            }
        }
        if (rule.getMaxDistance() == 0 && rule.getMinMargin() == 0 && rule.getClassMaxDistanceCount() == 0) {
            throw Errors.invalidArgument("the rejection rule sets no limit: give max_distance, min_margin or class_max_distance "
                    + "(or clear_rejection to remove the rule)");
        }
        t.rejectMaxDistance = rule.getMaxDistance() == 0 ? null : rule.getMaxDistance();
        t.rejectMinMargin = rule.getMinMargin() == 0 ? null : rule.getMinMargin();
        t.rejectModelVersion = version;
        t.rejectScoring = scoringOf(rule.getScoring()).name();
        for (EmotionClassEntity c : t.classes) {
            c.maxDistance = classMaxDistance.get(c.name);
        }
    }

    /** The stored rule as the API shows it (the taxonomy must have one). */
    static RejectionRule toProto(TaxonomyEntity t) {
        RejectionRule.Builder rule = RejectionRule.newBuilder()
                .setMaxDistance(t.rejectMaxDistance == null ? 0 : t.rejectMaxDistance)
                .setMinMargin(t.rejectMinMargin == null ? 0 : t.rejectMinMargin)
                .setModelVersion(t.rejectModelVersion)
                .setScoring(ScoringRule.valueOf(t.rejectScoring));
        for (EmotionClassEntity c : t.classes) {
            if (c.maxDistance != null) {
                rule.putClassMaxDistance(c.name, c.maxDistance);
            }
        }
        return rule.build();
    }

    static void clear(TaxonomyEntity t) {
        t.rejectMaxDistance = null;
        t.rejectMinMargin = null;
        t.rejectModelVersion = null;
        t.rejectScoring = null;
        t.classes.forEach(c -> c.maxDistance = null);
    }

    /** Re-binds the thresholds to the version the taxonomy is served with now (their scoring rule stays). */
    static void confirm(TaxonomyEntity t, String version) {
        if (!t.hasRejectionRule()) {
            throw Errors.failedPrecondition("taxonomy '" + t.name + "' has no rejection rule to confirm");
        }
        t.rejectModelVersion = version;
    }

    /** Multi-label answers need distance thresholds (a margin alone accepts nothing). */
    static void requireThresholds(TaxonomyEntity t) {
        if (!t.hasRejectionRule() || t.rejectMaxDistance == null && t.classes.stream().allMatch(c -> c.maxDistance == null)) {
            throw Errors.failedPrecondition("multi_label needs a rejection rule with distance thresholds on taxonomy '" + t.name
                    + "' (UpdateTaxonomy: rejection.max_distance or class_max_distance)");
        }
    }

    private static void requireDistance(String what, float value) {
        if (!(value >= 0 && value <= MAX_DISTANCE)) {
            throw Errors.invalidArgument(what + " must be a cosine distance in [0, 2] (0 = no limit), got " + value);
        }
    }

    /**
     * Judges a query ranked best first: with a rule, whether it is unknown and why, and (multi-label) every class within
     * its threshold. Without a rule the answer is as before: known, nothing accepted.
     */
    static Verdict judge(TaxonomyEntity t, List<ClassDistance> ranked, Map<Long, EmotionClassEntity> classes, String version,
                         ScoringRule scoring, boolean multiLabel) {
        float[] thresholds = new float[ranked.size()];
        if (multiLabel) {
            requireThresholds(t);
        }
        if (!t.hasRejectionRule()) {
            return new Verdict(false, "", false, List.of(), thresholds);
        }
        boolean stale = !t.rejectModelVersion.equals(version) || !t.rejectScoring.equals(scoringOf(scoring).name());
        List<String> accepted = new ArrayList<>();
        for (int i = 0; i < ranked.size(); i++) {
            EmotionClassEntity c = classes.get(ranked.get(i).classId());
            Float limit = c.maxDistance != null ? c.maxDistance : t.rejectMaxDistance;
            thresholds[i] = limit == null ? 0 : limit;
            if (limit != null && ranked.get(i).distance() <= limit) {
                accepted.add(c.name);
            }
        }
        String reason = "";
        ClassDistance best = ranked.get(0);
        String bestName = classes.get(best.classId()).name;
        if (thresholds[0] > 0 && best.distance() > thresholds[0]) {
            reason = String.format(Locale.ROOT, "best class '%s' is at distance %.4f, farther than its threshold %.4f",
                    bestName, best.distance(), thresholds[0]);
        } else if (t.rejectMinMargin != null && ranked.size() > 1
                && ranked.get(1).distance() - best.distance() < t.rejectMinMargin) {
            reason = String.format(Locale.ROOT, "best class '%s' (%.4f) is within %.4f of '%s' (%.4f), less than the minimum margin %.4f",
                    bestName, best.distance(), ranked.get(1).distance() - best.distance(), classes.get(ranked.get(1).classId()).name,
                    ranked.get(1).distance(), t.rejectMinMargin);
        }
        return new Verdict(!reason.isEmpty(), reason, stale, multiLabel ? accepted : List.of(), thresholds);
    }
}
