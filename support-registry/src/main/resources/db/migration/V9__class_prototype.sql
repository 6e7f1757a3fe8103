-- Each class's mean prototype, kept on write, so that Classify's mean-prototype scoring reads one row per class
-- instead of averaging every support at query time (100 000 supports: 26 rows read, not 100 000).
-- A row holds what pgvector's avg(vector) accumulates before dividing: {count, sum_1, ..., sum_D} in double precision
-- (its vector_accum state), so vector_avg(accumulated) is the avg(embedding) of the class's supports of that model version.
-- Only the triggers below write it, in the writing statement's transaction: every way a row of support_embedding comes
-- and goes is covered (AddSupport, imports, re-embedding, pruning, deletes that cascade). The increments commute, so
-- concurrent writers under READ COMMITTED never lose one another's (ON CONFLICT DO UPDATE and UPDATE re-read the latest
-- row version before adding). Sums of float4 values in float8 add and subtract with errors of the order of 1e-16 of the
-- sum, far below the float4 of the mean. A backup that leaves out support_embedding's data must leave out this table's
-- too (docs/operations.md): the re-embedding after a restore adds every embedding again. The functions pin their
-- search_path, so a session with another class_prototype earlier in its path still maintains this one. Every statement
-- takes the rows it changes in key order (taxonomy, version, class), so two writers never wait for each other in a
-- circle; a writer of several statements in one transaction keeps that order too (the re-embedding worker sorts its batch).
CREATE TABLE class_prototype (
    taxonomy_id   BIGINT             NOT NULL,
    model_version VARCHAR(128)       NOT NULL,
    class_id      BIGINT             NOT NULL,
    accumulated   DOUBLE PRECISION[] NOT NULL,
    PRIMARY KEY (taxonomy_id, model_version, class_id)
);

-- avg(vector)'s accumulation without its final division: {count, sums}. Combined with vector_combine, as avg does.
CREATE AGGREGATE class_prototype_accumulate(vector) (
    SFUNC = vector_accum, STYPE = DOUBLE PRECISION[], COMBINEFUNC = vector_combine, INITCOND = '{0}'
);

-- The accumulation of rows taken away: every element negated (the count too), for vector_combine to subtract.
CREATE FUNCTION class_prototype_negated(accumulated DOUBLE PRECISION[]) RETURNS DOUBLE PRECISION[]
    LANGUAGE sql IMMUTABLE STRICT
    RETURN ARRAY(SELECT -u.x FROM unnest(accumulated) WITH ORDINALITY u(x, i) ORDER BY u.i);

CREATE FUNCTION class_prototype_after_insert() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO class_prototype AS p (taxonomy_id, model_version, class_id, accumulated)
    SELECT taxonomy_id, model_version, class_id, class_prototype_accumulate(embedding) FROM new_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (taxonomy_id, model_version, class_id) DO UPDATE SET accumulated = vector_combine(p.accumulated, EXCLUDED.accumulated);
    RETURN NULL;
END $$;

CREATE FUNCTION class_prototype_after_delete() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM 1 FROM class_prototype p
    WHERE (p.taxonomy_id, p.model_version, p.class_id) IN (SELECT taxonomy_id, model_version, class_id FROM old_rows)
    ORDER BY p.taxonomy_id, p.model_version, p.class_id FOR UPDATE;
    -- a class whose supports of that version all go (the class or taxonomy deleted, the version pruned): drop its row
    -- without summing what goes
    DELETE FROM class_prototype p
    USING (SELECT taxonomy_id, model_version, class_id, count(*) AS n FROM old_rows GROUP BY 1, 2, 3) g
    WHERE p.taxonomy_id = g.taxonomy_id AND p.model_version = g.model_version AND p.class_id = g.class_id
      AND p.accumulated[1] <= g.n;
    UPDATE class_prototype p SET accumulated = vector_combine(p.accumulated, class_prototype_negated(g.accumulated))
    FROM (SELECT taxonomy_id, model_version, class_id, class_prototype_accumulate(embedding) AS accumulated
          FROM old_rows GROUP BY 1, 2, 3) g
    WHERE p.taxonomy_id = g.taxonomy_id AND p.model_version = g.model_version AND p.class_id = g.class_id;
    -- two transactions that each delete part of a class's last supports both pass the first DELETE (each sees the
    -- other's rows still counted) and leave the row at 0 between them: the second one, having waited for the first, removes it
    DELETE FROM class_prototype p WHERE p.accumulated[1] <= 0 AND EXISTS (SELECT 1 FROM old_rows o
        WHERE p.taxonomy_id = o.taxonomy_id AND p.model_version = o.model_version AND p.class_id = o.class_id);
    RETURN NULL;
END $$;

-- Only rows whose embedding or scope changed count: re-embedding fills in a row's projections with an UPDATE.
CREATE FUNCTION class_prototype_after_update() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM 1 FROM class_prototype p
    WHERE (p.taxonomy_id, p.model_version, p.class_id) IN (SELECT taxonomy_id, model_version, class_id FROM old_rows
                                                          UNION SELECT taxonomy_id, model_version, class_id FROM new_rows)
    ORDER BY p.taxonomy_id, p.model_version, p.class_id FOR UPDATE;
    UPDATE class_prototype p SET accumulated = vector_combine(p.accumulated, class_prototype_negated(g.accumulated))
    FROM (SELECT o.taxonomy_id, o.model_version, o.class_id, class_prototype_accumulate(o.embedding) AS accumulated
          FROM old_rows o
          WHERE NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.sample_id = o.sample_id AND n.model_version = o.model_version
                            AND n.taxonomy_id = o.taxonomy_id AND n.class_id = o.class_id AND n.embedding = o.embedding)
          GROUP BY 1, 2, 3) g
    WHERE p.taxonomy_id = g.taxonomy_id AND p.model_version = g.model_version AND p.class_id = g.class_id;
    DELETE FROM class_prototype p WHERE p.accumulated[1] <= 0 AND EXISTS (SELECT 1 FROM old_rows o
        WHERE p.taxonomy_id = o.taxonomy_id AND p.model_version = o.model_version AND p.class_id = o.class_id);
    INSERT INTO class_prototype AS p (taxonomy_id, model_version, class_id, accumulated)
    SELECT n.taxonomy_id, n.model_version, n.class_id, class_prototype_accumulate(n.embedding) FROM new_rows n
    WHERE NOT EXISTS (SELECT 1 FROM old_rows o WHERE n.sample_id = o.sample_id AND n.model_version = o.model_version
                      AND n.taxonomy_id = o.taxonomy_id AND n.class_id = o.class_id AND n.embedding = o.embedding)
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (taxonomy_id, model_version, class_id) DO UPDATE SET accumulated = vector_combine(p.accumulated, EXCLUDED.accumulated);
    RETURN NULL;
END $$;

-- TRUNCATE fires no row or statement DELETE trigger: the kept means go with the rows.
CREATE FUNCTION class_prototype_after_truncate() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    DELETE FROM class_prototype;
    RETURN NULL;
END $$;

CREATE TRIGGER class_prototype_insert AFTER INSERT ON support_embedding
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION class_prototype_after_insert();
CREATE TRIGGER class_prototype_delete AFTER DELETE ON support_embedding
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION class_prototype_after_delete();
CREATE TRIGGER class_prototype_update AFTER UPDATE ON support_embedding
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION class_prototype_after_update();
CREATE TRIGGER class_prototype_truncate AFTER TRUNCATE ON support_embedding
    FOR EACH STATEMENT EXECUTE FUNCTION class_prototype_after_truncate();

-- What is stored already.
INSERT INTO class_prototype (taxonomy_id, model_version, class_id, accumulated)
SELECT taxonomy_id, model_version, class_id, class_prototype_accumulate(embedding) FROM support_embedding GROUP BY 1, 2, 3;
