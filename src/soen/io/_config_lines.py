"""Where is a key of a TOML config? (``tomllib`` gives line numbers only for syntax errors.)"""

from __future__ import annotations

import re
from collections import defaultdict

__all__ = ["index_lines", "line_of"]


def _strip_comment(line: str) -> str:
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[:i]
    return line


def index_lines(text: str) -> dict[str, int]:
    """Map key paths (``projections[1].connector.k``) to the line that defines them (1-based)."""
    index: dict[str, int] = {}
    counts: dict[str, int] = defaultdict(int)

    def resolve(dotted: str) -> str:
        parts = [p.strip().strip("\"'") for p in dotted.split(".")]
        path = ""
        for p in parts:
            path = f"{path}.{p}" if path else p
            if counts.get(path):
                path = f"{path}[{counts[path] - 1}]"
        return path

    current = ""
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = _strip_comment(raw)
        m = re.match(r"^\s*\[\[\s*([^\]]+?)\s*\]\]", line)
        if m:
            parts = m.group(1).rsplit(".", 1)
            base = (
                (resolve(parts[0]) + "." + parts[1].strip().strip("\"'"))
                if len(parts) == 2
                else m.group(1).strip()
            )
            current = f"{base}[{counts[base]}]"
            counts[base] += 1
            index.setdefault(base, lineno)
            index[current] = lineno
            continue
        m = re.match(r"^\s*\[\s*([^\]]+?)\s*\]", line)
        if m:
            current = resolve(m.group(1))
            index.setdefault(current, lineno)
            continue
        m = re.match(r"^\s*([A-Za-z0-9_\-\.\"']+)\s*=", line)
        if m:
            key = ".".join(p.strip().strip("\"'") for p in m.group(1).split("."))
            full = f"{current}.{key}" if current else key
            index.setdefault(full, lineno)
            for sub in re.finditer(r"([A-Za-z0-9_\-]+)\s*=", line[m.end() :]):
                index.setdefault(f"{full}.{sub.group(1)}", lineno)
    return index


def line_of(lines: dict[str, int], path: str) -> int | None:
    """The line of ``path``, or of its closest enclosing key that has one."""
    p = path
    while p:
        if p in lines:
            return lines[p]
        cut = max(p.rfind("."), p.rfind("["))
        p = p[:cut] if cut > 0 else ""
    return None
