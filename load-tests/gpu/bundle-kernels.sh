#!/usr/bin/env bash
# Builds .gpu/ for the gpu-kernels kernels' tests and benchmarks, like ../shared/gpu/make-bundle.sh gpu-kernels with
# MAVEN_OPTS=-Domni.gpu.bundle=true, but compiling only the kernels' own test sources (not the ONNX encoder tests,
# io.omnistream.gpu.encoders / .onnx, which need ONNX Runtime and are built by their own bundle). Used for the
# figures in gpu-kernels/BENCHMARKS.md.
#
#   usage (project root): bash load-tests/gpu/bundle-kernels.sh
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
grep -qxF '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
rm -rf .gpu && mkdir -p .gpu/lib .gpu/test-classes
mvn -o -q -B -pl gpu-kernels install -Dmaven.test.skip=true
MAVEN_OPTS=-Domni.gpu.bundle=true mvn -o -q -B -pl gpu-kernels dependency:copy-dependencies -DincludeScope=test \
    -DoutputDirectory="$root/.gpu/lib"
rm -f .gpu/lib/protobuf-java-*.jar  # only the ONNX reader needs it
find .gpu/lib -name '*-linux-arm64.jar' -o -name '*-linux-ppc64le.jar' -o -name '*-macosx-*.jar' -o -name '*-windows-*.jar' | xargs -r rm -f
cp -r gpu-kernels/target/classes .gpu/classes
find gpu-kernels/src/test/java -name '*.java' | grep -v -e '/encoders/' -e '/onnx/' -e 'Encoder' -e 'Oracle' -e 'Recordings.java' > .gpu/tests.txt
javac -d .gpu/test-classes -cp ".gpu/classes:$(ls .gpu/lib/*.jar | tr '\n' ':')" @.gpu/tests.txt
cp -r gpu-kernels/src/test/resources/* .gpu/test-classes/
plat=$(ls .gpu/lib | sed -n 's/^junit-platform-engine-\(.*\)\.jar$/\1/p' | head -1)
mvn -o -q -B dependency:copy -Dartifact="org.junit.platform:junit-platform-console-standalone:$plat" -DoutputDirectory="$root/.gpu/launcher"
jlink --add-modules java.base,java.logging,java.management,java.naming,java.xml,java.sql,jdk.unsupported,jdk.management \
    --strip-debug --no-header-files --no-man-pages --compress=2 --output .gpu/jre
sed -n '/^cat > .gpu\/run.sh/,/^RUN$/p' ../shared/gpu/make-bundle.sh | sed '1d;$d' > .gpu/run.sh
chmod +x .gpu/run.sh
python3 load-tests/gpu/trim-bundle.py
du -sh .gpu
