package io.omnistream.loadtests.eval;

import io.omnistream.loadtests.eval.EvalSession.Utterance;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Turns the collected decisions into the evaluation's figures, per variant (audio-visual,
 * audio-only) and scenario.
 *
 * <ul>
 *   <li><b>end-of-turn latency</b>: first END_OF_TURN in [true end − 200 ms, next utterance start)
 *       minus the true end (media clock, i.e. algorithmic latency; tick granularity 40 ms);
 *       utterances without one count as "no EOT".</li>
 *   <li><b>premature end of turn</b>: an END_OF_TURN inside an inserted pause (up to 100 ms after
 *       it), per pause, split by whether the lips stayed open in the pause; "cut-offs elsewhere":
 *       END_OF_TURN inside the speech outside the pause.</li>
 *   <li><b>missed turn</b>: no SPEECH_START/BARGE_IN in [start − 300 ms, true end].</li>
 *   <li><b>false barge-ins per minute</b>: SPEECH_START or BARGE_IN in the {@code bg-*} sessions
 *       (nobody on camera speaks), per minute of session while the agent speaks.</li>
 * </ul>
 */
public final class EvalReport {
    /** Figures of one variant over a group of sessions. */
    public static final class Figures {
        public final List<Long> eotLatencyMicros = new ArrayList<>();
        public int utterances;
        public int noEot;
        public int missedTurns;
        public int pausesOpen;
        public int prematureOpen;
        public int pausesClosed;
        public int prematureClosed;
        public int cutOffsElsewhere;
        public int falseInterruptions;
        public double backgroundMinutes;
        public int bargeInsExpected;
        public int bargeInsDetected;
        public final List<Long> bargeInLatencyMicros = new ArrayList<>();

        public int pauses() {
            return pausesOpen + pausesClosed;
        }

        public int premature() {
            return prematureOpen + prematureClosed;
        }

        public double falseBargeInsPerMinute() {
            return backgroundMinutes == 0 ? 0 : falseInterruptions / backgroundMinutes;
        }

        public long p(double q) {
            return percentile(eotLatencyMicros, q);
        }
    }

    private EvalReport() {}

    public static long percentile(List<Long> values, double q) {
        if (values.isEmpty()) {
            return -1;
        }
        List<Long> s = values.stream().sorted().collect(Collectors.toList());
        int idx = (int) Math.ceil(q / 100.0 * s.size()) - 1;
        return s.get(Math.max(0, Math.min(s.size() - 1, idx)));
    }

    /** Figures for one variant over the given sessions. */
    public static Figures figures(Collection<EvalSession> sessions, List<EvalEvent> events, String mode) {
        Figures f = new Figures();
        Map<String, List<EvalEvent>> bySession = events.stream().filter(e -> e.mode.equals(mode))
                .collect(Collectors.groupingBy(e -> e.sessionId));
        for (EvalSession s : sessions) {
            List<EvalEvent> ev = bySession.getOrDefault(s.id, List.of());
            if (s.scenario.startsWith("bg-")) {
                f.backgroundMinutes += s.durationMicros() / 60e6;
                f.falseInterruptions += (int) ev.stream().filter(e -> e.type.equals("SPEECH_START") || e.type.equals("BARGE_IN")).count();
                continue;
            }
            for (int j = 0; j < s.utterances.size(); j++) {
                Utterance u = s.utterances.get(j);
                long next = j + 1 < s.utterances.size() ? s.utterances.get(j + 1).startMicros : s.durationMicros() + 1;
                f.utterances++;
                boolean started = ev.stream().anyMatch(e -> (e.type.equals("SPEECH_START") || e.type.equals("BARGE_IN"))
                        && e.sessionTimeMicros >= u.startMicros - 300_000 && e.sessionTimeMicros <= u.endMicros);
                if (!started) {
                    f.missedTurns++;
                }
                if (s.agentSpeaking) {
                    f.bargeInsExpected++;
                    ev.stream().filter(e -> e.type.equals("BARGE_IN") && e.sessionTimeMicros >= u.startMicros - 300_000
                            && e.sessionTimeMicros <= u.endMicros).findFirst().ifPresent(e -> {
                                f.bargeInsDetected++;
                                f.bargeInLatencyMicros.add(e.sessionTimeMicros - u.startMicros);
                            });
                }
                List<EvalEvent> eots = ev.stream().filter(e -> e.type.equals("END_OF_TURN")).collect(Collectors.toList());
                eots.stream().filter(e -> e.sessionTimeMicros >= u.endMicros - 200_000 && e.sessionTimeMicros < next).findFirst()
                        .ifPresentOrElse(e -> f.eotLatencyMicros.add(e.sessionTimeMicros - u.endMicros), () -> f.noEot++);
                if (u.hasPause()) {
                    boolean cut = eots.stream().anyMatch(e -> e.sessionTimeMicros >= u.pauseStartMicros && e.sessionTimeMicros <= u.pauseEndMicros + 100_000);
                    if (u.lipsOpenInPause) {
                        f.pausesOpen++;
                        f.prematureOpen += cut ? 1 : 0;
                    } else {
                        f.pausesClosed++;
                        f.prematureClosed += cut ? 1 : 0;
                    }
                }
                f.cutOffsElsewhere += (int) eots.stream().filter(e -> e.sessionTimeMicros > u.startMicros + 100_000
                        && e.sessionTimeMicros < u.endMicros - 200_000
                        && !(u.hasPause() && e.sessionTimeMicros >= u.pauseStartMicros && e.sessionTimeMicros <= u.pauseEndMicros + 100_000))
                        .count();
            }
        }
        return f;
    }

    /** Scenario groups of the report, in order. */
    public static Map<String, List<EvalSession>> groups(List<EvalSession> sessions) {
        Map<String, List<EvalSession>> g = new LinkedHashMap<>();
        g.put("all turn scenarios", sessions.stream().filter(s -> !s.scenario.startsWith("bg-")).collect(Collectors.toList()));
        g.put("face visible throughout (clean, noise, babble, barge-in, av-offset)", sessions.stream()
                .filter(s -> !s.scenario.startsWith("bg-") && !s.scenario.equals("no-face") && !s.scenario.equals("turned-away"))
                .collect(Collectors.toList()));
        for (String sc : EvalSetGenerator.SCENARIOS) {
            List<EvalSession> l = sessions.stream().filter(s -> s.scenario.equals(sc)).collect(Collectors.toList());
            if (!l.isEmpty()) {
                g.put(sc, l);
            }
        }
        g.put("background speech (bg-*)", sessions.stream().filter(s -> s.scenario.startsWith("bg-")).collect(Collectors.toList()));
        return g;
    }

    public static String markdown(List<EvalSession> sessions, List<EvalEvent> events) {
        StringBuilder sb = new StringBuilder();
        sb.append("| scenario | variant | EOT p50 ms | EOT p95 ms | no EOT | premature (lips open in pause) | premature (lips closed in pause) | cut-offs elsewhere | missed turns | barge-ins found | false barge-ins/min |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Map.Entry<String, List<EvalSession>> g : groups(sessions).entrySet()) {
            if (g.getValue().isEmpty()) {
                continue;
            }
            for (String mode : List.of(EvalEvent.AUDIO_VISUAL, EvalEvent.AUDIO_ONLY)) {
                Figures f = figures(g.getValue(), events, mode);
                boolean bg = g.getValue().stream().allMatch(s -> s.scenario.startsWith("bg-"));
                sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                        g.getKey(), mode,
                        bg ? "" : ms(f.p(50)), bg ? "" : ms(f.p(95)),
                        bg ? "" : f.noEot + "/" + f.utterances,
                        bg ? "" : f.prematureOpen + "/" + f.pausesOpen,
                        bg ? "" : f.prematureClosed + "/" + f.pausesClosed,
                        bg ? "" : String.valueOf(f.cutOffsElsewhere),
                        bg ? "" : f.missedTurns + "/" + f.utterances,
                        f.bargeInsExpected == 0 ? "" : f.bargeInsDetected + "/" + f.bargeInsExpected,
                        bg ? String.format(Locale.ROOT, "%.2f (%d in %.1f min)", f.falseBargeInsPerMinute(), f.falseInterruptions, f.backgroundMinutes) : ""));
            }
        }
        return sb.toString();
    }

    private static String ms(long micros) {
        return micros < 0 ? "–" : String.valueOf(micros / 1000);
    }
}
