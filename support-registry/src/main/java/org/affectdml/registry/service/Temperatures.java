package org.affectdml.registry.service;

import org.affectdml.proto.v1.ScoringRule;
import org.affectdml.proto.v1.TaxonomyTemperature;
import org.affectdml.proto.v1.TemperatureSource;
import org.affectdml.registry.model.TaxonomyEntity;
import org.affectdml.service.calibration.Calibration;

import java.util.OptionalDouble;

/**
 * The temperature T of Classify's probabilities, softmax over classes of −d²/T (d² = 2 × cosine distance, the Bayes
 * reading of paper Eq. 8-10), and which one wins: the taxonomy's own, fitted on its held-out answers, when Classify
 * answers with the model version and scoring rule it was fitted with; else the served bundle's, fitted by the trainer
 * on its validation persons; else the configured one.
 */
final class Temperatures {

    /** A temperature and where it comes from. */
    record Chosen(double value, TemperatureSource source) {
    }

    private Temperatures() {
    }

    /**
     * The temperature for an answer of taxonomy {@code t} with {@code version} and {@code scoring}; {@code bundle}: the
     * calibrated temperature of that version's manifest, when known.
     */
    static Chosen choose(TaxonomyEntity t, String version, ScoringRule scoring, OptionalDouble bundle, double configured) {
        if (t.temperature != null && t.temperatureModelVersion.equals(version)
                && t.temperatureScoring.equals(RejectionRules.scoringOf(scoring).name())) {
            return new Chosen(t.temperature, TemperatureSource.TEMPERATURE_SOURCE_TAXONOMY);
        }
        if (bundle.isPresent() && usable(bundle.getAsDouble())) {
            return new Chosen(bundle.getAsDouble(), TemperatureSource.TEMPERATURE_SOURCE_BUNDLE);
        }
        return new Chosen(configured, TemperatureSource.TEMPERATURE_SOURCE_CONFIGURED);
    }

    /** A temperature a softmax can use: finite and above 0. */
    static boolean usable(double temperature) {
        return temperature > 0 && Double.isFinite(temperature);
    }

    /** The classes' probabilities from their cosine distances at temperature {@code temperature}. */
    static double[] probabilities(double[] cosineDistances, double temperature) {
        double[] negativeSquared = new double[cosineDistances.length];
        for (int i = 0; i < negativeSquared.length; i++) {
            negativeSquared[i] = -2 * cosineDistances[i];
        }
        return Calibration.probabilities(negativeSquared, temperature);
    }

    static void set(TaxonomyEntity t, double value, String version, ScoringRule scoring) {
        t.temperature = value;
        t.temperatureModelVersion = version;
        t.temperatureScoring = RejectionRules.scoringOf(scoring).name();
    }

    static void clear(TaxonomyEntity t) {
        t.temperature = null;
        t.temperatureModelVersion = null;
        t.temperatureScoring = null;
    }

    /** The taxonomy's own temperature as the API shows it; null when it has none. */
    static TaxonomyTemperature toProto(TaxonomyEntity t) {
        return t.temperature == null ? null : TaxonomyTemperature.newBuilder().setValue(t.temperature)
                .setModelVersion(t.temperatureModelVersion).setScoring(ScoringRule.valueOf(t.temperatureScoring)).build();
    }
}
