-- The exact search of a large taxonomy takes each class's nearest support from that class's rows alone
-- (SupportEmbeddingRepository.EXACT_NEAREST_PER_CLASS_BY_CLASS): an index on the class after the scope. It starts with
-- the columns of support_embedding_scope, so it serves that index's queries too, which it replaces.
CREATE INDEX support_embedding_class ON support_embedding (taxonomy_id, model_version, class_id);
DROP INDEX support_embedding_scope;
