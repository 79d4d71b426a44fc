"""The environment is the lock: what ./dev installed equals requirements/, and a stale lock stops ./dev."""

import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def locked(name: str) -> dict[str, str]:
    """Package -> version from a lock file, keeping only the lines whose markers hold here."""
    pins = {}
    for line in (ROOT / "requirements" / name).read_text().splitlines():
        if not line or line[0] in "# " or "==" not in line:
            continue
        requirement = line.rstrip("\\ ").strip()
        spec, _, marker = requirement.partition(";")
        if marker.strip() and not Marker(marker.strip()).evaluate():
            continue
        package, version = spec.strip().split("==")
        pins[canonicalize_name(package.split("[")[0])] = version
    return pins


def test_every_installed_package_is_the_locked_version():
    pins = locked("test.txt")
    installed = {canonicalize_name(dist.metadata["Name"]): dist.version for dist in metadata.distributions()}

    assert {name: installed.get(name) for name in pins} == pins
    assert set(installed) - set(pins) <= {"parcelfront"}  # nothing installed beside the lock


def test_the_demo_lock_is_the_test_lock_without_the_test_tools():
    base, test = locked("base.txt"), locked("test.txt")

    assert {name: test[name] for name in base} == base
    assert {"django", "babel", "pip", "celery"} <= set(base)
    assert "pytest" not in base and "pytest" in test


def test_dev_refuses_to_run_when_pyproject_declares_what_the_lock_does_not(tmp_path):
    for name in ("dev", "pyproject.toml"):
        shutil.copy2(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "requirements", tmp_path / "requirements")
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"Babel>=2.18",', '"Babel>=2.18",\n    "holidays>=0.80",'))

    result = subprocess.run(
        [str(tmp_path / "dev"), "manage", "check"],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "PARCELFRONT_PYTHON": sys.executable},
    )

    assert result.returncode == 1
    assert "pyproject.toml's dependencies changed since the lock was generated" in result.stderr
    assert "./dev lock" in result.stderr
    assert not (tmp_path / ".venv").exists()  # refused before installing anything
