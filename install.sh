#!/usr/bin/env bash
# Sets up coach on a fresh machine: system packages (speech), a virtualenv, the package.
#   bash install.sh          # to use coach
#   bash install.sh --dev    # also the test and lint tools, and Ray (coach score --engine ray)
set -euo pipefail
cd "$(dirname "$0")"

extras=""
[ "${1:-}" = "--dev" ] && extras="[dev,ray]"

# Speech: pyttsx3 speaks through espeak-ng on Linux, played with aplay. Without them coach
# still works and prints its prompts instead.
if [ "$(uname)" = "Linux" ] && command -v apt-get >/dev/null 2>&1; then
  need=""
  command -v espeak-ng >/dev/null 2>&1 || need="$need espeak-ng"
  command -v aplay >/dev/null 2>&1 || need="$need alsa-utils"
  if [ -n "$need" ]; then
    if [ "$(id -u)" = "0" ]; then
      apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
    elif command -v sudo >/dev/null 2>&1; then
      sudo apt-get update -qq >/dev/null
      sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
    else
      echo "install.sh: please install$need for spoken prompts (coach prints them meanwhile)" >&2
    fi
  fi
fi

# mediapipe 0.10.21 has wheels for Python 3.9-3.12 only.
py=""
for cand in python3.11 python3.12 python3; do
  if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 12))'; then
    py="$cand"; break
  fi
done
if [ -z "$py" ]; then
  echo "install.sh: coach needs Python 3.11 or 3.12 (mediapipe 0.10.21 has no wheels for others)" >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$py" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".$extras"
echo "install.sh: ready — run .venv/bin/coach --help"
