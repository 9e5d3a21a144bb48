#!/usr/bin/env bash
# Create the virtual environments of the comparison under benchmarks/compare/.venv/ (git-ignored):
#   .venv/brian2  Brian2 + Cython (numpy < 2.4: Brian2 does not run next to the numpy 2.4 of soen's env)
#   .venv/nest    NEST from PyPI (nest-simulator wheels)
#   .venv/snntorch      snnTorch 1.0.0 + CPU-only torch (the +cpu wheel where pip finds one, else PyPI's
#                       torch; ≈ 0.9 GB with the +cpu wheel), for ../bench_train_compare.py
#   .venv/soen_toolkit  the PyTorch SOEN-Toolkit (soen-toolkit 0.1.13, not on PyPI) for the same script:
#                       Python 3.12 (its sources use 3.12 syntax; $PYTHON312, else python3.12 or pyenv's),
#                       torch + numpy, pyyaml, h5py, jax, pandas (what soen_toolkit.nn imports; the GUI,
#                       cloud and MLflow extras are left out); its sources are unpacked from a git mirror
#                       ($SOEN_TOOLKIT_GIT: a clone of a repository that holds src/soen_toolkit, e.g.
#                       colpark/soen_fusion_zero at 8d47302) into .venv/soen_toolkit_src. PyPI's torch
#                       for 3.12 brings the CUDA libraries: ≈ 4.7 GB. Skipped when neither is found.
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
if [ ! -x "$here/.venv/snntorch/bin/python" ]; then
  "$py" -m venv "$here/.venv/snntorch"
  # the +cpu wheel is not on PyPI; where pip finds one (a local wheel directory) it avoids the CUDA libraries
  "$here/.venv/snntorch/bin/pip" install --quiet "torch==2.13.0+cpu" "snntorch==1.0.0" numpy 2>/dev/null \
    || "$here/.venv/snntorch/bin/pip" install --quiet torch "snntorch==1.0.0" numpy \
    || echo "snnTorch could not be installed; bench_train_compare.py will skip it" >&2
fi
py312="${PYTHON312:-$(command -v python3.12 || ls "$HOME"/.pyenv/versions/3.12*/bin/python 2>/dev/null | head -1 || true)}"
if [ ! -x "$here/.venv/soen_toolkit/bin/python" ] && [ -n "$py312" ] && [ -n "${SOEN_TOOLKIT_GIT:-}" ]; then
  mkdir -p "$here/.venv/soen_toolkit_src"
  git -C "$SOEN_TOOLKIT_GIT" archive HEAD src/soen_toolkit ':!src/soen_toolkit/tutorial_notebooks' \
      ':!src/soen_toolkit/model_creation_gui' ':!src/soen_toolkit/cloud_gui' | tar -x -C "$here/.venv/soen_toolkit_src"
  "$py312" -m venv "$here/.venv/soen_toolkit"
  "$here/.venv/soen_toolkit/bin/pip" install --quiet "torch<=2.14.1" numpy pyyaml h5py jax pandas \
    || echo "the SOEN-Toolkit's environment could not be installed" >&2
elif [ ! -x "$here/.venv/soen_toolkit/bin/python" ]; then
  echo "SOEN-Toolkit: no Python 3.12 or no \$SOEN_TOOLKIT_GIT; bench_train_compare.py uses the stated 35 ms" >&2
fi
"$here/.venv/brian2/bin/python" -c "import brian2; print('brian2', brian2.__version__)"
"$here/.venv/nest/bin/python" -c "import nest; print('nest', nest.__version__)" 2>/dev/null | tail -1 || true
"$here/.venv/snntorch/bin/python" -c "import snntorch, torch; print('snntorch', snntorch.__version__, 'torch', torch.__version__)" 2>/dev/null || true
PYTHONPATH="$here/.venv/soen_toolkit_src/src" "$here/.venv/soen_toolkit/bin/python" -c "import soen_toolkit.nn, torch; print('soen_toolkit', 'torch', torch.__version__)" 2>/dev/null || true
