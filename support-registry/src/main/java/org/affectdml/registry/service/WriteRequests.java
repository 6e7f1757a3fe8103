package org.affectdml.registry.service;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.affectdml.registry.RegistryConfig;
import org.affectdml.registry.repository.WriteRequestRepository;
import org.affectdml.service.errors.Errors;
import org.affectdml.service.errors.Inputs;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Idempotency keys of write calls. A write with a request id runs {@link #once}: inside the write's own
 * transaction the key is locked, an answer stored under it is returned as it was first given (when the request
 * is the same), and otherwise the write runs and its answer is stored in the same transaction, so it exists exactly
 * when the change committed. Answers are kept affect.registry.request-ids.retention (purged in the background).
 */
@ApplicationScoped
public class WriteRequests {

    static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final long PURGE_EVERY_MINUTES = 5;
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(WriteRequests.class);

    @Inject
    WriteRequestRepository stored;
    @Inject
    RegistryConfig config;

    private java.util.concurrent.ScheduledExecutorService purger;

    /** A write call's key: its request id (empty: none), the call's name and the request's fingerprint. */
    public record Key(String requestId, String method, String fingerprint) {
        boolean present() {
            return !requestId.isEmpty();
        }
    }

    /**
     * The key of a write: INVALID_ARGUMENT for a malformed id. {@code request} is the call's request as the gRPC
     * API defines it (REST builds the same one), with request_id cleared, so the fingerprint is the same however the
     * call arrived.
     */
    public Key key(String requestId, String method, Message request) {
        return key(requestId, method, HexFormat.of().formatHex(sha256(deterministicBytes(request))));
    }

    /** The key of a write whose request is summarised by {@code requestFingerprint} (e.g. a streamed archive's digest). */
    public Key key(String requestId, String method, String requestFingerprint) {
        if (requestId == null || requestId.isEmpty()) {
            return new Key("", method, "");
        }
        if (!REQUEST_ID.matcher(requestId).matches()) {
            throw Errors.invalidArgument("request_id " + Inputs.quoted(requestId)
                    + " must be 1-128 characters of A-Z, a-z, 0-9, '.', '_', ':', '-' (a UUID is a good choice)");
        }
        return new Key(requestId, method, HexFormat.of().formatHex(sha256((method + "\n" + requestFingerprint).getBytes(java.nio.charset.StandardCharsets.UTF_8))));
    }

    /**
     * Runs the write (in the caller's transaction) unless the key already holds its answer; stores the answer under
     * the key. The same key with another call or request is INVALID_ARGUMENT.
     */
    public <T extends Message> T once(Key key, Parser<T> parser, Supplier<T> write) {
        if (!key.present()) {
            return write.get();
        }
        Optional<T> earlier = replay(key, parser);
        if (earlier.isPresent()) {
            return earlier.get();
        }
        T answer = write.get();
        record(key, answer);
        return answer;
    }

    /** The answer stored under the key, with the key locked until the caller's transaction ends; empty without a key. */
    public <T extends Message> Optional<T> replay(Key key, Parser<T> parser) {
        if (!key.present()) {
            return Optional.empty();
        }
        stored.lock(key.requestId());
        return stored.find(key.requestId(), config.requestIds().retention()).map(s -> {
            if (!s.method().equals(key.method()) || !s.fingerprint().equals(key.fingerprint())) {
                throw Errors.invalidArgument("request_id " + Inputs.quoted(key.requestId()) + " was used for another request ("
                        + s.method() + "); use a new request id for every distinct change");
            }
            try {
                return parser.parseFrom(s.response());
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException("stored answer of request " + key.requestId() + " does not parse", e);
            }
        });
    }

    /** Stores an answer under the key in the caller's transaction (for answers built outside {@link #once}). */
    public void record(Key key, Message answer) {
        if (key.present()) {
            stored.save(key.requestId(), key.method(), key.fingerprint(), answer.toByteArray());
        }
    }

    /** Expired answers are deleted every few minutes, in a transaction of their own (a failure is retried next time). */
    void startPurging(@jakarta.enterprise.event.Observes io.quarkus.runtime.StartupEvent event) {
        purger = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "request-id-purge");
            t.setDaemon(true);
            return t;
        });
        purger.scheduleWithFixedDelay(this::purge, PURGE_EVERY_MINUTES, PURGE_EVERY_MINUTES, java.util.concurrent.TimeUnit.MINUTES);
    }

    void stopPurging(@jakarta.enterprise.event.Observes io.quarkus.runtime.ShutdownEvent event) {
        if (purger != null) {
            purger.shutdownNow();
        }
    }

    /** Deletes the answers older than the retention period; returns how many. */
    public int purge() {
        try {
            return io.quarkus.narayana.jta.QuarkusTransaction.requiringNew().call(() -> stored.purgeOlderThan(config.requestIds().retention()));
        } catch (RuntimeException e) {
            LOG.debugf("expired request ids not purged now (retried later): %s", e.getMessage());
            return 0;
        }
    }

    /** A message's bytes in deterministic serialisation (map fields in key order): the same request, the same bytes. */
    static byte[] deterministicBytes(Message request) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(request.getSerializedSize());
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            out.useDeterministicSerialization();
            request.writeTo(out);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
