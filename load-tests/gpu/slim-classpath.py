#!/usr/bin/env python3
"""Writes the jars for the operators' device bundle (load-tests/gpu/operators-bundle.sh): the jars whose code the GPU
path may reach beyond what a host run loads (gpu-kernels, JavaCPP, the CUDA preset, protobuf, Avro/Jackson, JUnit,
AssertJ, OpenCV's Java classes, ONNX Runtime's Java classes) whole, and of every other jar only the classes a host
run of the same tests loaded (from -verbose:class logs) plus its small resources. The Flink runtime jars alone are
larger than what the 64 MiB copy to the GPU machine leaves after a Java runtime.

  usage: slim-classpath.py CLASSPATH_FILE OUT_DIR VERBOSE_LOG...
"""
import collections
import os
import re
import shutil
import sys
import zipfile

KEEP_WHOLE = ("omnistream-gpu-kernels", "javacpp-", "cuda-", "protobuf-java", "onnxruntime-classes", "assertj-core",
              "junit-", "opentest4j", "apiguardian", "jackson-", "avro-1.", "opencv-4.13.0-1.5.13.jar")

cp_file, out_dir, logs = sys.argv[1], sys.argv[2], sys.argv[3:]
loaded = collections.defaultdict(set)
for log in logs:
    for line in open(log, errors="replace"):
        m = re.search(r"\[class,load\] (\S+) source: (?:jar:)?file:(\S+?\.jar)", line)
        if m:
            loaded[m.group(2)].add(m.group(1).replace(".", "/") + ".class")
jars = [j for j in open(cp_file).read().strip().split(":") if j.endswith(".jar")]
os.makedirs(out_dir, exist_ok=True)
names = set()
with zipfile.ZipFile(os.path.join(out_dir, "slim-classes.jar"), "w", zipfile.ZIP_DEFLATED) as out:
    for j in jars:
        if any(k in os.path.basename(j) for k in KEEP_WHOLE):
            shutil.copy(j, out_dir)
            continue
        wanted = loaded.get(j)
        if not wanted:
            continue
        with zipfile.ZipFile(j) as z:
            for info in z.infolist():
                n = info.filename
                if n.endswith("/") or n in names:
                    continue
                resource = (not n.endswith(".class") and info.file_size < 200_000 and not n.startswith("META-INF/MANIFEST")
                            and not n.endswith((".SF", ".RSA", ".DSA")))
                if n in wanted or resource:
                    names.add(n)
                    out.writestr(info, z.read(n))
print("slim-classes.jar:", len(names), "entries")
