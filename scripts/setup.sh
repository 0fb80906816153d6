#!/usr/bin/env bash
# Install everything emg-monitor needs on Debian/Ubuntu: system packages (AVR
# toolchain, Arduino core, simavr, the libraries Qt needs) and a project
# virtual environment in .venv with the package and its test extras.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  python3 python3-venv python3-pip make gcc pkg-config
  gcc-avr avr-libc binutils-avr arduino-core-avr arduino-mk avrdude simavr libsimavr-dev
  libegl1 libgl1 libfontconfig1 libxkbcommon0 libglib2.0-0 libdbus-1-3 fonts-dejavu-core
  xvfb xauth libxkbcommon-x11-0 libx11-xcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0
  libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-shm0 libxcb-sync1
  libxcb-xfixes0 libxcb-xkb1 libxcb-util1 libpango-1.0-0 libpangoft2-1.0-0 poppler-utils
  qpdf  # the tests: an independent check of the joined report PDF (qpdf --check)
)

# where the release has them: WeasyPrint subsets the report PDF's fonts with HarfBuzz's
# subset library (split from libharfbuzz0b in Debian 12 / Ubuntu 22.10); without it the
# PDF still comes out, with whole fonts and a DeprecationWarning
OPTIONAL_APT_PACKAGES=(libharfbuzz-subset0)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
known() { apt-cache show "$1" >/dev/null 2>&1; }
missing=()
for p in "${APT_PACKAGES[@]}"; do
  installed "$p" || missing+=("$p")
done
optional=()
for p in "${OPTIONAL_APT_PACKAGES[@]}"; do
  installed "$p" || optional+=("$p")
done
if ((${#missing[@]})) || { ((${#optional[@]})) && known "${optional[0]}"; }; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  for p in "${optional[@]}"; do known "$p" && missing+=("$p"); done
  echo "setup: installing system packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

ok_python() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }
PY=${PYTHON:-python3}
if ! ok_python "$PY"; then
  for candidate in python3.13 python3.12 python3.11; do   # e.g. Ubuntu 22.04: apt install python3.11-venv
    if command -v "$candidate" >/dev/null && ok_python "$candidate"; then PY=$candidate; break; fi
  done
fi
if ! ok_python "$PY"; then
  echo "setup: emg-monitor needs Python >= 3.11 (found $("$PY" --version 2>&1)); install python3.11 and python3.11-venv, or set PYTHON=/path/to/python3.11" >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
PYTHONWARNINGS=ignore .venv/bin/python -m pip install -q -e ".[test,lsl,brainflow]"   # quiet the build backend's notices; errors still show
echo "setup: ready (.venv/bin/emg-monitor)"
