package org.affectdml.trainer.dml;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The worked example of docs/method.md §7.5 (a numpy transcription of pytorch-metric-learning). */
class MetricLearningWorkedExampleTest {

    static final double[][] X = {
            {1.0, 0.2, 0.0}, {0.8, 0.6, 0.1}, {0.9, -0.1, 0.3}, {0.1, 1.0, 0.0},
            {0.4, 0.9, 0.2}, {0.0, 0.3, 1.0}, {0.2, 0.1, 0.9}};
    static final int[] Y = {0, 0, 0, 1, 1, 2, 2};

    private static List<String> pairs(List<int[]> p) {
        return p.stream().map(a -> "(" + a[0] + "," + a[1] + ")").toList();
    }

    @Test
    void cosineSimilarityMatchesTheTable() {
        double[][] s = Embeddings.cosineSimilarity(X);
        assertEquals(0.897657, s[0][1], 1e-6);
        assertEquals(-0.010431, s[2][3], 1e-6);
        assertEquals(0.960551, s[5][6], 1e-6);
        assertEquals(0.871287, s[1][4], 1e-6);
    }

    @Test
    void minerKeepsExactlyThePairsOfTheCodeInequalities() {
        var pairs = new MultiSimilarityMiner(0.1).mine(Embeddings.cosineSimilarity(X), Y);
        // within an anchor, partners by ascending similarity: S_12 = 0.7197 < S_10 = 0.8977
        assertEquals(List.of("(1,2)", "(1,0)", "(4,3)"), pairs(pairs.positives()));
        assertEquals(List.of("(1,3)", "(1,4)", "(4,1)"), pairs(pairs.negatives()));
    }

    @Test
    void tripletLossAveragesTheNonZeroTriplets() {
        var pairs = new MultiSimilarityMiner(0.1).mine(Embeddings.cosineSimilarity(X), Y);
        var r = TripletMarginLoss.affectDml().compute(X, pairs);
        assertEquals(List.of("1,2,3", "1,2,4", "1,0,3", "1,0,4", "4,3,1"),
                r.triplets().stream().map(t -> t[0] + "," + t[1] + "," + t[2]).toList());
        assertArrayEquals(new double[]{0.140324, 0.441325, 0, 0.145051, 0.064937}, r.perTriplet(), 1e-6);
        assertEquals(0.197909, r.loss(), 1e-6);
    }

    @Test
    void swapAndSmoothVariantsMatchTheNotes() {
        var pairs = new MultiSimilarityMiner(0.1).mine(Embeddings.cosineSimilarity(X), Y);
        var swapped = new TripletMarginLoss(0.2, true, false, TripletMarginLoss.TripletConversion.ALL_COMBINATIONS).compute(X, pairs);
        assertEquals(0.197909, swapped.loss(), 1e-6);
        var smooth = new TripletMarginLoss(0.2, false, true, TripletMarginLoss.TripletConversion.ALL_COMBINATIONS).compute(X, pairs);
        assertArrayEquals(new double[]{0.765769, 0.937961, 0.618209, 0.768300, 0.726143}, smooth.perTriplet(), 1e-6);
        assertEquals(0.763276, smooth.loss(), 1e-6);
    }

    @Test
    void legacyTiledPairingGivesThreeTriplets() {
        var pairs = new MultiSimilarityMiner(0.1).mine(Embeddings.cosineSimilarity(X), Y);
        var r = new TripletMarginLoss(0.2, false, false, TripletMarginLoss.TripletConversion.LEGACY_TILED).compute(X, pairs);
        assertEquals(List.of("1,2,3", "1,0,4", "4,3,1"), r.triplets().stream().map(t -> t[0] + "," + t[1] + "," + t[2]).toList());
        assertEquals(0.116771, r.loss(), 1e-6);
    }

    @Test
    void totalLossWithCrossEntropy() {
        double[][] logits = {{2, .5, -1}, {1, 1, 0}, {.2, .1, 0}, {0, 2, .5}, {-1, .3, .3}, {0, 0, 3}, {.5, .5, .5}};
        double ce = Embeddings.crossEntropy(logits, Y);
        assertEquals(0.632291, ce, 1e-6);
        var pairs = new MultiSimilarityMiner(0.1).mine(Embeddings.cosineSimilarity(X), Y);
        assertEquals(0.415100, 0.5 * TripletMarginLoss.affectDml().compute(X, pairs).loss() + 0.5 * ce, 1e-6);
    }

    @Test
    void noPositiveOrNoNegativeInTheBatchMinesNothing() {
        double[][] s = Embeddings.cosineSimilarity(X);
        assertTrue(new MultiSimilarityMiner(0.1).mine(s, new int[]{0, 1, 2, 3, 4, 5, 6}).positives().isEmpty());
        assertTrue(new MultiSimilarityMiner(0.1).mine(s, new int[]{0, 0, 0, 0, 0, 0, 0}).negatives().isEmpty());
        assertEquals(0, TripletMarginLoss.affectDml().compute(X, MultiSimilarityMiner.Pairs.EMPTY).loss());
    }

    @Test
    void largerEpsilonMinesMorePairs() {
        double[][] s = Embeddings.cosineSimilarity(X);
        var small = new MultiSimilarityMiner(0.1).mine(s, Y);
        var large = new MultiSimilarityMiner(0.5).mine(s, Y);
        assertTrue(large.positives().size() > small.positives().size() && large.negatives().size() > small.negatives().size());
    }
}
