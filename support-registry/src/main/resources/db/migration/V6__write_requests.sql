-- Idempotency keys of write calls (request_id in gRPC, the Idempotency-Key header in REST): the answer of the first
-- successful attempt, stored in the transaction of the change itself and kept affect.registry.request-ids.retention,
-- so a client that retries after a lost answer gets that answer back instead of a duplicate or a conflict.
CREATE TABLE write_request (
    request_id  VARCHAR(128) PRIMARY KEY,
    method      VARCHAR(64)  NOT NULL,
    -- sha256 of the request's deterministic protobuf bytes (request_id cleared): the same id with another request is refused.
    fingerprint CHAR(64)     NOT NULL,
    response    BYTEA        NOT NULL,
    created     TIMESTAMPTZ  NOT NULL DEFAULT now()
);
CREATE INDEX write_request_created ON write_request (created);
