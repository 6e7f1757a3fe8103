package org.affectdml.registry.service;

import org.affectdml.proto.v1.ExportedSupport;
import org.affectdml.proto.v1.Taxonomy;
import org.affectdml.proto.v1.TaxonomyArchiveChunk;
import org.affectdml.service.errors.Errors;
import org.affectdml.service.errors.MalformedStreamMessages;

import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * The chunks of one ImportTaxonomy, checked as they arrive (header first, then supports of its classes with an
 * image and a box, within the limits) and written to a file, so an archive of any size holds one support in memory.
 * Not thread-safe: one upload feeds it in order. {@link #close()} deletes the file on every path.
 */
public final class ImportUploadSpool implements AutoCloseable {

    /**
     * Checks the header as CreateTaxonomy would and returns it with its names as stored (NFC); {@code requestId} is
     * the import's idempotency key (empty: none).
     */
    interface HeaderCheck {
        Taxonomy check(Taxonomy header, String requestId);
    }

    record Limits(int maxSupports, long maxUploadBytes, int maxImageBytes) {
    }

    private final SpooledMessages<ExportedSupport> spooled;
    private final Limits limits;
    private final HeaderCheck headers;
    private Taxonomy header;
    private java.util.Set<String> classNames;
    private long index;
    private int supports;
    private long bytes;
    private String requestId = "";
    private final java.security.MessageDigest archiveDigest = sha256();
    private volatile boolean cancelled;

    ImportUploadSpool(Path directory, Limits limits, HeaderCheck headers) {
        this.limits = limits;
        this.headers = headers;
        this.spooled = new SpooledMessages<>(directory, "import", ExportedSupport.parser(), "import");
    }

    /** Takes the next chunk; INVALID_ARGUMENT (naming the chunk's index) or RESOURCE_EXHAUSTED when it breaks a rule. */
    public synchronized void accept(TaxonomyArchiveChunk chunk) {
        long at = index++;
        MalformedStreamMessages.requireWellFormed(chunk, at);
        if (cancelled) {
            throw io.grpc.Status.CANCELLED.withDescription("the import was cancelled").asRuntimeException();
        }
        if (!chunk.getRequestId().isEmpty() && !chunk.hasHeader()) {
            throw Errors.invalidArgument("chunk " + at + ": request_id belongs on the header chunk only");
        }
        archiveDigest.update(WriteRequests.deterministicBytes(chunk.toBuilder().clearRequestId().build()));
        switch (chunk.getPartCase()) {
            case HEADER -> {
                if (header != null) {
                    throw Errors.invalidArgument("chunk " + at + " is a second header; an import has one header, first");
                }
                requestId = chunk.getRequestId();
                header = headers.check(chunk.getHeader(), requestId);
                classNames = new java.util.HashSet<>(header.getClassesList().stream().map(c -> c.getName()).toList());
            }
            case SUPPORT -> {
                if (header == null) {
                    throw Errors.invalidArgument("an import starts with the taxonomy header chunk (chunk " + at + " is a support)");
                }
                write(check(chunk.getSupport(), "chunk " + at + ": "));
            }
            default -> throw Errors.invalidArgument("chunk " + at + " has neither header nor support");
        }
    }

    private ExportedSupport check(ExportedSupport s, String where) {
        if (supports + 1 > limits.maxSupports()) {
            throw Errors.resourceExhausted("the archive has more than " + limits.maxSupports()
                    + " supports (affect.registry.import.max-supports)");
        }
        String className = TaxonomyService.classNameToFind(s.getClassName());
        if (!classNames.contains(className)) {
            throw Errors.invalidArgument(where + "class " + org.affectdml.service.errors.Inputs.quoted(s.getClassName())
                    + " is not one of the header's classes");
        }
        if (!s.hasImage() || s.getImage().getData().isEmpty()) {
            throw Errors.invalidArgument(where + "support has no image");
        }
        if (s.getImage().getData().size() > limits.maxImageBytes()) {
            throw Errors.invalidArgument(where + "image is " + s.getImage().getData().size() + " bytes, above the limit of "
                    + limits.maxImageBytes() + " bytes (affect.registry.max-image-bytes)");
        }
        if (!s.hasBox()) {
            throw Errors.invalidArgument(where + "support has no person box (x1, y1, x2, y2 in pixels)");
        }
        bytes += s.getImage().getData().size();
        if (bytes > limits.maxUploadBytes()) {
            throw Errors.resourceExhausted("the archive's images exceed " + limits.maxUploadBytes() + " bytes (affect.registry.import.max-upload-bytes)");
        }
        return s.toBuilder().setClassName(className).clearMetadata().putAllMetadata(SupportService.requireMetadata(s.getMetadataMap())).build();
    }

    private void write(ExportedSupport s) {
        spooled.append(s);
        supports++;
    }

    /** The import's idempotency key from its header chunk (empty: none). */
    String requestId() {
        return requestId;
    }

    /** SHA-256 (hex) of every chunk as received, request id cleared: what the import's request id stands for. */
    String archiveFingerprint() {
        return java.util.HexFormat.of().formatHex(archiveDigest.digest());
    }

    /** The client went away: the upload stops, and an import in progress stops before it stores anything. */
    public void cancel() {
        cancelled = true;
        close();
    }

    boolean cancelled() {
        return cancelled;
    }

    private static java.security.MessageDigest sha256() {
        try {
            return java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Ends the upload: the checked header; INVALID_ARGUMENT when none came. */
    synchronized Taxonomy finish() {
        if (header == null) {
            throw Errors.invalidArgument("an import starts with the taxonomy header chunk (the upload had none)");
        }
        spooled.finishWriting();
        return header;
    }

    int supports() {
        return supports;
    }

    /** Calls {@code each} with every spooled support in upload order, one in memory at a time. */
    void forEachSupport(Consumer<ExportedSupport> each) {
        if (cancelled) {
            throw io.grpc.Status.CANCELLED.withDescription("the client cancelled the import; nothing was stored").asRuntimeException();
        }
        spooled.read().forEachRemaining(each);
    }

    @Override
    public synchronized void close() {
        spooled.close();
    }
}
