package org.affectdml.trainer.eval;

import org.affectdml.trainer.protocol.Dimension;
import org.affectdml.trainer.protocol.Protocol;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Many evaluations as the paper's Table II (CAT-6:6, CAT-6:4) and Table III (LEV-7:3 and LEV-6:4 per V/A/D with
 * the average): the paper's rows with its numbers, then one row per evaluated variant with, per column, the
 * single-draw overall accuracy and the mean ± 95 % CI over draws (%). The last report of a (variant, column) wins.
 */
public final class PaperTables {

    private record Column(String header, Protocol protocol, Dimension dimension) {
    }

    private static final List<Column> TABLE_II = List.of(new Column("CAT-6:6", Protocol.CAT_6_6, null),
            new Column("CAT-6:4", Protocol.CAT_6_4, null));
    private static final List<Column> TABLE_III = levelColumns();

    private PaperTables() {
    }

    public static String render(List<EvaluationReport> reports) {
        StringBuilder b = new StringBuilder();
        b.append("## Table II: one-shot categorical recognition, overall accuracy %\n\n").append(table(TABLE_II, reports, false));
        b.append("\n## Table III: one-shot numerical recognition (V/A/D levels), overall accuracy %\n\n").append(table(TABLE_III, reports, true));
        b.append("\nOur cells: single seeded draw (the paper's protocol) / mean ± 95 % CI over the support draws of one trained model "
                + "(how much the answer depends on the supports drawn, not on the training run: compare variants over training seeds, "
                + "`train --seeds`); – = not evaluated.\n");
        return b.toString();
    }

    private static String table(List<Column> columns, List<EvaluationReport> reports, boolean averages) {
        List<String> headers = new ArrayList<>(List.of("Method"));
        for (int i = 0; i < columns.size(); i++) {
            headers.add(columns.get(i).header());
            if (averages && i % 3 == 2) {
                headers.add(columns.get(i).protocol() == Protocol.LEV_7_3 ? "LEV-7:3 Avg" : "LEV-6:4 Avg");
            }
        }
        StringBuilder b = new StringBuilder("| " + String.join(" | ", headers) + " |\n|---" + "|--:".repeat(headers.size() - 1) + "|\n");
        for (String method : PaperNumbers.column(Protocol.CAT_6_6, null).keySet()) {
            List<String> cells = new ArrayList<>(List.of("paper: " + method));
            double[] group = new double[3];
            for (int i = 0; i < columns.size(); i++) {
                double v = PaperNumbers.column(columns.get(i).protocol(), columns.get(i).dimension()).get(method);
                cells.add(String.format(Locale.ROOT, "%.2f", v));
                group[i % 3] = v;
                if (averages && i % 3 == 2) {
                    cells.add(String.format(Locale.ROOT, "%.2f", (group[0] + group[1] + group[2]) / 3));
                }
            }
            b.append("| ").append(String.join(" | ", cells)).append(" |\n");
        }
        Map<String, Map<String, EvaluationReport>> ours = new LinkedHashMap<>();
        for (EvaluationReport r : reports) {
            ours.computeIfAbsent(r.variant(), k -> new LinkedHashMap<>()).put(key(r.protocol(), r.dimension()), r);
        }
        for (var row : ours.entrySet()) {
            List<String> cells = new ArrayList<>(List.of("**this work: " + row.getKey() + "**"));
            boolean any = false;
            double[] group = new double[3];
            int present = 0;
            for (int i = 0; i < columns.size(); i++) {
                Column c = columns.get(i);
                EvaluationReport r = row.getValue().get(key(Evaluator.protocolName(c.protocol()),
                        c.dimension() == null ? null : c.dimension().name().toLowerCase(Locale.ROOT)));
                if (r == null) {
                    cells.add("–");
                } else {
                    any = true;
                    cells.add(String.format(Locale.ROOT, "%.2f / %.2f ± %.2f", 100 * r.singleDraw().overall(),
                            100 * r.draws().overallMean(), 100 * r.draws().overallCi95()));
                    group[i % 3] = 100 * r.draws().overallMean();
                    present++;
                }
                if (averages && i % 3 == 2) {
                    cells.add(present == 3 ? String.format(Locale.ROOT, "%.2f (mean)", (group[0] + group[1] + group[2]) / 3) : "–");
                    present = 0;
                }
            }
            if (any) {
                b.append("| ").append(String.join(" | ", cells)).append(" |\n");
            }
        }
        return b.toString();
    }

    private static String key(String protocol, String dimension) {
        return protocol + "/" + (dimension == null ? "" : dimension);
    }

    private static List<Column> levelColumns() {
        List<Column> c = new ArrayList<>();
        for (Protocol p : List.of(Protocol.LEV_7_3, Protocol.LEV_6_4)) {
            for (Dimension d : Dimension.values()) {
                c.add(new Column(Evaluator.protocolName(p) + " " + d.name().substring(0, 3).toLowerCase(Locale.ROOT), p, d));
            }
        }
        return c;
    }
}
