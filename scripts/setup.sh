#!/usr/bin/env bash
# Project-local, idempotent setup for signlang.
#
#   .venv/                      Python 3.11 with the pins in scripts/requirements.txt (torch 2.13.0, Jupyter)
#   .tools/bin/evcxr_jupyter    the Rust Jupyter kernel (evcxr_jupyter 0.22.0)
#   .venv/share/jupyter/kernels/signlang/   the "Rust (signlang)" kernel spec
#   .cargo/config.toml          tells cargo where libtorch is, adds an rpath so binaries run as they are,
#                               and compiles the notebook kernel's cells without optimisation
#   .evcxr/                     the kernel's persistent build folder (EVCXR_TMPDIR)
#   .models/mediapipe/          MediaPipe 0.10.21's palm detector and hand landmark model, .tflite
#                               and converted .onnx, with MANIFEST.json (scripts/mediapipe_models.py)
#
# Nothing is written outside the project folder except pip's and cargo's download caches.
# A second run finds everything in place and returns in seconds.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

EVCXR_VERSION=0.22.0
TORCH_VERSION=2.13.0
MEDIAPIPE_VERSION=0.10.21   # must match MEDIAPIPE_VERSION in scripts/mediapipe_models.py
log="$root/.setup.log"

die() { echo "setup: $*" >&2; exit 1; }
say() { echo "setup: $*"; }

# --- prerequisites -------------------------------------------------------------
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 ||
  die "$PYTHON not found: install Python 3.11 (Debian: apt-get install python3.11 python3.11-venv) or set PYTHON=/path/to/python3.11"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null ||
  die "$PYTHON is not Python 3.11: install Python 3.11 or set PYTHON=/path/to/python3.11"
"$PYTHON" -c 'import venv, ensurepip' 2>/dev/null ||
  die "$PYTHON has no venv/ensurepip module: install it (Debian: apt-get install python3.11-venv)"
command -v cargo >/dev/null 2>&1 ||
  die "cargo not found: install Rust with rustup (https://rustup.rs), then open a new shell"

need_index() {
  # One quiet probe of the package index, so that a missing network is one clear line, not a traceback.
  "$PYTHON" - "$1" <<'PY' 2>/dev/null || die "cannot reach the package index ($1): check the network or proxy settings, then run make setup again"
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=20)
PY
}

# --- evcxr_jupyter: built while pip installs (cargo is CPU-bound, pip mostly network and disk) ---
# (evcxr_jupyter has no --version; cargo's install record says which version is there.)
if [ ! -x .tools/bin/evcxr_jupyter ] || ! grep -q "\"evcxr_jupyter $EVCXR_VERSION " .tools/.crates.toml 2>/dev/null; then
  need_index "https://index.crates.io/config.json"
  say "building evcxr_jupyter $EVCXR_VERSION into .tools/ in the background (first time ~6 min on 2 cores)"
  evcxr_start=$SECONDS
  # opt-level 1 instead of 3: 337 s to build alone on 2 cores, against 412 s at opt-level 3 in a
  # fresh clone (pip ran beside it for 149 s of those), and the same notebook timings with either
  # binary (a full warm run: 124 s against 126 s of cells).
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
    cargo install --locked --quiet --root .tools evcxr_jupyter --version "$EVCXR_VERSION" >.setup-evcxr.log 2>&1 &
  evcxr_pid=$!
  # If a later step fails, the build stops too.
  trap 'kill "$evcxr_pid" 2>/dev/null || true' EXIT
fi

# --- Python venv ---------------------------------------------------------------
req_hash=$(sha256sum scripts/requirements.txt | cut -c1-16)
stamp=.venv/.signlang-requirements
if [ "$(cat "$stamp" 2>/dev/null)" != "$req_hash" ]; then
  need_index "${PIP_INDEX_URL:-https://pypi.org/simple/}"
  if [ ! -x .venv/bin/python ]; then
    say "creating .venv with $PYTHON"
    "$PYTHON" -m venv .venv >>"$log" 2>&1 || die "could not create .venv (see $log)"
  fi
  say "installing Python packages into .venv (torch $TORCH_VERSION is ~4.7 GB; first time 2-4 min)"
  pip_start=$SECONDS
  .venv/bin/python -m pip install --disable-pip-version-check --no-cache-dir -q -r scripts/requirements.txt >>"$log" 2>&1 ||
    die "pip install into .venv failed: see the end of $log (network, disk space, or proxy)"
  echo "$req_hash" >"$stamp"
  say "Python packages installed ($(( SECONDS - pip_start )) s)"
fi
# torch's location, version and C++ ABI, read once per install (importing torch takes seconds).
torch_info=.venv/.signlang-torch
if [ ! -s "$torch_info" ] || [ "$torch_info" -ot "$stamp" ]; then
  .venv/bin/python -c 'import torch, os; print(os.path.dirname(torch.__file__)); print(torch.__version__.split("+")[0]); print(1 if torch._C._GLIBCXX_USE_CXX11_ABI else 0)' >"$torch_info" 2>>"$log" ||
    { rm -f "$torch_info"; die "torch is not importable from .venv: remove .venv and run make setup again (see $log)"; }
fi
{ read -r torch_dir; read -r torch_version; read -r cxx11; } <"$torch_info"
[ "$torch_version" = "$TORCH_VERSION" ] || die "tch 0.26 needs torch $TORCH_VERSION but .venv has $torch_version: remove .venv and run make setup again"
[ -d "$torch_dir/lib" ] || { rm -f "$torch_info"; die "torch's lib/ is missing under $torch_dir: remove .venv and run make setup again"; }

# --- MediaPipe's legacy hand models as ONNX (.models/mediapipe/, see scripts/mediapipe_models.py) ---
# Taken from the mediapipe wheel (downloaded only, never installed) and converted at setup; the
# check re-hashes every file against MANIFEST.json (~0.2 s), so a second run does nothing.
if ! .venv/bin/python scripts/mediapipe_models.py --check; then
  need_index "${PIP_INDEX_URL:-https://pypi.org/simple/}"
  say "converting MediaPipe $MEDIAPIPE_VERSION's hand models to ONNX into .models/mediapipe/ (a 36 MB download; ~10 s)"
  models_start=$SECONDS
  wheel_dir=.models/wheel
  rm -rf "$wheel_dir"
  .venv/bin/python -m pip download --disable-pip-version-check -q --no-deps --only-binary=:all: \
    "mediapipe==$MEDIAPIPE_VERSION" -d "$wheel_dir" >>"$log" 2>&1 ||
    die "could not download the mediapipe $MEDIAPIPE_VERSION wheel: see the end of $log (network or proxy)"
  wheels=("$wheel_dir"/mediapipe-"$MEDIAPIPE_VERSION"-*.whl)
  [ -f "${wheels[0]}" ] || die "pip downloaded no mediapipe $MEDIAPIPE_VERSION wheel into $wheel_dir: see the end of $log"
  .venv/bin/python scripts/mediapipe_models.py "${wheels[0]}" ||
    die "converting MediaPipe's hand models failed (the line above says why)"
  rm -rf "$wheel_dir"
  say "MediaPipe hand models converted ($(( SECONDS - models_start )) s)"
fi

# --- cargo config: where libtorch is, and the kernel's cell profile ---------------
mkdir -p .cargo
config=$(cat <<TOML
# Written by scripts/setup.sh for this checkout; not committed.
[env]
LIBTORCH = "$torch_dir"
LIBTORCH_CXX11_ABI = "$cxx11"

[target.x86_64-unknown-linux-gnu]
rustflags = ["-C", "link-arg=-Wl,-rpath,$torch_dir/lib"]

[target.aarch64-unknown-linux-gnu]
rustflags = ["-C", "link-arg=-Wl,-rpath,$torch_dir/lib"]

# The notebook kernel compiles each cell into a crate named ctx under .evcxr/,
# which reads this file: its code only calls the library, so it is not
# optimised (the library and its dependencies keep the kernel's opt-level 2).
# Measured: 0.9 -> 0.67 s per small cell; a warm re-run 115-119 -> 107-112 s.
[profile.dev.package.ctx]
opt-level = 0
TOML
)
if [ "$(cat .cargo/config.toml 2>/dev/null)" != "$config" ]; then
  echo "$config" >.cargo/config.toml
  say "wrote .cargo/config.toml (libtorch at $torch_dir)"
fi

# --- evcxr_jupyter (started above, in the background) -------------------------------
if [ -n "${evcxr_pid:-}" ]; then
  wait "$evcxr_pid" || die "cargo install evcxr_jupyter failed: see the end of $root/.setup-evcxr.log"
  cat .setup-evcxr.log >>"$log" && rm -f .setup-evcxr.log
  trap - EXIT
  say "evcxr_jupyter built ($(( SECONDS - evcxr_start )) s)"
fi

# --- kernel spec, inside the venv ---------------------------------------------------
kdir=.venv/share/jupyter/kernels/signlang
mkdir -p "$kdir" .evcxr
spec=$(cat <<JSON
{
  "argv": ["$root/.tools/bin/evcxr_jupyter", "--control_file", "{connection_file}"],
  "display_name": "Rust (signlang)",
  "language": "rust",
  "interrupt_mode": "message",
  "env": {
    "LIBTORCH_USE_PYTORCH": "1",
    "VIRTUAL_ENV": "$root/.venv",
    "PATH": "$root/.venv/bin:\${PATH}",
    "LD_LIBRARY_PATH": "$torch_dir/lib",
    "EVCXR_TMPDIR": "$root/.evcxr",
    "SIGNLANG_ROOT": "$root"
  }
}
JSON
)
if [ "$(cat "$kdir/kernel.json" 2>/dev/null)" != "$spec" ]; then
  echo "$spec" >"$kdir/kernel.json"
  say "installed kernel spec 'Rust (signlang)' in $kdir"
fi
say "ready ($SECONDS s)"
