package org.affectdml.inference.bundle;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A verified bundle with open ONNX Runtime sessions for the roles this process serves. Roles that
 * reference the same file share one session. Reference-counted so that a hot swap closes the sessions
 * only after the last in-flight request using them has finished.
 */
public final class LoadedBundle implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(LoadedBundle.class);

    private final Path directory;
    private final BundleManifest manifest;
    private final Map<String, OrtSession> sessionsByRole;
    private final List<String> segmenterLabels;
    // One reference belongs to the holder that serves this bundle; each lease adds one.
    private final AtomicInteger references = new AtomicInteger(1);

    LoadedBundle(Path directory, BundleManifest manifest, Map<String, OrtSession> sessionsByRole, List<String> segmenterLabels) {
        this.directory = directory;
        this.manifest = manifest;
        this.sessionsByRole = Map.copyOf(sessionsByRole);
        this.segmenterLabels = List.copyOf(segmenterLabels);
    }

    public String version() {
        return manifest.version();
    }

    public BundleManifest manifest() {
        return manifest;
    }

    public Path directory() {
        return directory;
    }

    public Set<String> openRoles() {
        return sessionsByRole.keySet();
    }

    /** The session for a role this process opened; an error naming the role otherwise. */
    public OrtSession session(String role) {
        OrtSession session = sessionsByRole.get(role);
        if (session == null) {
            throw new IllegalStateException("bundle " + version() + " has no open session for role " + role
                    + " (opened: " + sessionsByRole.keySet() + ")");
        }
        return session;
    }

    public boolean hasSession(String role) {
        return sessionsByRole.containsKey(role);
    }

    /** Class names of the segmenter, index-aligned with Sem2Vec; empty when the bundle has none. */
    public List<String> segmenterLabels() {
        return segmenterLabels;
    }

    /** Takes a reference; false when the bundle has already been closed (the caller must re-read the holder). */
    boolean retain() {
        while (true) {
            int n = references.get();
            if (n <= 0) {
                return false;
            }
            if (references.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Drops a reference; the last one closes the sessions. */
    void release() {
        if (references.decrementAndGet() == 0) {
            closeSessions();
        }
    }

    /** Releases the holder's own reference (in-flight leases keep the sessions open until they end). */
    @Override
    public void close() {
        release();
    }

    private void closeSessions() {
        for (OrtSession session : Set.copyOf(sessionsByRole.values())) {
            try {
                session.close();
            } catch (OrtException e) {
                LOG.warnf("closing a session of bundle %s failed: %s", version(), e.getMessage());
            }
        }
        LOG.debugf("closed the sessions of bundle %s", version());
    }
}
