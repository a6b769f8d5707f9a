#!/usr/bin/env python3
"""Drops the JavaCPP CUDA preset's JNI libraries that gpu-kernels never loads (NPP, cuSOLVER, cuSPARSE, cuFFT,
...) from .gpu/lib after ../shared/gpu/make-bundle.sh, keeping jnicudart, jnicublas and jninvjpeg (the JPEG camera
path of BlazeFaceCuda.detectJpeg): the bundle goes from
61 MiB to 57 MiB, leaving room under the 64 MiB copy limit for the rest of the tree.

  usage (project root): python3 load-tests/gpu/trim-bundle.py
"""
import os
import shutil
import tempfile
import zipfile

lib = ".gpu/lib"
for name in os.listdir(lib):
    if not (name.startswith("cuda-") and name.endswith("-linux-x86_64.jar")):
        continue
    src = os.path.join(lib, name)
    fd, tmp = tempfile.mkstemp(suffix=".jar")
    os.close(fd)
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zo:
        for item in zi.infolist():
            n = item.filename
            if n.endswith(".so") and not any(k in n for k in ("libjnicudart", "libjnicublas", "libjninvjpeg")):
                continue
            zo.writestr(item, zi.read(n))
    shutil.move(tmp, src)
    print("trimmed", src)
