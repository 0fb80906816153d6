#!/usr/bin/env bash
# Set up and start the dashboard on the built-in simulated athlete.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/emg-monitor dashboard --simulate "$@"
