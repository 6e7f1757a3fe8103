package org.affectdml.trainer.head;

import java.util.Locale;

/** The model variants of the paper's Tables II/III: which streams feed the head (I image, B body, Sem Sem2Vec). */
public enum HeadVariant {
    I(true, false, false),
    B(false, true, false),
    IB(true, true, false),
    SEM_I(true, false, true),
    SEM_IB(true, true, true);

    private final boolean image;
    private final boolean body;
    private final boolean semantic;

    HeadVariant(boolean image, boolean body, boolean semantic) {
        this.image = image;
        this.body = body;
        this.semantic = semantic;
    }

    public boolean image() {
        return image;
    }

    public boolean body() {
        return body;
    }

    public boolean semantic() {
        return semantic;
    }

    /** The paper's name: I-DML, B-DML, IB-DML, Sem-I-DML, Sem-IB-DML. */
    public String paperName() {
        return name().replace("SEM_", "Sem-") + "-DML";
    }

    /** Accepts "Sem-IB", "sem_ib", "Sem-IB-DML", "IB" ... */
    public static HeadVariant parse(String text) {
        String n = text.trim().toUpperCase(Locale.ROOT).replace("-DML", "").replace('-', '_');
        try {
            return valueOf(n);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("variant must be one of I, B, IB, Sem-I, Sem-IB; got '" + text + "'");
        }
    }
}
