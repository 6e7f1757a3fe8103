package org.affectdml.trainer.emotic;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads the {@code annot_arrs_<split>.csv} re-packaging (docs/method.md §3.3): columns by header name
 * (Filename, Width, Height, X_min, Y_min, X_max, Y_max, one 0/1 column per category named as in §2.1,
 * Valence, Arousal, Dominance). Whether its val/test V/A/D are averages is unknown, so they are read as the
 * combined values outside the train split, as for the Tandon CSV.
 */
public final class AnnotArrsCsvReader {

    private static final List<String> REQUIRED = List.of("Filename", "Width", "Height", "X_min", "Y_min", "X_max", "Y_max",
            "Valence", "Arousal", "Dominance");

    private AnnotArrsCsvReader() {
    }

    public static List<EmoticPerson> read(Path csv) throws IOException {
        String name = csv.getFileName().toString();
        String split = name.replaceFirst("^annot_arrs_", "").replaceFirst("\\.csv$", "").toLowerCase(Locale.ROOT);
        List<EmoticPerson> persons = new ArrayList<>();
        CSVFormat format = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).setTrim(true).get();
        try (Reader reader = Files.newBufferedReader(csv, StandardCharsets.UTF_8); CSVParser parser = CSVParser.parse(reader, format)) {
            List<String> header = parser.getHeaderNames();
            for (String needed : REQUIRED) {
                if (!header.contains(needed)) {
                    throw new EmoticFormatException(name, needed, "column missing; the header has " + header);
                }
            }
            List<String> categoryColumns = header.stream().filter(h -> EmoticCategories.canonical(h).isPresent()).toList();
            if (categoryColumns.size() != EmoticCategories.NAMES.size()) {
                throw new EmoticFormatException(name, "categories", "expected one column per EMOTIC category (26), found "
                        + categoryColumns.size() + ": " + categoryColumns);
            }
            for (CSVRecord row : parser) {
                String where = name + ": row " + (row.getRecordNumber() + 1);
                List<String> categories = new ArrayList<>();
                for (String column : categoryColumns) {
                    if (number(row, column, where) > 0.5) {
                        categories.add(EmoticCategories.canonical(column).orElseThrow());
                    }
                }
                double[] vad = {number(row, "Valence", where), number(row, "Arousal", where), number(row, "Dominance", where)};
                float[] box = {(float) number(row, "X_min", where), (float) number(row, "Y_min", where),
                        (float) number(row, "X_max", where), (float) number(row, "Y_max", where)};
                boolean train = split.startsWith("train") || split.equals("extra_train");
                persons.add(new EmoticPerson(where, split, row.get("Filename"), (int) number(row, "Width", where),
                        (int) number(row, "Height", where), box, List.of(categories), train ? List.of(vad) : List.of(), train ? null : vad));
            }
        } catch (java.io.UncheckedIOException e) {
            throw new EmoticFormatException(name, "csv", e.getCause() == null ? e.getMessage() : e.getCause().getMessage());
        }
        return persons;
    }

    private static double number(CSVRecord row, String column, String where) {
        String cell = row.get(column);
        try {
            return Double.parseDouble(cell);
        } catch (NumberFormatException e) {
            throw new EmoticFormatException(where, column, "'" + cell + "' is not a number");
        }
    }
}
