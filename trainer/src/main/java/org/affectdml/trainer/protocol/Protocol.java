package org.affectdml.trainer.protocol;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The four one-shot benchmarks of the paper (docs/method.md §2.2-2.3): which EMOTIC categories or
 * V/A/D levels make each one-shot class, which classes are base (train) and which novel (test).
 * Class order is the tie-break order of Eq. 1-2: A01.. with base classes first for CAT, level order for LEV.
 */
public enum Protocol {

    CAT_6_6(Kind.CATEGORICAL, categorical(false)),
    CAT_6_4(Kind.CATEGORICAL, categorical(true)),
    LEV_7_3(Kind.LEVEL, levels(new int[]{1, 3, 5, 6, 8, 9, 10}, new int[]{2, 4, 7})),
    LEV_6_4(Kind.LEVEL, levels(new int[]{1, 3, 5, 6, 8, 9}, new int[]{2, 4, 7, 10}));

    public enum Kind { CATEGORICAL, LEVEL }

    /** One one-shot class: its id (A01..), name, base or novel, and the EMOTIC categories or level it covers. */
    public record OneShotClass(String id, String name, boolean base, List<String> categories, int level) {
    }

    private final Kind kind;
    private final List<OneShotClass> classes;

    Protocol(Kind kind, List<OneShotClass> classes) {
        this.kind = kind;
        this.classes = List.copyOf(classes);
    }

    public Kind kind() {
        return kind;
    }

    /** All classes in index order (see the class comment). */
    public List<OneShotClass> classes() {
        return classes;
    }

    public List<OneShotClass> baseClasses() {
        return classes.stream().filter(OneShotClass::base).toList();
    }

    public List<OneShotClass> novelClasses() {
        return classes.stream().filter(c -> !c.base()).toList();
    }

    /** EMOTIC category name to class index (categorical protocols). */
    public Map<String, Integer> categoryToClass() {
        Map<String, Integer> map = new LinkedHashMap<>();
        for (int i = 0; i < classes.size(); i++) {
            for (String c : classes.get(i).categories()) {
                map.put(c, i);
            }
        }
        return map;
    }

    /** Level 1..10 to class index (level protocols). */
    public int levelToClass(int level) {
        for (int i = 0; i < classes.size(); i++) {
            if (classes.get(i).level() == level) {
                return i;
            }
        }
        throw new IllegalArgumentException(this + " has no class for level " + level + " (levels are 1..10)");
    }

    public static Protocol parse(String name) {
        String n = name.trim().toUpperCase().replace('-', '_').replace(':', '_');
        try {
            return valueOf(n);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("protocol must be one of CAT-6:6, CAT-6:4, LEV-7:3, LEV-6:4; got '" + name + "'");
        }
    }

    private static List<OneShotClass> categorical(boolean sixFour) {
        List<OneShotClass> c = new ArrayList<>();
        c.add(new OneShotClass("A01", "Angry", true, List.of("Disapproval", "Aversion", "Annoyance", "Anger"), 0));
        c.add(new OneShotClass("A02", "Sadness", true, sixFour
                ? List.of("Suffering", "Sadness", "Fatigue", "Pain", "Sensitivity")
                : List.of("Suffering", "Sadness", "Fatigue", "Pain"), 0));
        c.add(new OneShotClass("A03", "Fear", true, sixFour
                ? List.of("Embarrassment", "Fear", "Disquietment")
                : List.of("Fear", "Disquietment"), 0));
        c.add(new OneShotClass("A04", "Love", true, List.of("Peace", "Affection", "Sympathy"), 0));
        c.add(new OneShotClass("A05", "Joy", true, List.of("Happiness", "Pleasure", "Excitement", "Anticipation"), 0));
        c.add(new OneShotClass("A06", "Surprise", true, List.of("Surprise", "Doubt/Confusion", "Confidence"), 0));
        List<String> novel = sixFour
                ? List.of("Disconnection", "Engagement", "Esteem", "Yearning")
                : List.of("Disconnection", "Engagement", "Sensitivity", "Embarrassment", "Esteem", "Yearning");
        for (int i = 0; i < novel.size(); i++) {
            c.add(new OneShotClass(String.format("A%02d", 7 + i), novel.get(i), false, List.of(novel.get(i)), 0));
        }
        return c;
    }

    /** Level classes in level order (label = level, docs/method.md §2.3), so Eq. 1-2 ties go to the lowest level. */
    private static List<OneShotClass> levels(int[] base, int[] novel) {
        List<OneShotClass> c = new ArrayList<>();
        for (int level = 1; level <= 10; level++) {
            final int l = level;
            boolean isBase = java.util.Arrays.stream(base).anyMatch(b -> b == l);
            boolean isNovel = java.util.Arrays.stream(novel).anyMatch(b -> b == l);
            if (isBase || isNovel) {
                c.add(new OneShotClass(String.format("A%02d", level), "level " + level, isBase, List.of(), level));
            }
        }
        return c;
    }
}
