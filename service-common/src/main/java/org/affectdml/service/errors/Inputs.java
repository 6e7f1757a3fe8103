package org.affectdml.service.errors;

/**
 * Client strings in messages and checks: a message never echoes more than a short, printable prefix of what a
 * client sent (an unbounded echo also breaks HTTP/2 trailers), and a string field holds no control characters.
 */
public final class Inputs {

    /** Longest part of a client string a message repeats. */
    public static final int ECHO = 64;

    private Inputs() {
    }

    /** {@code 'value'}, cut to {@link #ECHO} characters with "...", control characters shown as \\uXXXX. */
    public static String quoted(String value) {
        if (value == null) {
            return "''";
        }
        StringBuilder b = new StringBuilder("'");
        int n = Math.min(value.length(), ECHO);
        for (int i = 0; i < n; i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append(value.length() > ECHO ? "...'" : "'").toString();
    }

    /**
     * INVALID_ARGUMENT unless {@code value} has at most {@code maxLength} characters and no control character
     * (tab and newline allowed where {@code multiline}).
     */
    public static String requireText(String field, String value, int maxLength, boolean multiline) {
        if (value.length() > maxLength) {
            throw Errors.invalidArgument(field + " has " + value.length() + " characters, above the limit of " + maxLength);
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c) && !(multiline && (c == '\n' || c == '\t' || c == '\r'))) {
                throw Errors.invalidArgument(field + " has a control character (U+" + String.format("%04X", (int) c)
                        + ") at position " + i + ": " + quoted(value) + "; send printable text");
            }
        }
        return value;
    }
}
