package org.affectdml.service.errors;

import java.text.Normalizer;

/**
 * The one string policy of every service. A message never echoes more than a short prefix of what a client sent
 * (an unbounded echo also breaks HTTP/2 trailers), with every character that could hide or reorder text escaped.
 * A string field is well-formed Unicode (no lone surrogate: gRPC refuses invalid UTF-8 before this, REST's JSON can
 * still carry an escaped one) without control characters, its length counted in code points (what a person calls
 * characters; an emoji is one). Names (classes, metadata keys) are compared and stored in Unicode NFC, and may not
 * contain default-ignorable or bidirectional-control characters nor start or end with white space, so two names that
 * look the same are the same name.
 */
public final class Inputs {

    /** Longest part of a client string a message repeats, in code points. */
    public static final int ECHO = 64;

    private Inputs() {
    }

    /**
     * {@code 'value'}, cut to {@link #ECHO} code points with "...", control, format (including bidi controls),
     * default-ignorable and separator characters and lone surrogates shown as \\uXXXX (\\u{XXXXX} above the BMP).
     */
    public static String quoted(String value) {
        if (value == null) {
            return "''";
        }
        StringBuilder b = new StringBuilder("'");
        int shown = 0;
        int i = 0;
        while (i < value.length() && shown < ECHO) {
            int cp = value.codePointAt(i);
            if (Character.isISOControl(cp) || isHidden(cp) || cp <= 0xFFFF && Character.isSurrogate((char) cp)) {
                b.append(cp <= 0xFFFF ? String.format("\\u%04x", cp) : String.format("\\u{%x}", cp));
            } else {
                b.appendCodePoint(cp);
            }
            i += Character.charCount(cp);
            shown++;
        }
        return b.append(i < value.length() ? "...'" : "'").toString();
    }

    /**
     * INVALID_ARGUMENT unless {@code value} is well-formed, has at most {@code maxLength} code points and no control
     * character (tab and newline allowed where {@code multiline}).
     */
    public static String requireText(String field, String value, int maxLength, boolean multiline) {
        requireWellFormed(field, value);
        int length = value.codePointCount(0, value.length());
        if (length > maxLength) {
            throw Errors.invalidArgument(field + " has " + length + " characters, above the limit of " + maxLength);
        }
        for (int i = 0, position = 0; i < value.length(); position++) {
            int cp = value.codePointAt(i);
            if (Character.isISOControl(cp) && !(multiline && (cp == '\n' || cp == '\t' || cp == '\r'))) {
                throw Errors.invalidArgument(field + " has a control character (U+" + String.format("%04X", cp)
                        + ") at position " + position + ": " + quoted(value) + "; send printable text");
            }
            i += Character.charCount(cp);
        }
        return value;
    }

    /**
     * A name as it is stored and compared: {@code value} in NFC, after checking it has 1 to {@code maxLength} code
     * points, no control, default-ignorable (zero-width, BOM, ...) or bidi-control character, and no white space at
     * either end. INVALID_ARGUMENT naming the rule otherwise.
     */
    public static String requireName(String field, String value, int maxLength) {
        requireWellFormed(field, value);
        String name = Normalizer.normalize(value, Normalizer.Form.NFC);
        int length = name.codePointCount(0, name.length());
        if (length == 0 || length > maxLength) {
            throw Errors.invalidArgument(field + " " + quoted(value) + " must be 1-" + maxLength + " characters (has " + length + ")");
        }
        if (isSpace(name.codePointAt(0)) || isSpace(name.codePointBefore(name.length()))) {
            throw Errors.invalidArgument(field + " " + quoted(value) + " starts or ends with white space; remove it");
        }
        for (int i = 0, position = 0; i < name.length(); position++) {
            int cp = name.codePointAt(i);
            if (Character.isISOControl(cp)) {
                throw Errors.invalidArgument(field + " has a control character (U+" + String.format("%04X", cp)
                        + ") at position " + position + ": " + quoted(value) + "; send printable text");
            }
            if (isHidden(cp)) {
                throw Errors.invalidArgument(field + " " + quoted(value) + " has an invisible or control character (U+"
                        + String.format("%04X", cp) + ") at position " + position + "; names may not contain control, zero-width, "
                        + "byte-order-mark or bidirectional-control characters");
            }
            i += Character.charCount(cp);
        }
        return name;
    }

    /**
     * Bytes a client sent as UTF-8 text, decoded strictly: INVALID_ARGUMENT naming {@code what} and the offset of
     * the first byte that is not UTF-8, never a silent replacement character.
     */
    public static String utf8(byte[] bytes, int offset, int length, String what) {
        java.nio.charset.CharsetDecoder decoder = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT).onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes, offset, length);
        try {
            return decoder.decode(in).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw Errors.invalidArgument(what + " is not valid UTF-8 (at byte " + (in.position() - offset) + "); send UTF-8 text");
        }
    }

    /** Every string field of {@code message}, nested messages and map entries included, is well-formed Unicode. */
    public static void requireWellFormed(com.google.protobuf.MessageOrBuilder message) {
        message.getAllFields().forEach((field, value) -> {
            if (field.getJavaType() == com.google.protobuf.Descriptors.FieldDescriptor.JavaType.STRING) {
                for (Object v : field.isRepeated() ? (java.util.List<?>) value : java.util.List.of(value)) {
                    requireWellFormed(field.getJsonName(), (String) v);
                }
            } else if (field.getJavaType() == com.google.protobuf.Descriptors.FieldDescriptor.JavaType.MESSAGE) {
                for (Object v : field.isRepeated() ? (java.util.List<?>) value : java.util.List.of(value)) {
                    requireWellFormed((com.google.protobuf.MessageOrBuilder) v);
                }
            }
        });
    }

    /** White space of any kind: Java's (tab, newline, ...) or Unicode's space separators (no-break, ideographic, ...). */
    private static boolean isSpace(int cp) {
        return Character.isWhitespace(cp) || Character.isSpaceChar(cp);
    }

    /** INVALID_ARGUMENT when {@code value} has a lone surrogate (it cannot be encoded as UTF-8). */
    public static void requireWellFormed(String field, String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw Errors.invalidArgument(field + " has a lone surrogate (U+" + String.format("%04X", (int) c) + ") at index " + i
                        + ": it is not valid Unicode text; send UTF-8");
            }
        }
    }

    /**
     * Characters that are invisible or change how text around them is shown: Unicode's default-ignorable code points
     * (which include the bidi controls, zero-width characters and the BOM), the other format characters (Cf) and the
     * line and paragraph separators.
     */
    static boolean isHidden(int cp) {
        int type = Character.getType(cp);
        return type == Character.FORMAT || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR
                || isDefaultIgnorable(cp);
    }

    /** Unicode 15's Default_Ignorable_Code_Point property (DerivedCoreProperties.txt). */
    static boolean isDefaultIgnorable(int cp) {
        return cp == 0x00AD || cp == 0x034F || cp == 0x061C || cp == 0x115F || cp == 0x1160 || cp == 0x17B4 || cp == 0x17B5
                || cp >= 0x180B && cp <= 0x180F || cp >= 0x200B && cp <= 0x200F || cp >= 0x202A && cp <= 0x202E
                || cp >= 0x2060 && cp <= 0x206F || cp == 0x3164 || cp >= 0xFE00 && cp <= 0xFE0F || cp == 0xFEFF || cp == 0xFFA0
                || cp >= 0xFFF0 && cp <= 0xFFF8 || cp >= 0x1BCA0 && cp <= 0x1BCA3 || cp >= 0x1D173 && cp <= 0x1D17A
                || cp >= 0xE0000 && cp <= 0xE0FFF;
    }
}
