package io.omnistream.operators.ocr;

import io.omnistream.schemas.Identifier;
import io.omnistream.schemas.IdentifierType;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the identifiers an agent needs in OCR text: error codes ({@code 0x80070005}, {@code E-1234},
 * {@code ERR_CONNECTION_REFUSED}), order numbers, URLs and e-mail addresses. Repairs the typical OCR
 * confusions inside hexadecimal codes (O/o for 0, l/I for 1, S for 5) before matching.
 */
public final class IdentifierExtractor {
    private static final Pattern HEX = Pattern.compile("\\b[0O][xX][0-9A-Fa-fOoIlS]{6,8}\\b");
    private static final Pattern DASHED = Pattern.compile("\\b([A-Z]{1,4})-(\\d{3,6})\\b");
    private static final Pattern ERR_CONST = Pattern.compile("\\bERR_[A-Z_]{4,}\\b");
    private static final Pattern LABELLED_ERROR = Pattern.compile("(?i)\\berror(?:\\s+code)?\\s*[:#]?\\s*([A-Z0-9][A-Z0-9-]{2,15})\\b");
    private static final Pattern ORDER = Pattern.compile(
            "(?i)\\border\\s*(?:number|no\\.?|id|#)?\\s*[:#]?\\s*#?\\s*([A-Z]{0,4}-?\\d[\\dA-Z-]{4,18})\\b");
    private static final Pattern ORDER_PREFIXED = Pattern.compile("\\b(ORD|ORDER|SO|PO)-\\d{4,12}\\b");
    private static final Pattern URL = Pattern.compile("\\b(?:https?://|www\\.)[\\w.-]+(?:/[\\w./?%&=#:+-]*)?", Pattern.CASE_INSENSITIVE);
    private static final Pattern EMAIL = Pattern.compile("\\b[\\w.+-]+@[\\w-]+(?:\\.[\\w-]+)+\\b");

    private IdentifierExtractor() {}

    /** Identifiers in reading order of kind: error codes, order numbers, URLs, e-mails; no duplicates. */
    public static List<Identifier> extract(String text) {
        Set<String> seen = new LinkedHashSet<>();
        List<Identifier> out = new ArrayList<>();
        Set<String> orderNumbers = new LinkedHashSet<>();
        Matcher m = ORDER.matcher(text);
        while (m.find()) {
            orderNumbers.add(m.group(1).toUpperCase());
        }
        m = ORDER_PREFIXED.matcher(text);
        while (m.find()) {
            orderNumbers.add(m.group());
        }
        m = HEX.matcher(text);
        while (m.find()) {
            add(out, seen, IdentifierType.ERROR_CODE, repairHex(m.group()));
        }
        m = DASHED.matcher(text);
        while (m.find()) {
            if (!orderNumbers.contains(m.group()) && !m.group(1).startsWith("ORD")) {
                add(out, seen, IdentifierType.ERROR_CODE, m.group());
            }
        }
        m = ERR_CONST.matcher(text);
        while (m.find()) {
            add(out, seen, IdentifierType.ERROR_CODE, m.group());
        }
        m = LABELLED_ERROR.matcher(text);
        while (m.find()) {
            String v = m.group(1);
            if (v.chars().anyMatch(Character::isDigit) && !orderNumbers.contains(v.toUpperCase()) && !HEX.matcher(v).matches()) {
                add(out, seen, IdentifierType.ERROR_CODE, v);
            }
        }
        for (String o : orderNumbers) {
            add(out, seen, IdentifierType.ORDER_NUMBER, o);
        }
        m = EMAIL.matcher(text);
        Set<String> emails = new LinkedHashSet<>();
        while (m.find()) {
            emails.add(m.group());
        }
        m = URL.matcher(text);
        while (m.find()) {
            String u = m.group().replaceAll("[.,;:]+$", "");
            add(out, seen, IdentifierType.URL, u);
        }
        for (String e : emails) {
            add(out, seen, IdentifierType.EMAIL, e);
        }
        return out;
    }

    private static void add(List<Identifier> out, Set<String> seen, IdentifierType type, String value) {
        if (seen.add(type + ":" + value)) {
            out.add(Identifier.newBuilder().setType(type).setValue(value).build());
        }
    }

    static String repairHex(String s) {
        StringBuilder b = new StringBuilder("0x");
        for (char c : s.substring(2).toCharArray()) {
            switch (c) {
                case 'O':
                case 'o':
                    b.append('0');
                    break;
                case 'l':
                case 'I':
                    b.append('1');
                    break;
                case 'S':
                    b.append('5');
                    break;
                default:
                    b.append(Character.toUpperCase(c));
            }
        }
        return b.toString();
    }
}
