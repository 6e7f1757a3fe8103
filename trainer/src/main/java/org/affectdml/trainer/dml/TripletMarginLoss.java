package org.affectdml.trainer.dml;

import java.util.ArrayList;
import java.util.List;

/**
 * pytorch-metric-learning's {@code TripletMarginLoss(margin, swap, smooth_loss, triplets_per_anchor="all")}
 * on mined pairs (docs/method.md §7.2-7.3): L2 distance of L2-normalised embeddings, triplets from all
 * combinations of an anchor's mined positives and negatives (PML >= 0.9.98; the legacy cyclic pairing is
 * available as a switch), loss max(d_ap - d_an + m, 0) (or softplus), averaged over the non-zero triplets.
 */
public record TripletMarginLoss(double margin, boolean swap, boolean smooth, TripletConversion conversion) {

    /** How mined pairs become triplets. */
    public enum TripletConversion {
        /** Every (a, p) with every (a, n) of the same anchor: PML >= 0.9.98. */
        ALL_COMBINATIONS,
        /** Per anchor, the shorter list tiled to the longer and zipped: PML <= 0.9.97. */
        LEGACY_TILED
    }

    /** The loss and the triplets it was computed on, with each triplet's loss. */
    public record Result(double loss, List<int[]> triplets, double[] perTriplet) {
    }

    /** The paper's setting: margin 0.2, no swap, hinge, all combinations. */
    public static TripletMarginLoss affectDml() {
        return new TripletMarginLoss(0.2, false, false, TripletConversion.ALL_COMBINATIONS);
    }

    public Result compute(double[][] embeddings, MultiSimilarityMiner.Pairs pairs) {
        double[][] x = Embeddings.l2Normalized(embeddings);
        List<int[]> triplets = triplets(pairs);
        double[] losses = new double[triplets.size()];
        double sum = 0;
        int nonZero = 0;
        for (int k = 0; k < triplets.size(); k++) {
            int[] t = triplets.get(k);
            double dap = Embeddings.distance(x[t[0]], x[t[1]]);
            double dan = Embeddings.distance(x[t[0]], x[t[2]]);
            if (swap) {
                dan = Math.min(dan, Embeddings.distance(x[t[1]], x[t[2]]));
            }
            double v = dap - dan + margin;
            losses[k] = smooth ? Math.log1p(Math.exp(v)) : Math.max(v, 0);
            if (losses[k] > 0) {
                sum += losses[k];
                nonZero++;
            }
        }
        return new Result(nonZero == 0 ? 0 : sum / nonZero, triplets, losses);
    }

    /** The triplets (anchor, positive, negative) the mined pairs make under this loss's conversion rule. */
    public List<int[]> triplets(MultiSimilarityMiner.Pairs pairs) {
        List<int[]> out = new ArrayList<>();
        int i = 0;
        int j = 0;
        List<int[]> pos = pairs.positives();
        List<int[]> neg = pairs.negatives();
        // Both lists are grouped by ascending anchor: walk them anchor by anchor.
        while (i < pos.size()) {
            int anchor = pos.get(i)[0];
            int pEnd = i;
            while (pEnd < pos.size() && pos.get(pEnd)[0] == anchor) {
                pEnd++;
            }
            while (j < neg.size() && neg.get(j)[0] < anchor) {
                j++;
            }
            int nEnd = j;
            while (nEnd < neg.size() && neg.get(nEnd)[0] == anchor) {
                nEnd++;
            }
            int np = pEnd - i;
            int nn = nEnd - j;
            if (nn > 0) {
                if (conversion == TripletConversion.ALL_COMBINATIONS) {
                    for (int a = i; a < pEnd; a++) {
                        for (int b = j; b < nEnd; b++) {
                            out.add(new int[]{anchor, pos.get(a)[1], neg.get(b)[1]});
                        }
                    }
                } else {
                    for (int k = 0; k < Math.max(np, nn); k++) {
                        out.add(new int[]{anchor, pos.get(i + k % np)[1], neg.get(j + k % nn)[1]});
                    }
                }
            }
            i = pEnd;
            j = nEnd;
        }
        return out;
    }
}
