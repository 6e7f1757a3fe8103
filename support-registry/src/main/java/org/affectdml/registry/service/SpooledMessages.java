package org.affectdml.registry.service;

import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import org.affectdml.service.errors.Errors;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Messages of one upload written to a spool file as they arrive (length-delimited) and read back in order, one in
 * memory at a time; {@link #close()} deletes the file. The file is named for its host and process (SpoolFiles), so
 * start-up can remove what a killed process left. Not thread-safe beyond {@code close}: one upload writes it in order.
 */
final class SpooledMessages<M extends MessageLite> implements AutoCloseable {

    private final Path file;
    private final Parser<M> parser;
    private final String what;
    private OutputStream out;
    private InputStream reader;
    private int count;

    /** {@code kind} names the file ("evaluation", "import"); {@code what} the upload in messages. */
    SpooledMessages(Path directory, String kind, Parser<M> parser, String what) {
        this.parser = parser;
        this.what = what;
        try {
            this.file = SpoolFiles.create(directory, kind);
            this.out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
        } catch (IOException e) {
            throw Errors.unavailable("cannot spool the " + what + " (affect.registry.evaluation.spool-directory): " + e.getMessage());
        }
    }

    void append(M message) {
        try {
            message.writeDelimitedTo(out);
            count++;
        } catch (IOException | NullPointerException e) {  // null: closed by a cancel meanwhile
            throw Errors.unavailable("cannot spool the " + what + ": " + e.getMessage());
        }
    }

    int count() {
        return count;
    }

    /** Ends the writing; the messages can be read back. */
    void finishWriting() {
        try {
            if (out != null) {
                out.close();
                out = null;
            }
        } catch (IOException e) {
            throw Errors.unavailable("cannot spool the " + what + ": " + e.getMessage());
        }
    }

    /** The messages in upload order, read one by one; {@link #close()} closes the reader. */
    Iterator<M> read() {
        InputStream in;
        try {
            in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        reader = in;
        int total = count;
        return new Iterator<>() {
            private int read;

            @Override
            public boolean hasNext() {
                return read < total;
            }

            @Override
            public M next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                try {
                    read++;
                    return parser.parseDelimitedFrom(in);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }

    @Override
    public synchronized void close() {
        try {
            if (out != null) {
                out.close();
            }
            if (reader != null) {
                reader.close();
            }
        } catch (IOException e) {
            // the file goes anyway
        } finally {
            out = null;
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // in the spool directory: a later start-up removes it
            }
        }
    }
}
