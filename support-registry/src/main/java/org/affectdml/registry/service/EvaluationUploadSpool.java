package org.affectdml.registry.service;

import org.affectdml.proto.v1.EvaluationHeader;
import org.affectdml.proto.v1.EvaluationUpload;
import org.affectdml.proto.v1.LabelledQuery;
import org.affectdml.service.errors.Errors;
import org.affectdml.service.errors.Inputs;

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
import java.util.Set;

/**
 * The labelled queries of one StartEvaluation, checked as they arrive and written to a file (length-delimited
 * LabelledQuery messages), so an upload of any size holds one query in memory at a time. Not thread-safe: one
 * upload feeds it in order. {@link #discard()} deletes the file; a job deletes it when it ends.
 */
public final class EvaluationUploadSpool implements AutoCloseable {

    /** Checks the header names an existing taxonomy; returns its class names. */
    interface Classes {
        Set<String> of(String taxonomy);
    }

    /** The queries' limits; {@code maxImageBytes} is the registry's per-image limit. */
    record Limits(int maxQueries, long maxUploadBytes, int maxImageBytes) {
    }

    private final Path file;
    private final Limits limits;
    private final Classes classes;
    private OutputStream out;
    private InputStream reader;
    private EvaluationHeader header;
    private Set<String> classNames;
    private int queries;
    private long bytes;

    EvaluationUploadSpool(Path directory, Limits limits, Classes classes) {
        this.limits = limits;
        this.classes = classes;
        try {
            this.file = SpoolFiles.create(directory, "evaluation");
            this.out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
        } catch (IOException e) {
            throw Errors.unavailable("cannot spool the evaluation upload (affect.registry.evaluation.spool-directory): " + e.getMessage());
        }
    }

    /** Takes the next message of the upload; INVALID_ARGUMENT or RESOURCE_EXHAUSTED when it breaks a rule. */
    public synchronized void accept(EvaluationUpload message) {
        switch (message.getPartCase()) {
            case HEADER -> {
                if (header != null) {
                    throw Errors.invalidArgument("the upload has a second header; send exactly one, first");
                }
                TaxonomyEvaluationService.targetFalseAcceptRate(message.getHeader().getTargetFalseAcceptRate());
                classNames = classes.of(message.getHeader().getTaxonomy());
                header = message.getHeader();
            }
            case QUERY -> {
                if (header == null) {
                    throw Errors.invalidArgument("the upload must start with a header (taxonomy, target_false_accept_rate)");
                }
                write(check(message.getQuery()));
            }
            default -> throw Errors.invalidArgument("upload message " + (queries + (header == null ? 0 : 1))
                    + " has neither header nor query");
        }
    }

    private LabelledQuery check(LabelledQuery q) {
        String where = "query " + queries + ": ";
        if (queries + 1 > limits.maxQueries()) {
            throw Errors.resourceExhausted("the upload has more than " + limits.maxQueries()
                    + " queries (affect.registry.evaluation.max-queries); split it into several evaluations");
        }
        if (!q.hasImage() || q.getImage().getData().isEmpty()) {
            throw Errors.invalidArgument(where + "has no image");
        }
        if (q.getImage().getData().size() > limits.maxImageBytes()) {
            throw Errors.invalidArgument(where + "image is " + q.getImage().getData().size() + " bytes, above the limit of "
                    + limits.maxImageBytes() + " bytes (affect.registry.max-image-bytes)");
        }
        if (!q.hasBox()) {
            throw Errors.invalidArgument(where + "has no person box (x1, y1, x2, y2 in pixels)");
        }
        String className = q.getClassName().isEmpty() ? "" : TaxonomyService.classNameToFind(q.getClassName());
        if (!className.isEmpty() && !classNames.contains(className)) {
            throw Errors.invalidArgument(where + "class " + Inputs.quoted(q.getClassName()) + " is not in taxonomy '"
                    + header.getTaxonomy() + "' (leave class_name empty for a person of none of its classes)");
        }
        bytes += q.getImage().getData().size();
        if (bytes > limits.maxUploadBytes()) {
            throw Errors.resourceExhausted("the upload's images exceed " + limits.maxUploadBytes()
                    + " bytes (affect.registry.evaluation.max-upload-bytes); split it into several evaluations");
        }
        return className.equals(q.getClassName()) ? q : q.toBuilder().setClassName(className).build();
    }

    private void write(LabelledQuery q) {
        try {
            q.writeDelimitedTo(out);
            queries++;
        } catch (IOException e) {
            throw Errors.unavailable("cannot spool the evaluation upload: " + e.getMessage());
        }
    }

    /** Ends the upload; INVALID_ARGUMENT when it never sent a header. */
    EvaluationHeader finish() {
        if (header == null) {
            throw Errors.invalidArgument("the upload must start with a header (taxonomy, target_false_accept_rate)");
        }
        closeOutput();
        return header;
    }

    int queries() {
        return queries;
    }

    /** The spooled queries in upload order, read back one by one; close the iterator's stream with {@link #close()}. */
    Iterator<LabelledQuery> read() {
        InputStream in;
        try {
            in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        reader = in;
        return new Iterator<>() {
            private int read;

            @Override
            public boolean hasNext() {
                return read < queries;
            }

            @Override
            public LabelledQuery next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                try {
                    read++;
                    return LabelledQuery.parseDelimitedFrom(in);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }

    /** Deletes the spooled queries (the upload failed or was cancelled, or the job ended). */
    public void discard() {
        close();
    }

    @Override
    public synchronized void close() {
        closeOutput();
        try {
            if (reader != null) {
                reader.close();
            }
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // the file is in a temporary directory; nothing else depends on it
        }
    }

    private void closeOutput() {
        try {
            if (out != null) {
                out.close();
                out = null;
            }
        } catch (IOException e) {
            throw Errors.unavailable("cannot spool the evaluation upload: " + e.getMessage());
        }
    }
}
