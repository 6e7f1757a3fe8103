-- Class names are stored and compared in Unicode NFC from now on ("café" typed in NFC or NFD is one class). First
-- report the classes that would become one name: the migration stops, naming them, and the registry does not start
-- until an operator renames or merges them (e.g. UPDATE emotion_class SET name = ... WHERE id = ...). Then normalise.
DO $$
DECLARE
    collision RECORD;
    found BOOLEAN := false;
BEGIN
    FOR collision IN
        SELECT t.name AS taxonomy, normalize(c.name, NFC) AS nfc, string_agg(format('%s (id %s)', c.name, c.id), ', ') AS classes
        FROM emotion_class c JOIN taxonomy t ON t.id = c.taxonomy_id
        GROUP BY t.name, normalize(c.name, NFC) HAVING count(*) > 1
    LOOP
        RAISE WARNING 'taxonomy %: classes % are one name in Unicode NFC (%)', collision.taxonomy, collision.classes, collision.nfc;
        found := true;
    END LOOP;
    IF found THEN
        RAISE EXCEPTION 'class names that differ only in Unicode normalisation exist (listed in the warnings above); rename one of each '
            'group, then start the registry again';
    END IF;
END $$;

UPDATE emotion_class SET name = normalize(name, NFC) WHERE name <> normalize(name, NFC);

-- New names may no longer hold invisible or bidi-control characters nor start or end with white space. Stored ones
-- stay (they can still be found, given supports and removed); they are listed so an operator can rename them.
DO $$
DECLARE
    odd RECORD;
BEGIN
    FOR odd IN
        SELECT t.name AS taxonomy, c.id, c.name FROM emotion_class c JOIN taxonomy t ON t.id = c.taxonomy_id
        WHERE c.name ~ '[\u00AD\u034F\u061C\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\uFE00-\uFE0F\uFEFF]'
           OR c.name <> btrim(c.name)
    LOOP
        RAISE WARNING 'taxonomy %: class % (id %) has an invisible character or white space at an end; new names may not',
            odd.taxonomy, quote_literal(odd.name), odd.id;
    END LOOP;
END $$;
