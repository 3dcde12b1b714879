"""Settings come from TRYON_* variables, are all documented, and bad values are explained."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from server.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_is_documented_in_the_readme():
    documented = set(re.findall(r"^\| `TRYON_([A-Z_]+)` \|", README.read_text(), flags=re.M))
    assert documented == {name.upper() for name in Settings.model_fields}


def test_environment_variables_override_the_defaults(monkeypatch):
    monkeypatch.setenv("TRYON_MAX_FPS", "12.5")
    monkeypatch.setenv("TRYON_MAX_SESSIONS", "3")
    settings = Settings()
    assert settings.max_fps == 12.5 and settings.max_sessions == 3 and settings.port == 8000


def test_serve_explains_a_bad_setting_in_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "tryon.cli", "serve"], capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "TRYON_MAX_FPS": "fast", "TRYON_DATA_DIR": str(tmp_path)})
    assert done.returncode == 2 and "TRYON_MAX_FPS" in done.stderr and "Traceback" not in done.stderr
