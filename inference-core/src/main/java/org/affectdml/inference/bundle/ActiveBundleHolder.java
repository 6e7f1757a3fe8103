package org.affectdml.inference.bundle;

import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Serves the store's active bundle and follows it: a background thread polls the store's ACTIVE pointer,
 * loads and verifies a newly activated bundle off the request path, and swaps it in atomically.
 * Requests hold a {@link Lease}; the previous bundle's sessions close when its last lease ends, so
 * in-flight requests finish on the model they started with. A bundle that fails verification is logged
 * and never replaces the one serving; it is retried only when ACTIVE changes again. With a
 * {@code retainPreviousFor} above zero, the replaced bundle stays loaded that long (or until the next swap) so that
 * clients can still ask for its version while they migrate (support-registry re-embedding its supports); then it is
 * released, and its sessions close once no request holds them.
 */
public final class ActiveBundleHolder implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ActiveBundleHolder.class);

    private final ModelStore store;
    private final BundleLoader loader;
    private final Set<String> roles;
    private final Duration retainPreviousFor;
    private final AtomicReference<LoadedBundle> current = new AtomicReference<>();
    private final AtomicReference<LoadedBundle> previous = new AtomicReference<>();
    private final ScheduledExecutorService poller;
    private final List<Runnable> swapListeners = new CopyOnWriteArrayList<>();
    private volatile String rejectedVersion;
    private volatile String lastError;

    public ActiveBundleHolder(ModelStore store, BundleLoader loader, Set<String> roles) {
        this(store, loader, roles, Duration.ZERO);
    }

    /** {@code retainPreviousFor}: how long a replaced bundle stays loaded for requests that name it; zero: not at all. */
    public ActiveBundleHolder(ModelStore store, BundleLoader loader, Set<String> roles, Duration retainPreviousFor) {
        this.retainPreviousFor = retainPreviousFor;
        this.store = store;
        this.loader = loader;
        this.roles = Set.copyOf(roles);
        this.poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bundle-watcher");
            t.setDaemon(true);
            return t;
        });
    }

    /** Loads the active bundle now (if any), then checks for a new one every {@code interval}. */
    public void start(Duration interval) {
        refresh();
        long ms = Math.max(50, interval.toMillis());
        poller.scheduleWithFixedDelay(this::refreshQuietly, ms, ms, TimeUnit.MILLISECONDS);
    }

    /** Loads the active bundle if it differs from the one serving. Returns true when a swap happened. */
    public synchronized boolean refresh() {
        Optional<String> active = store.activeVersion();
        LoadedBundle serving = current.get();
        if (active.isEmpty() || (serving != null && serving.version().equals(active.get()))
                || active.get().equals(rejectedVersion)) {
            return false;
        }
        String version = active.get();
        Path dir = store.bundleDirectory(version);
        long started = System.nanoTime();
        LoadedBundle fresh;
        try {
            fresh = loader.load(dir, roles);
        } catch (Exception e) {
            rejectedVersion = version;
            lastError = "bundle " + version + " failed verification: " + e.getMessage();
            LOG.errorf("%s; %s", lastError, serving == null ? "no bundle is serving" : "still serving " + serving.version());
            return false;
        }
        LoadedBundle previous = current.getAndSet(fresh);
        rejectedVersion = null;
        lastError = null;
        LOG.infof("model bundle %s loaded and verified in %d ms (roles %s)%s", version,
                (System.nanoTime() - started) / 1_000_000, fresh.openRoles(),
                previous == null ? "" : "; replaced " + previous.version());
        if (previous != null) {
            boolean retain = retainPreviousFor.toMillis() > 0;
            LoadedBundle dropped = retain ? this.previous.getAndSet(previous) : previous;
            if (dropped != null) {
                dropped.close();
            }
            if (retain) {
                poller.schedule(() -> releasePrevious(previous), retainPreviousFor.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
        swapListeners.forEach(Runnable::run);
        return true;
    }

    /** Releases the retained bundle if it is still {@code bundle}: its sessions close when the last request on it ends. */
    private void releasePrevious(LoadedBundle bundle) {
        if (previous.compareAndSet(bundle, null)) {
            LOG.infof("model bundle %s released (retained for %s after it was replaced)", bundle.version(), retainPreviousFor);
            bundle.close();
        }
    }

    /** Runs {@code listener} after every swap (on the watcher thread); used to keep metrics current. */
    public void onSwap(Runnable listener) {
        swapListeners.add(listener);
    }

    private void refreshQuietly() {
        try {
            refresh();
        } catch (RuntimeException e) {
            LOG.warnf("checking the model store %s failed: %s", store.root(), e.getMessage());
        }
    }

    /** The bundle to run one request on; close the lease when the request is done. */
    public Lease lease() {
        while (true) {
            LoadedBundle bundle = current.get();
            if (bundle == null) {
                throw new NoActiveBundleException("no model bundle is active in " + store.root()
                        + (lastError != null ? " (" + lastError + ")" : "; activate one (see README: bundle tool)"));
            }
            if (bundle.retain()) {
                return new Lease(bundle);
            }
            // Swapped and closed between get() and retain(): read the new one.
        }
    }

    /**
     * A lease on the given version: the serving one or, when retained, the one it replaced. An empty
     * version means the serving one.
     */
    public Lease lease(String version) {
        if (version == null || version.isEmpty()) {
            return lease();
        }
        Optional<Lease> loaded = leaseLoaded(version);
        if (loaded.isEmpty() && version.equals(store.activeVersion().orElse(null))) {
            // Activated but not yet picked up by the watcher (another service saw it first, e.g. embedding-service
            // asking segmentation-service for the version it just swapped to): load it now rather than fail.
            refresh();
            loaded = leaseLoaded(version);
        }
        if (loaded.isPresent()) {
            return loaded.get();
        }
        throw new NoActiveBundleException("model version " + version + " is not loaded here (serving "
                + servingVersion().orElse("none") + previousVersion().map(p -> ", previous " + p).orElse("") + ")");
    }

    private Optional<Lease> leaseLoaded(String version) {
        for (AtomicReference<LoadedBundle> slot : List.of(current, previous)) {
            LoadedBundle bundle = slot.get();
            if (bundle != null && bundle.version().equals(version) && bundle.retain()) {
                return Optional.of(new Lease(bundle));
            }
        }
        return Optional.empty();
    }

    public Optional<String> previousVersion() {
        LoadedBundle b = previous.get();
        return b == null ? Optional.empty() : Optional.of(b.version());
    }

    public Optional<String> servingVersion() {
        LoadedBundle b = current.get();
        return b == null ? Optional.empty() : Optional.of(b.version());
    }

    public Optional<String> lastError() {
        return Optional.ofNullable(lastError);
    }

    public ModelStore store() {
        return store;
    }

    @Override
    public void close() {
        poller.shutdownNow();
        for (AtomicReference<LoadedBundle> slot : List.of(current, previous)) {
            LoadedBundle b = slot.getAndSet(null);
            if (b != null) {
                b.close();
            }
        }
    }

    /** A reference to one bundle for the duration of one request. */
    public static final class Lease implements AutoCloseable {
        private final LoadedBundle bundle;
        private boolean closed;

        private Lease(LoadedBundle bundle) {
            this.bundle = bundle;
        }

        public LoadedBundle bundle() {
            return bundle;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                bundle.release();
            }
        }
    }
}
