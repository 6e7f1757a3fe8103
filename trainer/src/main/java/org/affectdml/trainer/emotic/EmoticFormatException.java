package org.affectdml.trainer.emotic;

/** Malformed annotation input; the message names the file, the row or person, and the field. */
public class EmoticFormatException extends RuntimeException {

    public EmoticFormatException(String where, String field, String problem) {
        super(where + ", field '" + field + "': " + problem);
    }
}
