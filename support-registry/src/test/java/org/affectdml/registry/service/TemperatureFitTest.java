package org.affectdml.registry.service;

import org.affectdml.proto.v1.ScoringRule;
import org.affectdml.proto.v1.TemperatureSource;
import org.affectdml.registry.model.TaxonomyEntity;
import org.affectdml.service.calibration.Calibration;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A taxonomy's temperature: which answers it is fitted on, the cross-fitted check, and which temperature wins. */
class TemperatureFitTest {

    private static final Temperatures.Chosen CONFIGURED = new Temperatures.Chosen(0.1, TemperatureSource.TEMPERATURE_SOURCE_CONFIGURED);

    @Test
    void supportsAreAskedAgainstOtherImagesOnlyAndOneSupportPerClassGivesNothingToFitOn() {
        // class 0: images a and b; class 1: image c and a second box in image a
        float[][] e = {{1, 0}, {0.8f, 0.6f}, {0, 1}, {0.6f, 0.8f}};
        var supports = new LeaveOneOutEvaluator.Supports(e, new int[]{0, 0, 1, 1}, 2, new String[]{"a", "b", "c", "a"});
        TemperatureFit.Folded folded = TemperatureFit.ofSupports(supports, 5);
        assertEquals(3, folded.count(), "three images");
        List<Calibration.Scored> all = folded.all();
        assertEquals(4, all.size(), "every support has its class in another image");
        // support 0 (image a) sees b (class 0, cos 0.8) and c (class 1, cos 0); not its own image's support 3
        assertArrayEquals(new double[]{-2 * (1 - 0.8), -2 * (1 - 0.0)}, all.get(0).negativeSquaredDistances(), 1e-6);
        // support 3 (image a, class 1) sees b (class 0, cos 0.96) and c (class 1, cos 0.8)
        assertArrayEquals(new double[]{-2 * (1 - 0.96), -2 * (1 - 0.8)}, all.get(3).negativeSquaredDistances(), 1e-6);
        // folds in sha256 order: a -> 0, b -> 1, c -> 2. Fold 0 (image a) is scored against b and c only; the fit of
        // its round uses b's and c's supports among themselves: b sees only c (class 1), so b's own class is missing
        // and b gives no answer; c sees only b (class 0): no answer either
        assertEquals(2, folded.scoring(0).size());
        assertArrayEquals(new double[]{-2 * (1 - 0.8), -2 * (1 - 0.0)}, folded.scoring(0).get(0).negativeSquaredDistances(), 1e-6);
        assertEquals(List.of(), folded.fitting(0), "no distance to a scored support enters the fit");
        // fold 1 (image b) against a and c (class 1 nearest: a's second box, cos 0.96); fitted on a's and c's supports
        // among themselves: c against a (both classes), a's class-1 box against c (class 0 absent: b is out)
        assertArrayEquals(new double[]{-2 * (1 - 0.8), -2 * (1 - 0.96)}, folded.scoring(1).get(0).negativeSquaredDistances(), 1e-6);
        List<Calibration.Scored> fittingB = folded.fitting(1);
        assertEquals(2, fittingB.size());
        assertArrayEquals(new double[]{-2 * (1 - 0.0), -2 * (1 - 0.8)}, fittingB.get(0).negativeSquaredDistances(), 1e-6);
        assertTrue(Double.isNaN(fittingB.get(1).negativeSquaredDistances()[0]), "b, the only other class-0 image, is out");

        var onePerClass = new LeaveOneOutEvaluator.Supports(new float[][]{{1, 0}, {0, 1}}, new int[]{0, 1}, 2, new String[]{"a", "b"});
        TemperatureFit.Folded nothing = TemperatureFit.ofSupports(onePerClass, 5);
        assertEquals(List.of(), nothing.all(), "no support has its class elsewhere");
        TemperatureFit.Figures none = TemperatureFit.fit(nothing, CONFIGURED);
        assertEquals(0, none.answers());
        assertTrue(Double.isNaN(none.temperature()) && Double.isNaN(none.eceHeldOut()) && Double.isNaN(none.eceInForce()), none.toString());
    }

    @Test
    void answersAllRightWithAMarginFitAtTheLowerEndAndSaySo() {
        float[][] e = {{1, 0}, {0.99f, 0.141f}, {0, 1}, {0.141f, 0.99f}};
        var separated = new LeaveOneOutEvaluator.Supports(e, new int[]{0, 0, 1, 1}, 2, new String[]{"a", "b", "c", "d"});
        TemperatureFit.Figures f = TemperatureFit.fit(TemperatureFit.ofSupports(separated, 5), CONFIGURED);
        assertEquals(4, f.answers());
        assertTrue(f.atLowerBound() && f.temperature() < 1.01 * Calibration.LOWEST_TEMPERATURE, f.toString());
    }

    @Test
    void onAnswersDrawnAtAKnownTemperatureTheFitFindsItAndTheCrossFitShowsTheCalibrationError() {
        // answers whose classes are drawn from softmax(-d^2 / 0.5): at the configured 0.1 they are over-confident
        Random random = new Random(11);
        List<TemperatureFit.Answer> answers = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            double[] scores = new double[4];
            for (int c = 0; c < scores.length; c++) {
                scores[c] = -2 * 2 * random.nextDouble();  // cosine distances in [0, 2]
            }
            double[] p = Calibration.probabilities(scores, 0.5);
            double u = random.nextDouble();
            int truth = 0;
            for (double acc = p[0]; acc < u && truth < p.length - 1; acc += p[++truth]) {
                // walk the cumulative distribution
            }
            answers.add(new TemperatureFit.Answer(new Calibration.Scored(scores, truth), "image-" + (i / 3)));
        }
        TemperatureFit.Folded folded = TemperatureFit.ofQueries(answers, 5);
        TemperatureFit.Figures f = TemperatureFit.fit(folded, CONFIGURED);
        assertEquals(5, f.folds());
        assertEquals(3000, f.answers());
        assertEquals(0.5, f.temperature(), 0.1, "the temperature the answers were drawn at");
        assertTrue(!f.atLowerBound());
        assertTrue(f.eceInForce() > 0.15, "over-confident at 0.1: " + f);
        assertTrue(f.eceHeldOut() < f.eceInForce() / 3, "calibrated on other folds: " + f);
        // the cross-fit scores each fold at a temperature fitted without it: not the in-sample figure
        double inSample = Calibration.expectedCalibrationError(folded.all(), f.temperature());
        assertTrue(f.eceHeldOut() != inSample, "cross-fitted " + f.eceHeldOut() + " vs in-sample " + inSample);
        for (int fold = 0; fold < 5; fold++) {
            assertEquals(3000, folded.fitting(fold).size() + folded.scoring(fold).size(), "each query on one side of fold " + fold);
        }
    }

    @Test
    void theTaxonomysTemperatureWinsForItsVersionAndScoringThenTheBundlesThenTheConfiguredOne() {
        TaxonomyEntity t = new TaxonomyEntity();
        OptionalDouble bundle = OptionalDouble.of(0.3);
        assertEquals(new Temperatures.Chosen(0.3, TemperatureSource.TEMPERATURE_SOURCE_BUNDLE),
                Temperatures.choose(t, "v1", ScoringRule.SCORING_RULE_NEAREST_SUPPORT, bundle, 0.1));
        assertEquals(CONFIGURED, Temperatures.choose(t, "v1", ScoringRule.SCORING_RULE_NEAREST_SUPPORT, OptionalDouble.empty(), 0.1));
        for (double unusable : new double[]{0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertEquals(CONFIGURED, Temperatures.choose(t, "v1", ScoringRule.SCORING_RULE_NEAREST_SUPPORT, OptionalDouble.of(unusable), 0.1));
        }

        Temperatures.set(t, 0.02, "v1", ScoringRule.SCORING_RULE_UNSPECIFIED);
        assertEquals(new Temperatures.Chosen(0.02, TemperatureSource.TEMPERATURE_SOURCE_TAXONOMY),
                Temperatures.choose(t, "v1", ScoringRule.SCORING_RULE_NEAREST_SUPPORT, bundle, 0.1), "unspecified scoring is nearest support");
        assertEquals(TemperatureSource.TEMPERATURE_SOURCE_BUNDLE,
                Temperatures.choose(t, "v2", ScoringRule.SCORING_RULE_NEAREST_SUPPORT, bundle, 0.1).source(), "fitted for another version");
        assertEquals(TemperatureSource.TEMPERATURE_SOURCE_BUNDLE,
                Temperatures.choose(t, "v1", ScoringRule.SCORING_RULE_MEAN_PROTOTYPE, bundle, 0.1).source(), "fitted for another scoring rule");
        Temperatures.clear(t);
        assertEquals(TemperatureSource.TEMPERATURE_SOURCE_BUNDLE,
                Temperatures.choose(t, "v1", ScoringRule.SCORING_RULE_NEAREST_SUPPORT, bundle, 0.1).source());
    }
}
