package org.affectdml.inference.image;

/** Other decodes hold the memory budget; the same request may succeed later (RESOURCE_EXHAUSTED). */
public class DecodeBudgetExhaustedException extends RuntimeException {

    public DecodeBudgetExhaustedException(String message) {
        super(message);
    }
}
