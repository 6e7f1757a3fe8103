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
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads the {@code train.csv}, {@code val.csv}, {@code test.csv} of Tandon-A's {@code mat2py.py}
 * (docs/method.md §3.2): columns by header name (Folder, Filename, Image Size, BBox,
 * Categorical_Labels, Continuous_Labels), cells as Python literals. In val/test the labels are the combined
 * ones (one "annotator" carrying the union of categories, and averaged V/A/D as combined values).
 */
public final class TandonCsvReader {

    private TandonCsvReader() {
    }

    public static List<EmoticPerson> read(Path csv) throws IOException {
        String split = csv.getFileName().toString().replaceFirst("\\.csv$", "").toLowerCase(Locale.ROOT);
        List<EmoticPerson> persons = new ArrayList<>();
        CSVFormat format = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).setTrim(true).get();
        try (Reader reader = Files.newBufferedReader(csv, StandardCharsets.UTF_8); CSVParser parser = CSVParser.parse(reader, format)) {
            Map<String, String> columns = normalizedHeader(parser.getHeaderNames());
            for (String needed : List.of("folder", "filename", "imagesize", "bbox", "categoricallabels", "continuouslabels")) {
                if (!columns.containsKey(needed)) {
                    throw new EmoticFormatException(csv.getFileName().toString(), needed, "column missing; the header has " + parser.getHeaderNames());
                }
            }
            for (CSVRecord row : parser) {
                String where = csv.getFileName() + ": row " + (row.getRecordNumber() + 1);
                persons.add(person(row, columns, where, split));
            }
        } catch (java.io.UncheckedIOException e) {
            // commons-csv reports broken quoting this way, with the line number in its message
            throw new EmoticFormatException(csv.getFileName().toString(), "csv", e.getCause() == null ? e.getMessage() : e.getCause().getMessage());
        }
        return persons;
    }

    private static EmoticPerson person(CSVRecord row, Map<String, String> col, String where, String split) {
        List<Object> size = list(row.get(col.get("imagesize")), where, "Image Size", 2);
        List<Object> bbox = list(row.get(col.get("bbox")), where, "BBox", 4);
        List<Object> cats = list(row.get(col.get("categoricallabels")), where, "Categorical_Labels", -1);
        List<Object> cont = list(row.get(col.get("continuouslabels")), where, "Continuous_Labels", 3);
        List<String> categories = new ArrayList<>();
        for (Object c : cats) {
            categories.add(AnnotationsMatReader.canonical(String.valueOf(c), where, "Categorical_Labels"));
        }
        double[] vad = {number(cont.get(0), where, "Continuous_Labels"), number(cont.get(1), where, "Continuous_Labels"),
                number(cont.get(2), where, "Continuous_Labels")};
        float[] box = new float[4];
        for (int k = 0; k < 4; k++) {
            box[k] = (float) number(bbox.get(k), where, "BBox");
        }
        boolean train = split.equals("train");
        return new EmoticPerson(where, split, row.get(col.get("folder")) + "/" + row.get(col.get("filename")),
                (int) number(size.get(0), where, "Image Size"), (int) number(size.get(1), where, "Image Size"), box,
                List.of(categories), train ? List.of(vad) : List.of(), train ? null : vad);
    }

    private static Map<String, String> normalizedHeader(List<String> header) {
        Map<String, String> map = new TreeMap<>();
        for (String h : header) {
            map.put(h.toLowerCase(Locale.ROOT).replace(" ", "").replace("_", ""), h);
        }
        return map;
    }

    private static List<Object> list(String cell, String where, String field, int expectedSize) {
        try {
            List<Object> values = PythonLiteral.parseList(cell);
            if (expectedSize >= 0 && values.size() != expectedSize) {
                throw new EmoticFormatException(where, field, "expected " + expectedSize + " values, found " + values.size());
            }
            return values;
        } catch (IllegalArgumentException e) {
            throw new EmoticFormatException(where, field, e.getMessage());
        }
    }

    private static double number(Object value, String where, String field) {
        if (value instanceof Double d) {
            return d;
        }
        throw new EmoticFormatException(where, field, "'" + value + "' is not a number");
    }
}
