package org.affectdml.embedding;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.Optional;

/**
 * Recently seen images' {@link SceneFeatures}, keyed by (sha256 of the encoded bytes, bundle version): a backend
 * that sends the same frame once per person, or an admin adding a second box of a photo, skips segmentation and
 * the image encoder. Bounded by entries and by bytes (affect.embedding.scene-cache.*); least recently used
 * entries go first. Hits and misses are the {@code cache_gets_total{cache="scene"}} metrics.
 */
@ApplicationScoped
public class SceneCache {

    private record Key(String sha256, String bundleVersion) {
    }

    private final Cache<Key, SceneFeatures> cache;

    @Inject
    public SceneCache(EmbeddingConfig config, MeterRegistry registry) {
        EmbeddingConfig.SceneCacheConfig c = config.sceneCache();
        // Caffeine bounds one quantity: weigh each entry at least maxBytes / maxEntries, so the byte bound also caps the count.
        long floor = Math.max(1, c.maxBytes() / Math.max(1, c.maxEntries()));
        this.cache = Caffeine.newBuilder()
                .maximumWeight(c.enabled() ? c.maxBytes() : 0)
                .weigher((Key k, SceneFeatures v) -> (int) Math.min(Integer.MAX_VALUE, Math.max(floor, v.bytes())))
                .recordStats()
                .build();
        CaffeineCacheMetrics.monitor(registry, cache, "scene");
    }

    Optional<SceneFeatures> get(String sha256, String bundleVersion) {
        return Optional.ofNullable(cache.getIfPresent(new Key(sha256, bundleVersion)));
    }

    void put(String sha256, String bundleVersion, SceneFeatures features) {
        cache.put(new Key(sha256, bundleVersion), features);
    }
}
