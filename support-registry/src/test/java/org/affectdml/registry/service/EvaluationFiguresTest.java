package org.affectdml.registry.service;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EvaluationFiguresTest {

    /** Values of the exact binomial interval, from its closed forms and the beta quantiles (as R's binom.test gives them). */
    @Test
    void clopperPearsonBoundsAreExact() {
        // none of 12: upper = 1 - 0.025^(1/12)
        assertEquals(1 - Math.pow(0.025, 1.0 / 12), EvaluationFigures.clopperPearson95(0, 12)[1], 1e-9);
        assertEquals(0, EvaluationFigures.clopperPearson95(0, 12)[0]);
        // all of 12: lower = 0.025^(1/12)
        assertEquals(Math.pow(0.025, 1.0 / 12), EvaluationFigures.clopperPearson95(12, 12)[0], 1e-9);
        assertEquals(1, EvaluationFigures.clopperPearson95(12, 12)[1]);
        // 5 of 10: binom.test(5, 10)$conf.int = 0.1870860 0.8129140
        double[] half = EvaluationFigures.clopperPearson95(5, 10);
        assertEquals(0.1870860, half[0], 1e-6);
        assertEquals(0.8129140, half[1], 1e-6);
        assertTrue(Double.isNaN(EvaluationFigures.clopperPearson95(0, 0)[1]));
    }

    /** Twelve unknown queries, none within the threshold: a false-accept rate of 0 is reported with its bound of 26.5 %. */
    @Test
    void aZeroFalseAcceptRateComesWithItsUpperBound() {
        List<EvaluationFigures.Answer> answers = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            answers.add(new EvaluationFigures.Answer(i % 2, i % 2, 0.1f + i * 0.005f, "known-" + i));
        }
        for (int i = 0; i < 12; i++) {
            answers.add(new EvaluationFigures.Answer(EvaluationFigures.NO_CLASS, 0, 0.6f + i * 0.01f, "unknown-" + i));
        }
        EvaluationFigures.Report r = EvaluationFigures.of(answers, 2, 0.05);
        assertEquals(0, r.falseAcceptRate(), 1e-9);
        assertEquals(1, r.trueAcceptRate(), 1e-9);
        assertEquals(0.2646, r.falseAcceptUpper95(), 1e-4);
        assertEquals(Math.pow(0.025, 1.0 / 20), r.trueAcceptLower95(), 1e-9, "20 of 20 known queries accepted");
    }

    /**
     * Known answers, right and wrong, and unknown ones whose distances overlap, one image each: the best-F1 threshold
     * chosen on all of them is the best for those very answers, so its F1 there is higher than what thresholds chosen
     * the same way score on images they were not chosen on. The held-out figures must say so; reporting the in-sample
     * F1 as what to expect would be the old mistake.
     */
    @Test
    void heldOutRatesAreWorseThanInSampleOnesWhenTheChoiceOverfits() {
        java.util.Random random = new java.util.Random(17);
        List<EvaluationFigures.Answer> answers = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            boolean right = i % 3 != 0;
            answers.add(new EvaluationFigures.Answer(0, right ? 0 : 1, (float) ((right ? 0.3 : 0.45) + 0.15 * random.nextGaussian()),
                    "image-" + i));
            answers.add(new EvaluationFigures.Answer(EvaluationFigures.NO_CLASS, 0, (float) (0.6 + 0.15 * random.nextGaussian()),
                    "image-" + i));
        }
        EvaluationFigures.Report r = EvaluationFigures.of(answers, 2, 0.1);
        EvaluationFigures.HeldOut h = r.heldOut();
        assertEquals(5, h.folds());
        assertEquals(60, h.unknowns(), "every unknown query is scored once, in its own fold");
        assertEquals(60, h.known());
        assertTrue(h.f1() < r.f1() - 0.01, "held out the F1 is lower: " + h.f1() + " vs " + r.f1() + " in-sample");
        assertTrue(r.falseAcceptRate() <= 0.1 + 1e-6, "in-sample, the false-accept target is met: " + r.falseAcceptRate());
        assertEquals(EvaluationFigures.clopperPearson95((int) Math.round(h.falseAcceptRate() * 60), 60)[1], h.falseAcceptUpper95(), 1e-12);
    }

    @Test
    void withOneImageNothingIsHeldOut() {
        List<EvaluationFigures.Answer> answers = List.of(new EvaluationFigures.Answer(0, 0, 0.1f, "photo"),
                new EvaluationFigures.Answer(EvaluationFigures.NO_CLASS, 0, 0.5f, "photo"));
        EvaluationFigures.HeldOut h = EvaluationFigures.of(answers, 1, 0.1).heldOut();
        assertEquals(0, h.folds());
        assertTrue(Double.isNaN(h.falseAcceptRate()));
    }
}
