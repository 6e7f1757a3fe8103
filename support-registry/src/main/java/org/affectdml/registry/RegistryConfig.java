package org.affectdml.registry;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** support-registry settings (prefix {@code affect.registry}); the README's configuration table lists them. */
@ConfigMapping(prefix = "affect.registry")
public interface RegistryConfig {

    /** Temperature T of softmax(-d^2 / T) over classes (d: Euclidean distance of unit vectors). */
    @WithDefault("0.1")
    double temperature();

    /** Taxonomies with at most this many supports are searched exactly; larger ones through the HNSW index. */
    @WithDefault("20000")
    int exactSearchMaxSupports();

    /**
     * Exact searches of taxonomies with at least this many supports take two passes (each class's minimum distance, then
     * the support at it) instead of sorting every row by class and distance: faster from ~2 000 supports on (measured in
     * docs/benchmarks.md), slower below. Both find the same distances.
     */
    @WithDefault("2000")
    int exactSearchTwoPassMinSupports();

    /** hnsw.ef_search for approximate search (higher: better recall, slower). */
    @WithDefault("100")
    int hnswEfSearch();

    /** Deadline of one call to embedding-service. */
    @WithDefault("60s")
    Duration embeddingTimeout();

    /**
     * Times the registry sends a call to embedding-service, the first included, when it ends UNAVAILABLE after its
     * answer had begun (a replica stopping mid-answer: "Connection closed after GOAWAY"). grpc-java's own retries
     * (affect.transport.retry) send a call again only until its answer begins, so these rounds cover what they
     * cannot, without adding attempts to an outage. All rounds share embedding-timeout and the caller's deadline.
     * 1 = grpc-java's retries only.
     */
    @WithDefault("2")
    int embeddingCallRounds();

    /** Pause before the next round of {@link #embeddingCallRounds()}. */
    @WithDefault("250ms")
    Duration embeddingRoundPause();

    /**
     * How long the versions embedding-service serves (GetModel) are reused before asking again; 0 = ask on every call.
     * A bundle activated meanwhile is preferred at most this much later (until then taxonomies are served with the
     * version they are complete in, never a mix); an Embed refused because its version is no longer loaded asks again
     * at once and the call is answered with the fresh versions.
     */
    @WithDefault("1s")
    Duration modelInfoMaxAge();

    /**
     * How long after the last Classify the registry keeps GetModel's answer young in the background (asking every third
     * of {@link #modelInfoMaxAge()}, at most ten times a second), so calls further apart than that age do not wait on
     * GetModel; 0 = ask ahead only when a call finds the answer past half its age. Costs three GetModel calls a second per
     * replica meanwhile (at 1 s).
     */
    @WithDefault("5m")
    Duration modelInfoAskAheadFor();

    /**
     * How many taxonomies Classify keeps as last read (classes, thresholds, rules), and how many of its checks before
     * embedding (by taxonomy name), each confirmed by the search statement on every call (revision, and the embedding
     * counts that decided the version); above it all are forgotten and read again as used.
     */
    @WithDefault("1000")
    int classifiedTaxonomiesKept();

    /** Largest image accepted by AddSupport/Classify (bytes); embedding-service applies its own limits too. */
    @WithDefault("20971520")
    int maxImageBytes();

    /**
     * Longest REST request URI (414 with a JSON body above it). URIs above quarkus.http.limits.max-initial-line-length
     * are refused by the HTTP layer itself, without a body.
     */
    @WithDefault("8192")
    int maxUriLength();

    /** Most person boxes one ClassifyPersons may carry; keep it at most embedding-service's affect.embedding.max-persons. */
    @WithDefault("64")
    int maxPersons();

    Reembedding reembedding();

    RequestIds requestIds();

    /** ImportTaxonomy (spooled in the evaluation spool directory while it arrives). */
    @io.smallrye.config.WithName("import")
    ImportLimits importLimits();

    interface ImportLimits {
        /** Most supports one archive may hold. */
        @WithDefault("10000")
        int maxSupports();

        /** Most bytes of support images one archive may hold. */
        @WithDefault("4294967296")
        long maxUploadBytes();

        /** Longest the one transaction that stores an import may take (writing the images and embeddings). */
        @WithDefault("10m")
        java.time.Duration transactionTimeout();
    }

    /** Idempotency keys of write calls (request_id, REST Idempotency-Key). */
    interface RequestIds {
        /** How long the first answer under a key is kept for retries (then the key may be used again). */
        @WithDefault("24h")
        java.time.Duration retention();
    }

    Evaluation evaluation();

    /** EvaluateTaxonomy and StartEvaluation jobs. */
    interface Evaluation {
        /** Most supports an evaluation holds in memory (leave-one-out compares every pair). */
        @WithDefault("5000")
        int maxSupports();

        /** Most labelled queries one StartEvaluation may upload. */
        @WithDefault("10000")
        int maxQueries();

        /** Most bytes of query images one StartEvaluation may upload (spooled to disk while the job runs). */
        @WithDefault("4294967296")
        long maxUploadBytes();

        /** Where uploads are spooled; default: affect-evaluations under java.io.tmpdir. */
        Optional<java.nio.file.Path> spoolDirectory();

        /** Jobs running at once on a replica; later ones wait QUEUED. */
        @WithDefault("1")
        int concurrentJobs();

        /** Queries per EmbedBatch call of a job. */
        @WithDefault("8")
        int batchSize();

        /** Ended jobs are deleted this long after they ended. */
        @WithDefault("7d")
        Duration keepJobs();

        /**
         * A QUEUED or RUNNING job not updated this long is reported FAILED (its replica stopped). Its replica marks it
         * alive every fifth of this (at least every second).
         */
        @WithDefault("30s")
        Duration staleAfter();
    }

    /** When AddSupport warns about a new support (distances are cosine distances of the active model). */
    Warnings warnings();

    interface Warnings {
        @WithDefault("0.02")
        double nearDuplicateDistance();

        @WithDefault("0.1")
        double confusableDistance();
    }

    Auth auth();

    interface Reembedding {
        /** How often the active model version is checked. */
        @WithDefault("5s")
        Duration interval();

        /** Supports embedded per EmbedBatch call while re-embedding. */
        @WithDefault("16")
        int batchSize();

        /**
         * Of several registry replicas one re-embeds at a time, holding a lease in PostgreSQL that it renews after
         * every batch; if it stops, another takes over once the lease is this old.
         */
        @WithDefault("30s")
        Duration leaseTtl();
    }

    interface Auth {
        /** Require API keys (gRPC metadata or HTTP header "authorization: Bearer KEY"). */
        @WithDefault("true")
        boolean enabled();

        /** Keys with the admin role (taxonomy management; may also classify). */
        Optional<List<String>> adminKeys();

        /** Keys with the client role (Classify only). */
        Optional<List<String>> clientKeys();
    }
}
