package org.affectdml.trainer.eval;

import org.affectdml.trainer.head.HeadVariant;
import org.affectdml.trainer.protocol.Dimension;
import org.affectdml.trainer.protocol.Protocol;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The paper's one-shot accuracies (%) from Tables II and III (ResNet18), as cleaned up in implementation
 * docs/method.md §1, for printing our results beside them. Rows: Random, Kosti et al.†, then the DML variants.
 */
public final class PaperNumbers {

    private PaperNumbers() {
    }

    /** Method name (paper's wording) to accuracy for one protocol column; empty map when the paper has none. */
    public static Map<String, Double> column(Protocol protocol, Dimension dimension) {
        int col = switch (protocol) {
            case CAT_6_6 -> 0;
            case CAT_6_4 -> 1;
            case LEV_7_3 -> 2 + dimension.index();
            case LEV_6_4 -> 5 + dimension.index();
        };
        Map<String, Double> m = new LinkedHashMap<>();
        String[] methods = {"Random", "Kosti et al. [18]†", "I-DML", "B-DML", "IB-DML", "IB-DML†", "Sem-I-DML", "Sem-IB-DML"};
        for (int r = 0; r < methods.length; r++) {
            m.put(methods[r], TABLE[r][col]);
        }
        return m;
    }

    public static Double forVariant(HeadVariant variant, Protocol protocol, Dimension dimension) {
        return column(protocol, dimension).get(variant.paperName());
    }

    /** Columns: CAT-6:6, CAT-6:4, LEV-7:3 V/A/D, LEV-6:4 V/A/D. */
    private static final double[][] TABLE = {
            {16.78, 16.68, 12.23, 6.86, 13.26, 7.62, 11.73, 13.28},
            {29.98, 30.22, 36.03, 45.01, 45.02, 28.68, 33.65, 37.24},
            {17.84, 27.64, 46.72, 46.89, 55.63, 30.63, 38.31, 63.36},
            {15.41, 27.66, 35.89, 41.95, 54.99, 37.05, 36.91, 53.62},
            {21.02, 28.19, 50.75, 46.03, 59.16, 48.96, 38.20, 58.69},
            {24.20, 29.46, 49.00, 43.53, 56.23, 47.33, 35.13, 55.99},
            {32.16, 33.48, 56.79, 46.84, 58.78, 51.76, 38.72, 65.29},
            {33.76, 36.26, 52.36, 47.19, 64.52, 58.92, 41.37, 62.56}};
}
