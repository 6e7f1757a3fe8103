package org.affectdml.trainer.protocol;

import org.affectdml.trainer.emotic.EmoticCategories;
import org.affectdml.trainer.emotic.EmoticPerson;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProtocolTest {

    private static EmoticPerson cat(String... votes) {
        return new EmoticPerson("test", "train", "x.jpg", 10, 10, new float[]{0, 0, 5, 5}, List.of(List.of(votes)), List.of(), null);
    }

    private static EmoticPerson catIn(String image, String... votes) {
        return new EmoticPerson("test", "train", image, 10, 10, new float[]{0, 0, 5, 5}, List.of(List.of(votes)), List.of(), null);
    }

    private static EmoticPerson levels(double... dominance) {
        List<double[]> vad = new ArrayList<>();
        for (double d : dominance) {
            vad.add(new double[]{5, 5, d});
        }
        return new EmoticPerson("test", "val", "x.jpg", 10, 10, new float[]{0, 0, 5, 5}, List.of(), vad, null);
    }

    @Test
    void everyEmoticCategoryBelongsToExactlyOneClassInBothCatProtocols() {
        for (Protocol p : List.of(Protocol.CAT_6_6, Protocol.CAT_6_4)) {
            assertEquals(new HashSet<>(EmoticCategories.NAMES), p.categoryToClass().keySet(), p.toString());
            assertEquals(6, p.baseClasses().size());
        }
        assertEquals(List.of("Disconnection", "Engagement", "Sensitivity", "Embarrassment", "Esteem", "Yearning"),
                Protocol.CAT_6_6.novelClasses().stream().map(Protocol.OneShotClass::name).toList());
        assertEquals(List.of("Disconnection", "Engagement", "Esteem", "Yearning"),
                Protocol.CAT_6_4.novelClasses().stream().map(Protocol.OneShotClass::name).toList());
        assertEquals("Sadness", Protocol.CAT_6_4.classes().get(Protocol.CAT_6_4.categoryToClass().get("Sensitivity")).name());
        assertEquals("Fear", Protocol.CAT_6_4.classes().get(Protocol.CAT_6_4.categoryToClass().get("Embarrassment")).name());
    }

    @Test
    void levelProtocolsSplitTheTenLevels() {
        assertEquals(List.of(1, 3, 5, 6, 8, 9, 10), Protocol.LEV_7_3.baseClasses().stream().map(Protocol.OneShotClass::level).toList());
        assertEquals(List.of(2, 4, 7), Protocol.LEV_7_3.novelClasses().stream().map(Protocol.OneShotClass::level).toList());
        assertEquals(List.of(2, 4, 7, 10), Protocol.LEV_6_4.novelClasses().stream().map(Protocol.OneShotClass::level).toList());
        assertEquals(Protocol.LEV_6_4, Protocol.parse("LEV-6:4"));
    }

    @Test
    void equationOneTwoMostVotesWinAndTiesGoToTheFirstClass() {
        LabelAssigner a = new LabelAssigner(Protocol.CAT_6_6, null);
        // {Happiness, Engagement}: Joy (A05) and Engagement (A08) tie; the earlier, base class wins
        assertEquals("Joy", Protocol.CAT_6_6.classes().get(a.assign(cat("Happiness", "Engagement")).getAsInt()).name());
        assertEquals("Engagement", Protocol.CAT_6_6.classes().get(a.assign(cat("Happiness", "Engagement", "Engagement")).getAsInt()).name());
        // two Angry categories beat one Joy category
        assertEquals("Angry", Protocol.CAT_6_6.classes().get(a.assign(cat("Pleasure", "Anger", "Annoyance")).getAsInt()).name());
        assertTrue(a.assign(cat()).isEmpty());
    }

    @Test
    void levelLabelIsTheModeOfTheAnnotatorsTiesToTheLowestLevel() {
        LabelAssigner a = new LabelAssigner(Protocol.LEV_7_3, Dimension.DOMINANCE);
        assertEquals(7, Protocol.LEV_7_3.classes().get(a.assign(levels(7, 7, 3)).getAsInt()).level());
        assertEquals(3, Protocol.LEV_7_3.classes().get(a.assign(levels(7, 3)).getAsInt()).level());
        var averagedOnly = new EmoticPerson("t", "val", "x", 1, 1, new float[]{0, 0, 1, 1}, List.of(), List.of(), new double[]{5, 5, 6.5});
        assertEquals(6, Protocol.LEV_7_3.classes().get(a.assign(averagedOnly).getAsInt()).level());  // 6.5 rounds half down
        assertEquals(6, LabelAssigner.roundHalfDown(6.5));
        assertEquals(7, LabelAssigner.roundHalfDown(6.51));
    }

    @Test
    void supportDrawIsSeededRecordedAndExcludedFromTheQueries() {
        List<EmoticPerson> pool = new ArrayList<>();
        String[] novel = {"Disconnection", "Engagement", "Sensitivity", "Embarrassment", "Esteem", "Yearning"};
        for (int i = 0; i < 60; i++) {
            pool.add(cat(novel[i % 6]));
            pool.add(cat("Anger"));
            pool.add(cat("Happiness"));
        }
        ProtocolSplit split = ProtocolSplit.of(Protocol.CAT_6_6, null, pool, 0.25, 1);
        assertEquals(60, split.novel().size());
        assertEquals(30, split.validation().size());   // 25 % of 60 Angry + 25 % of 60 Joy
        assertEquals(90, split.train().size());
        ProtocolSplit.SupportDraw draw = split.drawSupports(42);
        assertEquals(6, draw.supports().size());
        assertEquals(54, draw.queries().size());
        Set<Integer> queryPersons = new HashSet<>();
        draw.queries().forEach(q -> queryPersons.add(q.person()));
        draw.supports().forEach(s -> assertFalse(queryPersons.contains(s.person())));
        assertEquals(draw.supports(), split.drawSupports(42).supports());
        assertNotEquals(draw.supports(), split.drawSupports(43).supports());
        // k-shot: the first k shuffled members of each class, so 1-shot is the paper's draw; 10 persons per class allow 9
        assertEquals(draw, split.drawSupports(42, 1));
        ProtocolSplit.SupportDraw five = split.drawSupports(42, 5);
        assertEquals(30, five.supports().size());
        assertEquals(30, five.queries().size());
        assertTrue(five.supports().containsAll(draw.supports()), "the 1-shot supports are among the 5-shot ones");
        IllegalStateException tooFew = assertThrows(IllegalStateException.class, () -> split.drawSupports(42, 10));
        assertTrue(tooFew.getMessage().contains("has 10 persons: 10-shot evaluation needs at least 11"), tooFew.getMessage());
        assertTrue(split.countsTable().contains("A08   Engagement       novel        0        0       10"), split.countsTable());
        assertTrue(split.countsTable().contains("vote lists: 0 persons with per-annotator votes, 0 with the union"
                + " of their annotators' categories (the file has no per-annotator lists), 180 with one annotator"), split.countsTable());
    }

    @Test
    void anImageDisjointSplitKeepsEveryImageOnOneSide() {
        // 6 novel classes x 4 images; image i holds one novel person and, for even i, a base person too (left out);
        // 20 base-only images with two persons each (Anger, Happiness).
        String[] novel = {"Disconnection", "Engagement", "Sensitivity", "Embarrassment", "Esteem", "Yearning"};
        List<EmoticPerson> pool = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            pool.add(catIn("mixed/" + i + ".jpg", novel[i % 6]));
            if (i % 2 == 0) {
                pool.add(catIn("mixed/" + i + ".jpg", "Anger"));
            }
            if (i % 6 == 0) {
                pool.add(catIn("mixed/" + i + ".jpg", novel[(i + 1) % 6]));  // two novel persons share this image
            }
        }
        for (int i = 0; i < 20; i++) {
            pool.add(catIn("base/" + i + ".jpg", "Anger"));
            pool.add(catIn("base/" + i + ".jpg", "Happiness"));
        }
        ProtocolSplit pooled = ProtocolSplit.of(Protocol.CAT_6_6, null, pool, 0.25, 1);
        ProtocolSplit disjoint = ProtocolSplit.of(Protocol.CAT_6_6, null, pool, 0.25, 1, SplitRule.IMAGE_DISJOINT);
        assertEquals(52, pooled.train().size() + pooled.validation().size(), "pooled: 12 mixed + 40 base-only base persons");
        assertEquals(40, disjoint.train().size() + disjoint.validation().size(), "the 12 base persons of novel images are left out");
        assertEquals(10, disjoint.validation().size(), "5 of the 20 base-only images, whole");
        assertTrue(disjoint.countsTable().contains("12 base-class persons left out"), disjoint.countsTable());
        Set<String> trainImages = new HashSet<>();
        disjoint.train().forEach(t -> trainImages.add(pool.get(t.person()).image()));
        disjoint.validation().forEach(v -> assertFalse(trainImages.contains(pool.get(v.person()).image()), "validation images are not trained on"));
        disjoint.novel().forEach(n -> assertFalse(trainImages.contains(pool.get(n.person()).image()), "novel images are not trained on"));
        for (long seed = 0; seed < 20; seed++) {
            ProtocolSplit.SupportDraw draw = disjoint.drawSupports(seed);
            Set<String> supportImages = new HashSet<>();
            draw.supports().forEach(x -> supportImages.add(pool.get(x.person()).image()));
            draw.queries().forEach(q -> assertFalse(supportImages.contains(pool.get(q.person()).image()), "a query shares no image with a support"));
            int sharedWithSupports = (int) disjoint.novel().stream().filter(n -> supportImages.contains(pool.get(n.person()).image())).count();
            assertEquals(disjoint.novel().size() - sharedWithSupports, draw.queries().size(), "only those are removed");
            assertEquals(pooled.drawSupports(seed).supports(), draw.supports(), "the same supports as the pooled draw");
        }
    }
}
