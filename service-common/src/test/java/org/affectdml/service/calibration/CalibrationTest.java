package org.affectdml.service.calibration;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The temperature fit and the calibration error, on answers whose true calibration is known. */
class CalibrationTest {

    @Test
    void probabilitiesAreTheSoftmaxOverTheClassesWithASupport() {
        double[] p = Calibration.probabilities(new double[]{-0.2, Double.NaN, -0.4}, 0.1);
        double e = Math.exp(-2);  // (−0.4 − (−0.2)) / 0.1
        assertArrayEquals(new double[]{1 / (1 + e), 0, e / (1 + e)}, p, 1e-12);
    }

    @Test
    void eceOfAHandMadeSet() {
        // two answers, both in the top bin: confidences 1/(1+e^-10) each (scores 0 and -1 at T 0.1), one right, one wrong
        List<Calibration.Scored> answers = List.of(new Calibration.Scored(new double[]{0, -1}, 0), new Calibration.Scored(new double[]{0, -1}, 1));
        double confidence = 1 / (1 + Math.exp(-10));
        assertEquals(Math.abs(0.5 - confidence), Calibration.expectedCalibrationError(answers, 0.1), 1e-12);
    }

    /**
     * Answers drawn from a model whose true temperature is 0.5: at the registry's 0.1 they are overconfident. Fitted on
     * one half, the temperature is near 0.5 and lowers the calibration error on the other half.
     */
    @Test
    void aFittedTemperatureRecoversTheTrueOneAndLowersTheErrorOnOtherAnswers() {
        Random random = new Random(7);
        List<Calibration.Scored> fitOn = sample(random, 4000, 0.5);
        List<Calibration.Scored> heldOut = sample(random, 4000, 0.5);
        double fitted = Calibration.fitTemperature(fitOn);
        assertEquals(0.5, fitted, 0.05, "the true temperature");
        double before = Calibration.expectedCalibrationError(heldOut, Calibration.DEFAULT_TEMPERATURE);
        double after = Calibration.expectedCalibrationError(heldOut, fitted);
        assertTrue(before > 0.1 && after < 0.03 && after < before / 3, "ECE before " + before + ", after " + after);
        assertTrue(Calibration.negativeLogLikelihood(heldOut, fitted) < Calibration.negativeLogLikelihood(heldOut, 0.1));
    }

    /** Four classes, scores uniform in [-1, 0]; the true class drawn from softmax(scores / T). */
    private static List<Calibration.Scored> sample(Random random, int n, double temperature) {
        List<Calibration.Scored> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double[] s = new double[4];
            for (int c = 0; c < 4; c++) {
                s[c] = -random.nextDouble();
            }
            double[] p = Calibration.probabilities(s, temperature);
            double u = random.nextDouble();
            int truth = 0;
            for (double acc = p[0]; acc < u && truth < 3; acc += p[++truth]) {
                // walk the cumulative distribution
            }
            out.add(new Calibration.Scored(s, truth));
        }
        return out;
    }
}
