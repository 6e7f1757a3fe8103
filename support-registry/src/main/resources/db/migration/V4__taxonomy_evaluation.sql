-- EvaluateTaxonomy results (affect.v1.TaxonomyEvaluation, protobuf bytes) with what they were computed on.
CREATE TABLE taxonomy_evaluation (
    id            BIGSERIAL    PRIMARY KEY,
    taxonomy_id   BIGINT       NOT NULL REFERENCES taxonomy (id) ON DELETE CASCADE,
    revision      BIGINT       NOT NULL,
    model_version VARCHAR(128) NOT NULL,
    scoring       VARCHAR(32)  NOT NULL,
    created       TIMESTAMPTZ  NOT NULL DEFAULT now(),
    report        BYTEA        NOT NULL
);
CREATE INDEX taxonomy_evaluation_latest ON taxonomy_evaluation (taxonomy_id, created DESC);
