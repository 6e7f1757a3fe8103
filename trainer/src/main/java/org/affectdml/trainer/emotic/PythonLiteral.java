package org.affectdml.trainer.emotic;

import java.util.ArrayList;
import java.util.List;

/**
 * The Python list literals of the Tandon-A CSV cells ({@code ['Peace', 'Esteem']}, {@code [640, 480]},
 * {@code [5.5, 6.0, 7]}), as {@code ast.literal_eval} reads them: a flat list of strings and numbers.
 */
final class PythonLiteral {

    private PythonLiteral() {
    }

    static List<Object> parseList(String text) {
        String s = text.trim();
        if (s.length() < 2 || s.charAt(0) != '[' || s.charAt(s.length() - 1) != ']') {
            throw new IllegalArgumentException("expected a list like [a, b], got " + abbreviate(s));
        }
        List<Object> items = new ArrayList<>();
        int i = 1;
        int end = s.length() - 1;
        while (i < end) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c) || c == ',') {
                i++;
            } else if (c == '\'' || c == '"') {
                int close = s.indexOf(c, i + 1);
                if (close < 0 || close > end) {
                    throw new IllegalArgumentException("unterminated string in " + abbreviate(s));
                }
                items.add(s.substring(i + 1, close));
                i = close + 1;
            } else {
                int stop = i;
                while (stop < end && s.charAt(stop) != ',') {
                    stop++;
                }
                String token = s.substring(i, stop).trim();
                try {
                    items.add(token.equalsIgnoreCase("nan") ? Double.NaN : Double.parseDouble(token));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("'" + token + "' is neither a quoted string nor a number in " + abbreviate(s));
                }
                i = stop;
            }
        }
        return items;
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }
}
