package org.affectdml.trainer.eval;

import org.affectdml.trainer.emotic.EmoticCategories;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** EMOTIC's multi-label category AP from embedding distances, against values computed by hand. */
class CategoryAveragePrecisionTest {

    private static final int ANGER = EmoticCategories.index("Anger");
    private static final int PEACE = EmoticCategories.index("Peace");
    private static final int FEAR = EmoticCategories.index("Fear");

    @Test
    void eachCategoryRanksThePersonsByDistanceToItsSupportAndAPersonCountsForEveryCategoryItCarries() {
        // four persons on the unit circle at 0°, 30°, 90°, 180°; person 1 carries Anger and Peace (multi-label)
        float[][] e = unit(0, 30, 90, 180);
        List<Set<Integer>> carries = List.of(Set.of(ANGER), Set.of(ANGER, PEACE), Set.of(PEACE), Set.of(FEAR));
        // one shot: Anger's support is person 0 or 1, Peace's person 1 or 2 (each draw picks); Fear has one carrier: skipped
        CategoryAveragePrecision.Result r = CategoryAveragePrecision.evaluate(e, carries, photos(4), 1, 200, 7);
        assertEquals(List.of("Anger", "Peace"), r.categories(), "in EMOTIC's order");
        assertEquals(List.of("Fear"), r.skipped());
        // Anger, support 0: ranking 1 (30°, +), 2 (90°, −), 3 (180°, −): AP 1. Support 1: ranking 0 (+, 30° away) and
        // 2 (−, 60°), 3 (−): AP 1. So Anger's AP is 1 in every draw.
        // Peace, support 2 (90°): ranking 1 (60°, +), 0 (90°, −), 3 (90° too: tie with 0, −): AP 1. Support 1 (30°):
        // ranking 0 (30°, −), 2 (60°, +), 3 (150°, −): AP = 1/2.
        assertEquals(1.0, r.meanAp()[0], 1e-12);
        assertTrue(r.meanAp()[1] > 0.5 && r.meanAp()[1] < 1.0, "a mix of draws with AP 1 and 1/2: " + r.meanAp()[1]);
        assertEquals((r.meanAp()[0] + r.meanAp()[1]) / 2, r.mapMean(), 1e-12);
        assertEquals(4, r.persons());

        // with both of Peace's draws forced by a single carrier left: two shots need three carriers, none has
        CategoryAveragePrecision.Result twoShot = CategoryAveragePrecision.evaluate(e, carries, photos(4), 2, 10, 7);
        assertEquals(List.of(), twoShot.categories());
        assertEquals(List.of("Anger", "Fear", "Peace"), twoShot.skipped());
        assertTrue(Double.isNaN(twoShot.mapMean()));
    }

    @Test
    void aSingleDrawMatchesAveragePrecisionOfTheDistancesComputedByHand() {
        float[][] e = unit(0, 10, 100, 170, 20);
        // Anger carried by 0 and 4 only: with one shot the support is 0 or 4, the other is the only positive
        List<Set<Integer>> carries = List.of(Set.of(ANGER), Set.of(), Set.of(), Set.of(), Set.of(ANGER));
        CategoryAveragePrecision.Result r = CategoryAveragePrecision.evaluate(e, carries, photos(5), 1, 1, 3);
        // support 0: persons 1 (10°), 4 (20°, +), 2, 3 -> AP = 1/2. Support 4: 1 (10°), 0 (20°, +) -> 1/2 as well.
        assertArrayEquals(new double[]{0.5}, r.meanAp(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> CategoryAveragePrecision.evaluate(e, carries.subList(0, 2), photos(5), 1, 1, 3));
        assertThrows(IllegalArgumentException.class, () -> CategoryAveragePrecision.evaluate(e, carries, photos(5), 0, 1, 3));
    }

    @Test
    void personsOfASupportsPhotoAreNotRanked() {
        // persons 0 and 1 share a photo and carry Anger; person 2 (another photo) carries it too, far away
        float[][] e = unit(0, 5, 120, 60);
        List<Set<Integer>> carries = List.of(Set.of(ANGER), Set.of(ANGER), Set.of(ANGER), Set.of());
        String[] photos = {"p", "p", "q", "r"};
        CategoryAveragePrecision.Result r = CategoryAveragePrecision.evaluate(e, carries, photos, 1, 1, 11);
        // support 0 or 1: person 1/0 is not ranked (same photo); ranking 3 (60°, −), 2 (120° or 115°, +): AP 1/2.
        // Support 2: ranking 3 (60°, −), 1 (115°, +), 0 (120°, +): AP (1/2 + 2/3) / 2.
        double ap = r.meanAp()[0];
        assertTrue(ap == 0.5 || Math.abs(ap - (0.5 + 2.0 / 3) / 2) < 1e-12, "one of the two hand-computed draws: " + ap);
        // with the photo rule off (every person its own photo), support 0 would rank person 1 first: AP 1
        CategoryAveragePrecision.Result own = CategoryAveragePrecision.evaluate(e, carries, photos(4), 1, 1, 11);
        assertTrue(own.meanAp()[0] > ap || own.meanAp()[0] == ap && ap > 0.5, own.meanAp()[0] + " vs " + ap);
    }

    private static String[] photos(int n) {
        String[] photos = new String[n];
        for (int i = 0; i < n; i++) {
            photos[i] = "photo-" + i;
        }
        return photos;
    }

    private static float[][] unit(double... degrees) {
        float[][] e = new float[degrees.length][];
        for (int i = 0; i < degrees.length; i++) {
            double a = Math.toRadians(degrees[i]);
            e[i] = new float[]{(float) Math.cos(a), (float) Math.sin(a)};
        }
        return e;
    }
}
