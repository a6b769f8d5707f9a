package io.omnistream.operators.respond;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The customer-service intents the embedded responder can answer, loaded from a YAML file so that
 * a support team can change answers without touching code (see {@code kb/customer-service.yaml}).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public class KnowledgeBase {
    private static final Pattern SLOT = Pattern.compile("\\{(\\w+)}");

    /** One intent: how customers say it and what the agent answers. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public static class Intent {
        public String id;
        public List<String> examples = new ArrayList<>();
        /** Typical screen text that goes with the intent (matched against OCR output). */
        public List<String> screenExamples = new ArrayList<>();
        public String answer;
        public String answerNoSlots;

        /** Slot names used by {@link #answer}. */
        public Set<String> slots() {
            Set<String> s = new HashSet<>();
            Matcher m = SLOT.matcher(answer == null ? "" : answer);
            while (m.find()) {
                s.add(m.group(1));
            }
            return s;
        }
    }

    public Intent fallback;
    public List<Intent> intents = new ArrayList<>();

    /** Loads from the classpath, or from a file when no such resource exists. */
    public static KnowledgeBase load(String location) {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        try (InputStream in = KnowledgeBase.class.getClassLoader().getResourceAsStream(location)) {
            KnowledgeBase kb;
            if (in != null) {
                kb = yaml.readValue(in, KnowledgeBase.class);
            } else if (Files.isRegularFile(Path.of(location))) {
                kb = yaml.readValue(Path.of(location).toFile(), KnowledgeBase.class);
            } else {
                throw new IllegalArgumentException("knowledge base " + location + " is neither a classpath resource nor a file");
            }
            kb.validate(location);
            return kb;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read knowledge base " + location, e);
        }
    }

    private void validate(String location) {
        if (fallback == null || fallback.answer == null) {
            throw new IllegalArgumentException(location + ": a fallback answer is required");
        }
        if (intents.isEmpty()) {
            throw new IllegalArgumentException(location + ": no intents");
        }
        for (Intent i : intents) {
            if (i.id == null || i.examples.isEmpty() || i.answer == null) {
                throw new IllegalArgumentException(location + ": intent " + i.id + " needs an id, examples and an answer");
            }
            if (i.answerNoSlots == null) {
                i.answerNoSlots = i.answer;
            }
        }
    }
}
