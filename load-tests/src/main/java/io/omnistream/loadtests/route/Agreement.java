package io.omnistream.loadtests.route;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * How far a routed run agrees with the always-on run: speech events (same type, timing within one tick), final
 * transcripts (word level), screen identifiers (per session) and chosen answers (per session, in order); and the
 * end-of-turn latency against the truth of the generated sessions.
 */
public final class Agreement {
    public static final long ONE_TICK = 40_000;

    private Agreement() {}

    /** matched / compared, with the counts. */
    public static final class Ratio {
        public long matched;
        public long total;

        public double value() {
            return total == 0 ? 1.0 : (double) matched / total;
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "%.2f %% (%d/%d)", 100 * value(), matched, total);
        }
    }

    private static Map<String, List<TunerRecord>> bySession(List<TunerRecord> records, String kind) {
        return records.stream().filter(r -> r.kind.equals(kind))
                .sorted(Comparator.comparingLong((TunerRecord r) -> r.timeMicros).thenComparing(r -> r.type))
                .collect(Collectors.groupingBy(r -> r.sessionId, TreeMap::new, Collectors.toList()));
    }

    /** Events of {@code types} (null: all) matched by type in time order within one tick. */
    public static Ratio events(List<TunerRecord> off, List<TunerRecord> on, Set<String> types) {
        Ratio r = new Ratio();
        Map<String, List<TunerRecord>> a = bySession(off, TunerRecord.EVENT);
        Map<String, List<TunerRecord>> b = bySession(on, TunerRecord.EVENT);
        Set<String> sessions = new HashSet<>(a.keySet());
        sessions.addAll(b.keySet());
        for (String s : sessions) {
            Map<String, List<Long>> ta = times(a.getOrDefault(s, List.of()), types);
            Map<String, List<Long>> tb = times(b.getOrDefault(s, List.of()), types);
            Set<String> kinds = new HashSet<>(ta.keySet());
            kinds.addAll(tb.keySet());
            for (String k : kinds) {
                List<Long> x = ta.getOrDefault(k, List.of());
                List<Long> y = tb.getOrDefault(k, List.of());
                int i = 0;
                int j = 0;
                while (i < x.size() && j < y.size()) {
                    long d = x.get(i) - y.get(j);
                    if (Math.abs(d) <= ONE_TICK) {
                        r.matched++;
                        i++;
                        j++;
                    } else if (d < 0) {
                        i++;
                    } else {
                        j++;
                    }
                }
                r.total += Math.max(x.size(), y.size());
            }
        }
        return r;
    }

    private static Map<String, List<Long>> times(List<TunerRecord> events, Set<String> types) {
        return events.stream().filter(e -> types == null || types.contains(e.type))
                .collect(Collectors.groupingBy(e -> e.type, Collectors.mapping(e -> e.timeMicros, Collectors.toList())));
    }

    /** Word-level agreement of each session's final transcripts (joined in order): 1 - edits / words of always-on. */
    public static Ratio transcripts(List<TunerRecord> off, List<TunerRecord> on) {
        Ratio r = new Ratio();
        Map<String, List<TunerRecord>> a = bySession(off, TunerRecord.FINAL);
        Map<String, List<TunerRecord>> b = bySession(on, TunerRecord.FINAL);
        Set<String> sessions = new HashSet<>(a.keySet());
        sessions.addAll(b.keySet());
        for (String s : sessions) {
            String[] x = words(a.getOrDefault(s, List.of()));
            String[] y = words(b.getOrDefault(s, List.of()));
            int edits = editDistance(x, y);
            int n = Math.max(x.length, y.length);
            r.total += n;
            r.matched += Math.max(0, n - edits);
        }
        return r;
    }

    private static String[] words(List<TunerRecord> finals) {
        String all = finals.stream().map(f -> f.text == null ? "" : f.text).collect(Collectors.joining(" ")).trim();
        return all.isEmpty() ? new String[0] : all.toLowerCase(java.util.Locale.ROOT).split("\\s+");
    }

    static int editDistance(String[] a, String[] b) {
        int[] prev = new int[b.length + 1];
        int[] cur = new int[b.length + 1];
        for (int j = 0; j <= b.length; j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length; i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length; j++) {
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1].equals(b[j - 1]) ? 0 : 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length];
    }

    /** Identifiers ("TYPE:value") seen per session: |both| / |either|. */
    public static Ratio identifiers(List<TunerRecord> off, List<TunerRecord> on) {
        Ratio r = new Ratio();
        Map<String, Set<String>> a = identifierSets(off);
        Map<String, Set<String>> b = identifierSets(on);
        Set<String> sessions = new HashSet<>(a.keySet());
        sessions.addAll(b.keySet());
        for (String s : sessions) {
            Set<String> x = a.getOrDefault(s, Set.of());
            Set<String> y = b.getOrDefault(s, Set.of());
            Set<String> union = new HashSet<>(x);
            union.addAll(y);
            Set<String> both = new HashSet<>(x);
            both.retainAll(y);
            r.total += union.size();
            r.matched += both.size();
        }
        return r;
    }

    private static Map<String, Set<String>> identifierSets(List<TunerRecord> records) {
        Map<String, Set<String>> m = new TreeMap<>();
        for (TunerRecord t : records) {
            if (t.kind.equals(TunerRecord.SCREEN) && t.text != null && !t.text.isEmpty()) {
                m.computeIfAbsent(t.sessionId, k -> new HashSet<>()).addAll(Arrays.asList(t.text.split("\\|")));
            }
        }
        return m;
    }

    /** Chosen answers per session in order: equal texts at the same position / the longer sequence. */
    public static Ratio answers(List<TunerRecord> off, List<TunerRecord> on) {
        Ratio r = new Ratio();
        Map<String, List<TunerRecord>> a = bySession(off, TunerRecord.ANSWER);
        Map<String, List<TunerRecord>> b = bySession(on, TunerRecord.ANSWER);
        Set<String> sessions = new HashSet<>(a.keySet());
        sessions.addAll(b.keySet());
        for (String s : sessions) {
            List<TunerRecord> x = a.getOrDefault(s, List.of());
            List<TunerRecord> y = b.getOrDefault(s, List.of());
            for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
                if (x.get(i).text.equals(y.get(i).text)) {
                    r.matched++;
                }
            }
            r.total += Math.max(x.size(), y.size());
        }
        return r;
    }

    /** End-of-turn decision delays (micros) after the truth's end of each utterance (first END_OF_TURN after it). */
    public static List<Long> endOfTurnDelays(List<TunerSession> sessions, List<TunerRecord> records) {
        Map<String, List<TunerRecord>> ev = bySession(records, TunerRecord.EVENT);
        List<Long> out = new ArrayList<>();
        for (TunerSession s : sessions) {
            List<TunerRecord> eots = ev.getOrDefault(s.id, List.of()).stream().filter(e -> e.type.equals("END_OF_TURN"))
                    .collect(Collectors.toList());
            for (long[] u : s.utterances) {
                eots.stream().filter(e -> e.timeMicros >= u[1]).findFirst().ifPresent(e -> out.add(e.timeMicros - u[1]));
            }
        }
        return out;
    }

    public static long percentile(List<Long> values, double p) {
        if (values.isEmpty()) {
            return 0;
        }
        List<Long> s = new ArrayList<>(values);
        s.sort(null);
        return s.get((int) Math.min(s.size() - 1, Math.max(0, Math.ceil(p / 100.0 * s.size()) - 1)));
    }

    public static double mean(List<Long> values) {
        return values.stream().mapToLong(Long::longValue).average().orElse(0);
    }
}
