#!/usr/bin/env bash
# Set up and run the whole test suite, the firmware in simavr included.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# static checks first (pyproject.toml: ruff rules, mypy strictness and its ratchet list)
.venv/bin/ruff check .
.venv/bin/python -m mypy
set +e
# -n auto: one worker per core (pytest-xdist); pass -n 0 to run in this process
QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest -n auto "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "test: pytest collected no tests: the suite is broken" >&2
  exit 1
fi
exit "$rc"
