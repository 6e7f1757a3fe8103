-- Each support embedding's stream projections (affect.v1.StreamProjections), for explanations. NULL: not computed
-- yet (rows from before this migration; the re-embedding worker fills them); an empty array: the model has none
-- for that stream.
ALTER TABLE support_embedding
    ADD COLUMN image_projection real[],
    ADD COLUMN body_projection  real[],
    ADD COLUMN scene_projection real[];

-- StartEvaluation jobs: progress and outcome, readable from any registry replica. The uploaded queries live in the
-- spool directory of the replica that runs the job, only while it runs.
CREATE TABLE evaluation_job (
    id              UUID         PRIMARY KEY,
    taxonomy_id     BIGINT       NOT NULL REFERENCES taxonomy (id) ON DELETE CASCADE,
    state           VARCHAR(16)  NOT NULL CHECK (state IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED')),
    queries_total   INT          NOT NULL,
    queries_done    INT          NOT NULL DEFAULT 0,
    queries_skipped INT          NOT NULL DEFAULT 0,
    error           TEXT         NOT NULL DEFAULT '',
    evaluation_id   BIGINT       REFERENCES taxonomy_evaluation (id) ON DELETE SET NULL,
    created         TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated         TIMESTAMPTZ  NOT NULL DEFAULT now()
);
CREATE INDEX evaluation_job_updated ON evaluation_job (updated);
