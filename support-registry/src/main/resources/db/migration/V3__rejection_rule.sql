-- The open-set rule of a taxonomy (UpdateTaxonomy): distance threshold, minimum margin, per-class thresholds,
-- and the model version and scoring rule the thresholds were set for. NULL: no rule / no limit.
ALTER TABLE taxonomy ADD COLUMN reject_max_distance REAL;
ALTER TABLE taxonomy ADD COLUMN reject_min_margin REAL;
ALTER TABLE taxonomy ADD COLUMN reject_model_version VARCHAR(128);
ALTER TABLE taxonomy ADD COLUMN reject_scoring VARCHAR(32);
ALTER TABLE emotion_class ADD COLUMN max_distance REAL;
