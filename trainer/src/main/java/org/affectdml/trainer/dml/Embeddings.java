package org.affectdml.trainer.dml;

/** The vector helpers the losses share: L2 normalisation (as torch's F.normalize), cosine and L2 distance. */
public final class Embeddings {

    private Embeddings() {
    }

    /** x / max(||x||, 1e-12) per row. */
    public static double[][] l2Normalized(double[][] x) {
        double[][] out = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            double n = 0;
            for (double v : x[i]) {
                n += v * v;
            }
            double inv = 1 / Math.max(Math.sqrt(n), 1e-12);
            out[i] = new double[x[i].length];
            for (int k = 0; k < x[i].length; k++) {
                out[i][k] = x[i][k] * inv;
            }
        }
        return out;
    }

    /** Cosine similarity matrix of the rows. */
    public static double[][] cosineSimilarity(double[][] x) {
        double[][] u = l2Normalized(x);
        double[][] s = new double[u.length][u.length];
        for (int i = 0; i < u.length; i++) {
            for (int j = 0; j < u.length; j++) {
                double dot = 0;
                for (int k = 0; k < u[i].length; k++) {
                    dot += u[i][k] * u[j][k];
                }
                s[i][j] = dot;
            }
        }
        return s;
    }

    public static double distance(double[] a, double[] b) {
        double sum = 0;
        for (int k = 0; k < a.length; k++) {
            double d = a[k] - b[k];
            sum += d * d;
        }
        return Math.sqrt(sum);
    }

    /** Mean cross-entropy of logits against labels: (1/B) Σ [logsumexp(o_i) - o_{i, y_i}]. */
    public static double crossEntropy(double[][] logits, int[] labels) {
        double total = 0;
        for (int i = 0; i < logits.length; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (double v : logits[i]) {
                max = Math.max(max, v);
            }
            double sum = 0;
            for (double v : logits[i]) {
                sum += Math.exp(v - max);
            }
            total += max + Math.log(sum) - logits[i][labels[i]];
        }
        return total / logits.length;
    }
}
