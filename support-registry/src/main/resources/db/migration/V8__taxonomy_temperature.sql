-- A taxonomy's own temperature for Classify's probabilities (UpdateTaxonomy.apply_temperature), with the model
-- version and scoring rule it was fitted with. NULL: none (the bundle's or the configured temperature applies).
ALTER TABLE taxonomy ADD COLUMN temperature DOUBLE PRECISION;
ALTER TABLE taxonomy ADD COLUMN temperature_model_version VARCHAR(128);
ALTER TABLE taxonomy ADD COLUMN temperature_scoring VARCHAR(32);
