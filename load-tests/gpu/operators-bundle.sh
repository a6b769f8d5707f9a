#!/usr/bin/env bash
# Builds .gpu-ops/ (git-ignored): the operators' GPU tests (BatchedVadOperatorGpuTest, BatchedFaceOperatorGpuTest —
# the batching operators inside Flink's operator harness on the GPU against their Java twins) with the slice of the
# class path they load, an xz'd Java 17 runtime (with java.desktop for the twin's JPEG decoder), the pocketsphinx
# recordings and gpu-kernels' JPEG test pictures, and .gpu-ops/run.sh. About 45 MiB, under the 64 MiB device copy.
# Needs gpu-kernels installed with its PTX (../shared/gpu/make-bundle.sh gpu-kernels, or mvn -Domni.gpu.bundle=true).
#
#   usage (project root): bash load-tests/gpu/operators-bundle.sh
#   on the GPU machine (carry .gpu-ops and .models): GPU_JAVA_OPTS=-Domni.models.dir=.models bash .gpu-ops/run.sh \
#       --select-class=io.omnistream.operators.gpu.BatchedVadOperatorGpuTest --select-class=io.omnistream.operators.gpu.BatchedFaceOperatorGpuTest
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
B=.gpu-ops
W=operators/target/gpu-ops-work
exclude=$(git rev-parse --git-path info/exclude); mkdir -p "$(dirname "$exclude")"; grep -qxF '/.gpu-ops/' "$exclude" 2>/dev/null || echo '/.gpu-ops/' >> "$exclude"
rm -rf "$B" "$W" && mkdir -p "$B/lib" "$B/launcher" "$B/recordings" "$B/jpeg-pictures" "$W"

mvn -o -q -B -pl operators test-compile
mvn -o -q -B -pl operators dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$root/$W/full.cp"
mvn -o -q -B -pl gpu-kernels test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$root/$W/gpu.cp"
mvn -o -q -B dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:1.14.1 -DoutputDirectory="$root/$B/launcher"

# ONNX Runtime's Java classes without its native libraries (perception's classes refer to them; nothing loads them)
ort=$(tr ':' '\n' < "$W/full.cp" | grep '/onnxruntime-[0-9.]*\.jar$')
(mkdir -p "$W/ort" && cd "$W/ort" && unzip -q "$ort" 'ai/onnxruntime/*.class' && zip -qr ../onnxruntime-classes.jar ai)
# the class path without native libraries, browsers, brokers and models the two tests never touch
tr ':' '\n' < "$W/full.cp" | grep -v -E 'onnxruntime|langchain4j|/ai/djl/|testcontainers|docker-java|openblas|leptonica|tesseract|frocksdbjni|rpc-akka|zookeeper|curator|icu4j|openjfx|byte-buddy|/kafka|vertx|webrtc|/io/netty/|opencv-[0-9.-]*-linux|javacv|ffmpeg|flink-table|/jna/|pocketsphinx|onvoid|commons-compress|lz4|snappy|hamcrest|log4j-core|log4j-slf4j|guava/guava|flink-shaded-netty|flink-shaded-zookeeper|flink-connector|flink-clients|flink-test-utils/|cuda-[0-9.-]*-linux-x86_64\.jar|tokenizers|flycapture|libdc1394|libfreenect|librealsense|videoinput|artoolkitplus|async-profiler|junit-4|duct-tape|javassist|statebackend-rocksdb|statebackend-changelog|dstl-dfs|metrics-core-3|flink-datastream-2|queryable-state|file-sink|commons-cli|snakeyaml-engine|gson' > "$W/keep.txt"
echo "$root/$W/onnxruntime-classes.jar" >> "$W/keep.txt"
# the CUDA preset's JNI jar trimmed to cudart/cublas/nvjpeg (load-tests/gpu/trim-bundle.py)
cuda=$(tr ':' '\n' < "$W/full.cp" | grep 'cuda-[0-9.-]*-linux-x86_64\.jar$')
mkdir -p "$W/.gpu/lib" && cp "$cuda" "$W/.gpu/lib/" && (cd "$W" && python3 "$root/load-tests/gpu/trim-bundle.py" > /dev/null)
echo "$root/$W/.gpu/lib/$(basename "$cuda")" >> "$W/keep.txt"
CP="operators/target/test-classes:operators/target/classes:$(tr '\n' ':' < "$W/keep.txt")"
echo "$CP" > "$W/keep.cp"

jlink --add-modules java.base,java.logging,java.management,java.naming,java.xml,java.sql,jdk.unsupported,jdk.management,java.desktop \
  --strip-debug --no-header-files --no-man-pages --compress=2 --output "$W/jre"
# Debian's JDK links its JPEG decoder (ImageIO, the twin's decoder) against libjpeg62-turbo, which the GPU machine lacks
cp -L /usr/lib/x86_64-linux-gnu/libjpeg.so.62 "$W/jre/lib/"
for f in librivox/sense_and_sensibility_01_austen_64kb-0880.wav librivox/sense_and_sensibility_01_austen_64kb-0930.wav cards/001.wav cards/003.wav cards/005.wav; do
  mkdir -p "$B/recordings/$(dirname $f)" && cp "/usr/share/pocketsphinx/test/data/$f" "$B/recordings/$f"
done
java -cp "gpu-kernels/target/test-classes:gpu-kernels/target/classes:$(cat "$W/gpu.cp")" -Domni.project.root="$root" \
  io.omnistream.gpu.testutils.JpegPictureSet "$W/pictures" > /dev/null
cp "$W"/pictures/picture*.jpg "$B/jpeg-pictures/"

# a host run of both tests (twin against twin) lists the classes they load on this runtime
models=${OMNI_MODELS_DIR:-$root/.models}
"$W/jre/bin/java" -verbose:class -Domni.gpu.tests.onHost=true -Domni.models.dir="$models" -Domni.recordings.dir="$B/recordings" \
  -Domni.jpeg.pictures="$B/jpeg-pictures" -jar "$B"/launcher/junit-platform-console-standalone-*.jar execute --class-path "$CP" \
  --select-class=io.omnistream.operators.gpu.BatchedVadOperatorGpuTest --select-class=io.omnistream.operators.gpu.BatchedFaceOperatorGpuTest \
  --details=summary --disable-banner --fail-if-no-tests > "$W/classes.log" 2>&1 || { tail -40 "$W/classes.log"; exit 1; }
python3 load-tests/gpu/slim-classpath.py "$W/keep.cp" "$B/lib" "$W/classes.log"
cp -r operators/target/classes "$B/classes" && cp -r operators/target/test-classes "$B/test-classes"
(cd "$W" && tar -cf - jre | xz -6 -T2 > "$root/$B/jre.tar.xz")

cat > "$B/run.sh" <<'RUN'
#!/usr/bin/env bash
# Runs on the GPU machine from the repository root: unpacks the Java runtime, then the JUnit console launcher.
here=$(cd "$(dirname "$0")" && pwd)
jre=${JRE_DIR:-/tmp/omni-ops-jre}
[ -x "$jre/jre/bin/java" ] || { mkdir -p "$jre" && tar -xJf "$here/jre.tar.xz" -C "$jre"; }
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:$jre/jre/lib:${LD_LIBRARY_PATH:-}
exec "$jre/jre/bin/java" -Dorg.bytedeco.javacpp.pathsFirst=true -Domni.recordings.dir="$here/recordings" \
  -Domni.jpeg.pictures="$here/jpeg-pictures" ${GPU_JAVA_OPTS:-} \
  -jar "$here"/launcher/junit-platform-console-standalone-*.jar execute \
  --class-path "$here/test-classes:$here/classes:$(ls "$here"/lib/*.jar | tr '\n' ':')" \
  --reports-dir "${OUT:-/tmp}/junit" --details=tree --disable-banner \
  --exclude-engine=junit-vintage --exclude-engine=junit-platform-suite "$@"
RUN
du -sh "$B"
