#!/usr/bin/env bash
# Create the virtual environments of the comparison under benchmarks/compare/.venv/ (git-ignored):
#   .venv/brian2  Brian2 + Cython (numpy < 2.4: Brian2 does not run next to the numpy 2.4 of soen's env)
#   .venv/nest    NEST from PyPI (nest-simulator wheels)
# Re-running is cheap: existing environments are kept.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
py="${PYTHON:-python3}"
if [ ! -x "$here/.venv/brian2/bin/python" ]; then
  "$py" -m venv "$here/.venv/brian2"
  "$here/.venv/brian2/bin/pip" install --quiet "brian2>=2.9" "numpy<2.4" cython setuptools
fi
if [ ! -x "$here/.venv/nest/bin/python" ]; then
  "$py" -m venv "$here/.venv/nest"
  "$here/.venv/nest/bin/pip" install --quiet "nest-simulator>=3.8" "numpy<2.4" \
    || echo "NEST could not be installed from PyPI; run_compare.py will skip it" >&2
fi
"$here/.venv/brian2/bin/python" -c "import brian2; print('brian2', brian2.__version__)"
"$here/.venv/nest/bin/python" -c "import nest; print('nest', nest.__version__)" 2>/dev/null | tail -1 || true
