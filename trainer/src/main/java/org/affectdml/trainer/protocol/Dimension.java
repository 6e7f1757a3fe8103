package org.affectdml.trainer.protocol;

/** The continuous EMOTIC dimension a LEV protocol turns into level classes. */
public enum Dimension {
    VALENCE, AROUSAL, DOMINANCE;

    public int index() {
        return ordinal();
    }
}
