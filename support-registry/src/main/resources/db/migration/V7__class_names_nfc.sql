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
