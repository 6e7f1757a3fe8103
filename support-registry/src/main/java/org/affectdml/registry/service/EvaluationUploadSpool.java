package org.affectdml.registry.service;

import org.affectdml.proto.v1.EvaluationHeader;
import org.affectdml.proto.v1.EvaluationUpload;
import org.affectdml.proto.v1.LabelledQuery;
import org.affectdml.service.errors.Errors;
import org.affectdml.service.errors.Inputs;

import java.nio.file.Path;
import java.util.Iterator;
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

    private final SpooledMessages<LabelledQuery> spooled;
    private final Limits limits;
    private final Classes classes;
    private EvaluationHeader header;
    private Set<String> classNames;
    private int queries;
    private long bytes;

    EvaluationUploadSpool(Path directory, Limits limits, Classes classes) {
        this.limits = limits;
        this.classes = classes;
        this.spooled = new SpooledMessages<>(directory, "evaluation", LabelledQuery.parser(), "evaluation upload");
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
        spooled.append(q);
        queries++;
    }

    /** Ends the upload; INVALID_ARGUMENT when it never sent a header. */
    EvaluationHeader finish() {
        if (header == null) {
            throw Errors.invalidArgument("the upload must start with a header (taxonomy, target_false_accept_rate)");
        }
        spooled.finishWriting();
        return header;
    }

    int queries() {
        return queries;
    }

    /** The spooled queries in upload order, read back one by one; close the iterator's stream with {@link #close()}. */
    Iterator<LabelledQuery> read() {
        return spooled.read();
    }

    /** Deletes the spooled queries (the upload failed or was cancelled, or the job ended). */
    public void discard() {
        close();
    }

    @Override
    public synchronized void close() {
        spooled.close();
    }
}
