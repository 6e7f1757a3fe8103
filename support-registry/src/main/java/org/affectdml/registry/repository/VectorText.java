package org.affectdml.registry.repository;

/** pgvector's text form "[v1,v2,...]", bound as a parameter and cast to vector in SQL. */
public final class VectorText {

    private VectorText() {
    }

    public static String of(float[] v) {
        StringBuilder b = new StringBuilder(v.length * 12).append('[');
        for (int i = 0; i < v.length; i++) {
            if (i > 0) {
                b.append(',');
            }
            b.append(v[i]);
        }
        return b.append(']').toString();
    }
}
