import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # child.py and child_ref.py
