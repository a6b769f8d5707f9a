#!/usr/bin/env bash
# Builds .gpu/ for the MiniLM text encoder's GPU test and benchmark (gpu-kernels, issue 7): the recipe of
# ../shared/gpu/make-bundle.sh with -Domni.gpu.bundle=true (no ONNX Runtime, no *Oracle* classes, no 90 MB model jar),
# trimmed (CUDA preset JNI libraries gpu-kernels never loads; the tokenizer's 19 MB native jar and its dependencies,
# not used on the GPU machine, which gets token ids instead), plus .gpu/minilm/ written by MiniLmOracleExport on this
# machine: the compact fp16 weights of all-minilm-l6-v2.onnx for the customer sentences' tokens, their token ids and
# ONNX Runtime's embeddings of them.
#
#   usage (project root): bash load-tests/gpu/minilm-bundle.sh
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
MAVEN_OPTS=-Domni.gpu.bundle=true ../shared/gpu/make-bundle.sh gpu-kernels
python3 load-tests/gpu/trim-bundle.py
rm -f .gpu/lib/tokenizers-*.jar .gpu/lib/api-0.*.jar .gpu/lib/gson-*.jar .gpu/lib/jna-*.jar .gpu/lib/commons-compress-*.jar \
      .gpu/lib/commons-io-*.jar .gpu/lib/commons-lang3-*.jar .gpu/lib/commons-codec-*.jar .gpu/lib/byte-buddy-*.jar
mvn -o -q -B -pl gpu-kernels test-compile
mvn -o -q -B -pl gpu-kernels dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/minilm-test-classpath.txt
cp=$(cat gpu-kernels/target/minilm-test-classpath.txt)
java -Xmx3g -cp "gpu-kernels/target/test-classes:gpu-kernels/target/classes:$cp" io.omnistream.gpu.bench.MiniLmOracleExport .gpu/minilm
du -sh .gpu .gpu/* | sort -h
# The fp16 weights (21 MB) and the JRE (39 MB) together exceed the 64 MiB the device copy holds; xz brings .gpu to
# ~48 MiB. The device command unpacks it first: python3 -c "import tarfile; tarfile.open('.gpu-pack/gpu.tar.xz').extractall('.')"
# (.gpu-pack/ is git-ignored)
mkdir -p .gpu-pack
tar -cf - .gpu | xz -T2 -6 > .gpu-pack/gpu.tar.xz
du -sh .gpu-pack/gpu.tar.xz
