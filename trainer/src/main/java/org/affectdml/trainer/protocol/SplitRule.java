package org.affectdml.trainer.protocol;

import java.util.Locale;

/**
 * How a protocol splits the pooled persons (docs/method.md §2.6).
 * <ul>
 *   <li>{@link #POOLED}: the paper's protocol, person by person. Persons of one image can sit in base training and in
 *       the support or query set, so the image and scene streams see the same input on both sides.</li>
 *   <li>{@link #IMAGE_DISJOINT}: every image on one side only. An image with a person of a novel class belongs to
 *       the novel side (its base-class persons are left out, and counted); the base-only images are carved into
 *       training and validation image by image; and a query never shares an image with a support of its draw.</li>
 * </ul>
 */
public enum SplitRule {
    POOLED, IMAGE_DISJOINT;

    /** "pooled" or "image-disjoint". */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static SplitRule parse(String text) {
        for (SplitRule r : values()) {
            if (r.label().equalsIgnoreCase(text.trim()) || r.name().equalsIgnoreCase(text.trim())) {
                return r;
            }
        }
        throw new IllegalArgumentException("split must be pooled or image-disjoint, got '" + text + "'");
    }
}
