package org.affectdml.registry.api;

import org.affectdml.service.errors.Errors;
import org.affectdml.service.errors.Inputs;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.function.Consumer;

/**
 * Reads a body of newline-delimited JSON one line at a time (blank lines skipped), so an upload of any size holds
 * one line in memory; a line longer than the limit is refused rather than buffered.
 */
final class NdjsonLines {

    private NdjsonLines() {
    }

    /** Calls {@code line} with each non-blank line (1-based numbers in messages). */
    static void forEach(InputStream body, int maxLineBytes, Consumer<String> line) {
        byte[] buffer = new byte[Math.min(maxLineBytes, 1 << 20)];
        int length = 0;
        int number = 1;
        try {
            for (int b = body.read(); ; b = body.read()) {
                if (b == '\n' || b < 0) {
                    String text = Inputs.utf8(buffer, 0, length, "line " + number + " of the body");
                    if (!text.isBlank()) {
                        line.accept(text);
                    }
                    if (b < 0) {
                        return;
                    }
                    length = 0;
                    number++;
                    continue;
                }
                if (length == maxLineBytes) {
                    throw Errors.invalidArgument("line " + number + " of the body is longer than " + maxLineBytes
                            + " bytes (an image above affect.registry.max-image-bytes?)");
                }
                if (length == buffer.length) {
                    buffer = java.util.Arrays.copyOf(buffer, Math.min(maxLineBytes, buffer.length * 2));
                }
                buffer[length++] = (byte) b;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
