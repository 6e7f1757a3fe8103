-- One holder at a time for work that every registry replica could do (the re-embedding worker): a lease the
-- holder renews while it works and that another replica takes over once it has expired.
CREATE TABLE worker_lease (
    name       TEXT         PRIMARY KEY,
    holder     TEXT         NOT NULL,
    expires_at TIMESTAMPTZ  NOT NULL
);
