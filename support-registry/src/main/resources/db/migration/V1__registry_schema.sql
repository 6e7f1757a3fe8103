-- support-registry schema. The vector extension is created by a superuser beforehand (deploy/local/postgres.sh,
-- or the managed database's console): it is not a "trusted" extension.

CREATE TABLE taxonomy (
    id          BIGSERIAL PRIMARY KEY,
    name        VARCHAR(64)  NOT NULL UNIQUE,
    kind        VARCHAR(16)  NOT NULL CHECK (kind IN ('CATEGORICAL', 'LEVEL')),
    description TEXT         NOT NULL DEFAULT '',
    revision    BIGINT       NOT NULL DEFAULT 1,
    created     TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated     TIMESTAMPTZ  NOT NULL DEFAULT now()
);

CREATE TABLE emotion_class (
    id          BIGSERIAL PRIMARY KEY,
    taxonomy_id BIGINT       NOT NULL REFERENCES taxonomy (id) ON DELETE CASCADE,
    name        VARCHAR(64)  NOT NULL,
    description TEXT         NOT NULL DEFAULT '',
    level       DOUBLE PRECISION NOT NULL DEFAULT 0,
    position    INT          NOT NULL,
    UNIQUE (taxonomy_id, name)
);

-- The original image is kept so supports can be re-embedded when a new model bundle is activated.
CREATE TABLE support_sample (
    id           UUID         PRIMARY KEY,
    taxonomy_id  BIGINT       NOT NULL REFERENCES taxonomy (id) ON DELETE CASCADE,
    class_id     BIGINT       NOT NULL REFERENCES emotion_class (id) ON DELETE CASCADE,
    image        BYTEA        NOT NULL,
    media_type   VARCHAR(32)  NOT NULL,
    image_sha256 CHAR(64)     NOT NULL,
    box_x1       REAL         NOT NULL,
    box_y1       REAL         NOT NULL,
    box_x2       REAL         NOT NULL,
    box_y2       REAL         NOT NULL,
    metadata     JSONB        NOT NULL DEFAULT '{}',
    created      TIMESTAMPTZ  NOT NULL DEFAULT now(),
    -- AddSupport is idempotent on (image, box) within a taxonomy, also under concurrent calls.
    UNIQUE (taxonomy_id, image_sha256, box_x1, box_y1, box_x2, box_y2)
);
CREATE INDEX support_sample_class ON support_sample (class_id);

-- One embedding per (sample, model version): embeddings of different versions are never compared.
CREATE TABLE support_embedding (
    sample_id     UUID         NOT NULL REFERENCES support_sample (id) ON DELETE CASCADE,
    model_version VARCHAR(128) NOT NULL,
    taxonomy_id   BIGINT       NOT NULL,
    class_id      BIGINT       NOT NULL,
    embedding     vector(128)  NOT NULL,
    PRIMARY KEY (sample_id, model_version)
);
CREATE INDEX support_embedding_scope ON support_embedding (taxonomy_id, model_version);
CREATE INDEX support_embedding_hnsw ON support_embedding USING hnsw (embedding vector_cosine_ops);
