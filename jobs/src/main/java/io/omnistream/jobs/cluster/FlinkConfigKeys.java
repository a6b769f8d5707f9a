package io.omnistream.jobs.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.FallbackKey;

/**
 * The configuration keys Flink itself declares, collected by reflection over its {@code *Options} classes, so the
 * generated {@code config.yaml} and the Kubernetes manifests can be checked against the Flink version we build
 * with: a misspelt key is otherwise silently ignored by Flink.
 */
public final class FlinkConfigKeys {
    /** Classes whose jar and package hold Flink's option classes (core, RocksDB state backend). */
    private static final List<String> ANCHORS = List.of(
            CoreOptions.class.getName(),
            "org.apache.flink.state.rocksdb.RocksDBOptions");

    private static volatile Set<String> known;

    private FlinkConfigKeys() {}

    /** Every key (with fallback and deprecated keys) of the Flink option classes on the classpath. */
    public static Set<String> all() {
        Set<String> k = known;
        if (k == null) {
            k = scan();
            known = k;
        }
        return k;
    }

    /** True when {@code key} is a Flink option, or an instance of a templated family such as metrics reporters. */
    public static boolean isKnown(String key) {
        if (all().contains(key)) {
            return true;
        }
        // families whose keys carry a user-chosen name: metrics.reporter.<name>.*, external-resource.<name>.*
        return key.startsWith("metrics.reporter.") || key.startsWith("external-resource.")
                || key.startsWith("kubernetes.");
    }

    private static Set<String> scan() {
        Set<String> keys = new TreeSet<>();
        for (String anchor : ANCHORS) {
            Class<?> a;
            try {
                a = Class.forName(anchor);
            } catch (ClassNotFoundException e) {
                continue; // optional module (RocksDB) not on the classpath
            }
            String pkg = a.getPackageName().replace('.', '/') + "/";
            Path jar;
            try {
                jar = Path.of(a.getProtectionDomain().getCodeSource().getLocation().toURI());
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
            if (!Files.isRegularFile(jar)) {
                continue;
            }
            try (JarFile jf = new JarFile(jar.toFile())) {
                Enumeration<JarEntry> entries = jf.entries();
                while (entries.hasMoreElements()) {
                    String name = entries.nextElement().getName();
                    if (name.startsWith(pkg) && name.endsWith("Options.class") && name.indexOf('/', pkg.length()) < 0) {
                        collect(name.substring(0, name.length() - 6).replace('/', '.'), keys);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return Set.copyOf(keys);
    }

    private static void collect(String className, Set<String> keys) {
        Class<?> c;
        try {
            c = Class.forName(className, false, FlinkConfigKeys.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return;
        }
        for (Field f : c.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && ConfigOption.class.isAssignableFrom(f.getType())) {
                try {
                    ConfigOption<?> option = (ConfigOption<?>) f.get(null);
                    keys.add(option.key());
                    for (FallbackKey fk : option.fallbackKeys()) {
                        keys.add(fk.getKey());
                    }
                } catch (IllegalAccessException | RuntimeException e) {
                    // not readable: skip
                }
            }
        }
    }
}
