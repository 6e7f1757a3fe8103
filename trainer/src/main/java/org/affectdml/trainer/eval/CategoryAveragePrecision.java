package org.affectdml.trainer.eval;

import org.affectdml.trainer.emotic.EmoticCategories;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * EMOTIC's own ranking metric on the evaluated persons: per category of the 26 (multi-label, a person carries every
 * category an annotator gave it), the average precision of ranking the persons by their embedding's distance to that
 * category's supports, and mAP over the categories. Per draw and category, {@code shots} persons carrying the category
 * are drawn as its supports (seeded per draw and category); every other evaluated person not in a support's photo is a
 * query (a person of the same photo shares its scene and full image, an easier neighbour than any new photo), scored by
 * minus its squared distance to the nearest support (the L2-normalised embeddings of {@link OneShot}) and positive when
 * it carries the category. A category carried by no more than {@code shots} persons
 * cannot be evaluated (nothing left to find) and is named as skipped; one no evaluated person carries is not listed. A
 * draw in which every other carrier shares a support's photo has no positive for that category and does not count for
 * it. Per-category APs are means over the draws; mAP is the mean over evaluated categories per draw, summarised over the
 * draws (mean and the draws' 95 % interval of the mean).
 */
public final class CategoryAveragePrecision {

    /**
     * The figures: the categories evaluated with their mean AP over draws (in EMOTIC's order), mAP's mean and 95 % CI
     * over draws, the shots and draws, the persons evaluated, and the categories skipped (too few persons carry them).
     */
    public record Result(List<String> categories, double[] meanAp, double mapMean, double mapCi95, int shots, int draws, int persons,
                         List<String> skipped) {
    }

    private CategoryAveragePrecision() {
    }

    /**
     * @param embeddings   the evaluated persons' embeddings (unit vectors), one row each
     * @param categoriesOf per row, the indices (EMOTIC order, {@link EmoticCategories#NAMES}) of the categories it carries
     * @param imageOf      per row, its photo: a support's photo gives no query
     */
    public static Result evaluate(float[][] embeddings, List<Set<Integer>> categoriesOf, String[] imageOf, int shots, int draws, long seed) {
        if (embeddings.length != categoriesOf.size() || embeddings.length != imageOf.length) {
            throw new IllegalArgumentException(embeddings.length + " embeddings for " + categoriesOf.size() + " label sets and "
                    + imageOf.length + " images");
        }
        if (shots < 1 || draws < 1) {
            throw new IllegalArgumentException("shots and draws must be at least 1, got " + shots + " and " + draws);
        }
        int n = embeddings.length;
        List<Integer> evaluated = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        List<int[]> carriers = new ArrayList<>();
        for (int c = 0; c < EmoticCategories.NAMES.size(); c++) {
            int category = c;
            int[] rows = java.util.stream.IntStream.range(0, n).filter(r -> categoriesOf.get(r).contains(category)).toArray();
            if (rows.length > shots) {
                evaluated.add(c);
                carriers.add(rows);
            } else if (rows.length > 0) {
                skipped.add(EmoticCategories.NAMES.get(c));
            }
        }
        double[][] ap = new double[draws][evaluated.size()];
        double[] map = new double[draws];
        for (int d = 0; d < draws; d++) {
            for (int e = 0; e < evaluated.size(); e++) {
                // a seed per draw and category: a category's supports do not depend on which other categories are evaluated
                Random random = new Random((seed + d) * EmoticCategories.NAMES.size() + evaluated.get(e));
                ap[d][e] = apOfDraw(embeddings, categoriesOf, imageOf, evaluated.get(e), carriers.get(e), shots, random);
            }
            map[d] = AveragePrecision.mean(ap[d]);  // over the categories with a positive query in this draw
        }
        double[] meanAp = new double[evaluated.size()];
        for (int e = 0; e < meanAp.length; e++) {
            int column = e;
            meanAp[e] = Arrays.stream(ap).mapToDouble(row -> row[column]).filter(v -> !Double.isNaN(v)).average().orElse(Double.NaN);
        }
        double[] defined = Arrays.stream(map).filter(v -> !Double.isNaN(v)).toArray();
        return new Result(evaluated.stream().map(EmoticCategories.NAMES::get).toList(), meanAp,
                defined.length == 0 ? Double.NaN : Evaluator.mean(defined), defined.length == 0 ? Double.NaN : Evaluator.ci95(defined), shots,
                draws, n, List.copyOf(skipped));
    }

    /** One draw of one category: {@code shots} of its carriers as supports, every other person ranked against them. */
    private static double apOfDraw(float[][] embeddings, List<Set<Integer>> categoriesOf, String[] imageOf, int category, int[] carriers,
                                   int shots, Random random) {
        int[] shuffled = carriers.clone();
        for (int i = shuffled.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = shuffled[i];
            shuffled[i] = shuffled[j];
            shuffled[j] = t;
        }
        int[] supports = Arrays.copyOf(shuffled, shots);
        Set<String> supportImages = new java.util.HashSet<>();
        Arrays.stream(supports).forEach(s -> supportImages.add(imageOf[s]));
        List<Integer> queries = java.util.stream.IntStream.range(0, embeddings.length).filter(r -> !supportImages.contains(imageOf[r]))
                .boxed().toList();
        double[] scores = new double[queries.size()];
        boolean[] positive = new boolean[queries.size()];
        int q = 0;
        for (int r : queries) {
            double nearest = Double.POSITIVE_INFINITY;
            for (int s : supports) {
                nearest = Math.min(nearest, OneShot.squaredDistance(embeddings[r], embeddings[s]));
            }
            scores[q] = -nearest;
            positive[q] = categoriesOf.get(r).contains(category);
            q++;
        }
        return AveragePrecision.of(scores, positive);
    }
}
