"""`tryon catalog ...` from a terminal, on SQLite and PostgreSQL: a bulk import of a folder of real
models (one of them broken) with its report, then list, show, update and delete."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(300)


def catalog(*args: str, database_url: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tryon.cli", "catalog", *args, "--database-url", database_url],
                          capture_output=True, text=True, timeout=240, env={**os.environ, "COLUMNS": "200"})


def test_a_folder_is_imported_with_a_report_and_the_products_can_be_managed(database_url, shared_data, tmp_path):
    folder = tmp_path / "models"
    shutil.copytree(shared_data / "models3d" / "glasses_thuglife_mindar", folder / "thug-life")
    shutil.copy(shared_data / "models3d" / "sunglasses_khronos" / "SunglassesKhronos.glb", folder / "khronos.glb")
    (folder / "broken.glb").write_bytes(b"glTF\x02\x00\x00\x00\xff\xff\x00\x00")
    done = catalog("import", str(folder), "--category", "glasses", database_url=database_url)
    assert done.returncode == 1, done.stderr  # one file was rejected
    assert "2 of 3 imported" in done.stdout
    assert "broken.glb" in done.stderr and "glb.truncated" in done.stderr

    listed = catalog("list", database_url=database_url)
    assert listed.returncode == 0, listed.stderr
    assert "thug-life" in listed.stdout and "khronos" in listed.stdout and "broken" not in listed.stdout

    shown = catalog("show", "khronos", database_url=database_url)
    described = json.loads(shown.stdout)
    assert described["asset"]["source_format"] == "glb" and 140 <= described["dimensions_mm"][0] <= 160
    assert described["fit"]["confirmed"] is False

    updated = catalog("update", "khronos", "--price", "default=149.00", "--confirm-fit", "--name", "Khronos Shades",
                      database_url=database_url)
    assert updated.returncode == 0, updated.stderr
    described = json.loads(catalog("show", "khronos", database_url=database_url).stdout)
    assert described["name"] == "Khronos Shades" and described["variants"][0]["price"] == "149.00"
    assert described["fit"]["confirmed"] is True

    assert catalog("delete", "thug-life", database_url=database_url).returncode == 0
    assert "thug-life" not in catalog("list", database_url=database_url).stdout
    assert "thug-life" in catalog("list", "--all", database_url=database_url).stdout


def test_asking_for_an_unknown_product_says_so_without_a_traceback(database_url):
    done = catalog("show", "no-such-product", database_url=database_url)
    assert done.returncode != 0
    assert "unknown product 'no-such-product'" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
