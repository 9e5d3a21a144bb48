"""Files: results (HDF5, streamed during a run), networks as data, config-driven runs, exports, reports.

* :func:`load` / :func:`read_info` / :class:`ResultWriter` / :func:`save_result` — results files
  (``soen.io.results``; format in ``docs/results.md``).
* :func:`network_to_dict` / :func:`network_from_dict` / :func:`save_network` / :func:`load_network` —
  networks as JSON or HDF5 (``soen.io.network_io``).
* :func:`load_config` / :func:`run_config` — experiments from TOML files (``soen.io.config``).
* :func:`to_neo` — export to a ``neo.Block`` (optional extra ``soen[io]``).
* :func:`write_report` — a self-contained HTML report of a results file.

Nothing here uses pickle: files from elsewhere are data, checked on load (:class:`FileFormatError`).
"""

from __future__ import annotations

from soen.io._safe import FileFormatError
from soen.io.config import ConfigError, check_experiment, load_config, run_config
from soen.io.neo_export import to_neo
from soen.io.network_io import load_network, network_from_dict, network_to_dict, save_network
from soen.io.report import write_report
from soen.io.results import ResultWriter, load, read_info, save_result

__all__ = [
    "load",
    "read_info",
    "save_result",
    "ResultWriter",
    "network_to_dict",
    "network_from_dict",
    "save_network",
    "load_network",
    "ConfigError",
    "FileFormatError",
    "check_experiment",
    "load_config",
    "run_config",
    "to_neo",
    "write_report",
]
