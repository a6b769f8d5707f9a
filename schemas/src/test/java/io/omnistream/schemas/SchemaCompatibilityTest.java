package io.omnistream.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Keeps every schema readable by, and able to read, each of its released versions, so producers and consumers of
 * our topics can be upgraded in any order.
 */
class SchemaCompatibilityTest {

    @TestFactory
    List<DynamicTest> everySchemaIsBackwardAndForwardCompatibleWithItsReleasedVersions() {
        return SchemaHistory.CURRENT.entrySet().stream()
                .map(e -> DynamicTest.dynamicTest(e.getKey(), () -> {
                    List<Schema> released = SchemaHistory.releasedVersions(e.getKey());
                    assertThat(released)
                            .as("%s has no released version under schema-history; run SchemaHistory.main", e.getKey())
                            .isNotEmpty();
                    for (Schema old : released) {
                        assertCompatible("backward (new reads old)", e.getValue(), old);
                        assertCompatible("forward (old reads new)", old, e.getValue());
                    }
                }))
                .toList();
    }

    @Test
    void newestReleasedVersionIsTheCurrentSchema() throws Exception {
        for (Map.Entry<String, Schema> e : SchemaHistory.CURRENT.entrySet()) {
            List<Schema> released = SchemaHistory.releasedVersions(e.getKey());
            assertThat(released.get(released.size() - 1))
                    .as("%s changed without a new released version; run SchemaHistory.main", e.getKey())
                    .isEqualTo(e.getValue());
        }
    }

    @Test
    void checkerRejectsARequiredFieldAddedWithoutDefault() {
        Schema old = MediaChunk.getClassSchema();
        String json = old.toString().replace(
                "{\"name\":\"payload\"", "{\"name\":\"codec\",\"type\":\"string\"},{\"name\":\"payload\"");
        Schema changed = new Schema.Parser().parse(json);
        SchemaPairCompatibility result = SchemaCompatibility.checkReaderWriterCompatibility(changed, old);
        assertThat(result.getType()).isEqualTo(SchemaCompatibilityType.INCOMPATIBLE);
    }

    private static void assertCompatible(String direction, Schema reader, Schema writer) {
        SchemaPairCompatibility result = SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
        assertThat(result.getType())
                .as("%s: %s", direction, result.getDescription())
                .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
    }
}
