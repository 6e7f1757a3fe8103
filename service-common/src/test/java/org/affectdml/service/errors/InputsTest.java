package org.affectdml.service.errors;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The string policy on generated strings from every corner of Unicode. */
class InputsTest {

    private static final Random RANDOM = new Random(2021);

    /** A random string mixing ASCII, controls, bidi/format characters, combining marks, astral code points and lone surrogates. */
    private static String hostile(int length) {
        StringBuilder b = new StringBuilder();
        while (b.length() < length) {
            switch (RANDOM.nextInt(8)) {
                case 0 -> b.append((char) RANDOM.nextInt(0x20));                       // C0 controls
                case 1 -> b.append((char) (0x202A + RANDOM.nextInt(5)));               // bidi embeddings and overrides
                case 2 -> b.append((char) (0x200B + RANDOM.nextInt(5)));               // zero-width and marks
                case 3 -> b.appendCodePoint(0x1F600 + RANDOM.nextInt(80));             // emoji (surrogate pairs)
                case 4 -> b.append((char) (0xD800 + RANDOM.nextInt(0x800)));           // a lone surrogate
                case 5 -> b.append((char) (0x0300 + RANDOM.nextInt(0x70)));           // combining marks
                case 6 -> b.appendCodePoint(0xE0000 + RANDOM.nextInt(0x80));           // tags
                default -> b.append((char) ('a' + RANDOM.nextInt(26)));
            }
        }
        return b.toString();
    }

    @Test
    void quotedIsShortWellFormedAndShowsNothingHidden() {
        for (int i = 0; i < 2000; i++) {
            String q = Inputs.quoted(hostile(1 + RANDOM.nextInt(400)));
            String inner = q.substring(1, q.length() - 1);
            // at most ECHO code points, each shown as itself or an escape of at most 9 characters, and "..."
            assertTrue(inner.length() <= Inputs.ECHO * 9 + 3, q.length() + " characters: " + q);
            for (int k = 0; k < q.length(); ) {
                int cp = q.codePointAt(k);
                assertFalse(Character.isISOControl(cp), "control shown raw in " + q);
                assertFalse(Inputs.isHidden(cp), "hidden U+" + Integer.toHexString(cp) + " shown raw in " + q);
                assertFalse(cp <= 0xFFFF && Character.isSurrogate((char) cp), "a lone surrogate (or a split pair) in " + q);
                k += Character.charCount(cp);
            }
            assertTrue(StandardCharsets.UTF_8.newEncoder().canEncode(q), "encodable as UTF-8: " + q);
        }
        // the cut counts code points and never splits a pair
        String emoji = "\uD83D\uDE00".repeat(100);
        String q = Inputs.quoted(emoji);
        assertEquals("'" + "\uD83D\uDE00".repeat(Inputs.ECHO) + "...'", q);
        assertEquals("'a\\u202eb\\u0000'", Inputs.quoted("a\u202Eb\u0000"));
    }

    @Test
    void textLengthsAreCodePointsAndLoneSurrogatesAreRefused() {
        Inputs.requireText("f", "\uD83D\uDE00".repeat(64), 64, false);
        StatusRuntimeException tooLong = assertThrows(StatusRuntimeException.class, () -> Inputs.requireText("f", "\uD83D\uDE00".repeat(65), 64, false));
        assertTrue(tooLong.getStatus().getDescription().contains("has 65 characters"), tooLong.getStatus().getDescription());
        for (String lone : new String[]{"a\uD800", "\uDC00b", "x\uDBFFy", "\uDE00\uD83D"}) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> Inputs.requireText("f", lone, 64, true));
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
            assertTrue(e.getStatus().getDescription().contains("lone surrogate"), e.getStatus().getDescription());
        }
    }

    @Test
    void namesAreNfcAndRefuseHiddenCharactersAndEdgeSpaces() {
        assertEquals("caf\u00E9", Inputs.requireName("n", "cafe\u0301", 64));
        assertEquals("\u00C5", Inputs.requireName("n", "\u212B", 64));
        for (int i = 0; i < 500; i++) {
            String s = hostile(1 + RANDOM.nextInt(30));
            try {
                String name = Inputs.requireName("n", s, 64);
                assertEquals(Normalizer.normalize(s, Normalizer.Form.NFC), name);
                name.codePoints().forEach(cp -> assertFalse(Inputs.isHidden(cp) || Character.isISOControl(cp), name));
            } catch (StatusRuntimeException refused) {
                assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode());
                assertTrue(refused.getStatus().getDescription().length() < 400, refused.getStatus().getDescription());
            }
        }
        for (String bad : new String[]{"joy ", " joy", "\u00A0joy", "jo\u200By", "\uFEFFjoy", "joy\u2066", "j\u00ADoy", ""}) {
            assertThrows(StatusRuntimeException.class, () -> Inputs.requireName("n", bad, 64), bad);
        }
    }

    @Test
    void utf8IsDecodedStrictly() {
        assertEquals("caf\u00E9", Inputs.utf8("caf\u00E9".getBytes(StandardCharsets.UTF_8), 0, 5, "body"));
        for (byte[] bad : new byte[][]{{'a', (byte) 0xFF}, {(byte) 0xC3, 0x28}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xF0, (byte) 0x9F}}) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> Inputs.utf8(bad, 0, bad.length, "body"));
            assertTrue(e.getStatus().getDescription().contains("not valid UTF-8"), e.getStatus().getDescription());
        }
    }
}
