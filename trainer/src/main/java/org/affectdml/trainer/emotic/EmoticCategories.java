package org.affectdml.trainer.emotic;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The 26 EMOTIC categories in their canonical, alphabetical index order (docs/method.md §2.1), and
 * the spellings found in the paper and other distributions. Categories are always keyed by name.
 */
public final class EmoticCategories {

    public static final List<String> NAMES = List.of(
            "Affection", "Anger", "Annoyance", "Anticipation", "Aversion", "Confidence", "Disapproval",
            "Disconnection", "Disquietment", "Doubt/Confusion", "Embarrassment", "Engagement", "Esteem",
            "Excitement", "Fatigue", "Fear", "Happiness", "Pain", "Peace", "Pleasure", "Sadness", "Sensitivity",
            "Suffering", "Surprise", "Sympathy", "Yearning");

    private static final Map<String, String> CANONICAL = new HashMap<>();

    static {
        for (String name : NAMES) {
            CANONICAL.put(key(name), name);
        }
        CANONICAL.put(key("Disquitement"), "Disquietment");
        CANONICAL.put(key("Confuse/Doubt"), "Doubt/Confusion");
        CANONICAL.put(key("Doubt_Confusion"), "Doubt/Confusion");
        CANONICAL.put(key("Confusion"), "Doubt/Confusion");
        CANONICAL.put(key("Surprising"), "Surprise");
        CANONICAL.put(key("Sensitive"), "Sensitivity");
    }

    private EmoticCategories() {
    }

    /** The canonical name of a category spelling, if it is one. */
    public static Optional<String> canonical(String name) {
        return Optional.ofNullable(CANONICAL.get(key(name)));
    }

    public static int index(String canonicalName) {
        int i = NAMES.indexOf(canonicalName);
        if (i < 0) {
            throw new IllegalArgumentException("not an EMOTIC category: " + canonicalName);
        }
        return i;
    }

    private static String key(String name) {
        return name.trim().toLowerCase(Locale.ROOT).replace(" ", "");
    }
}
