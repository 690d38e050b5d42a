"""The import contracts in pyproject.toml hold, and each of them fails when broken."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")


def lint_imports(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache", "--no-logo"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def contract_names() -> list[str]:
    config = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())
    return [contract["name"] for contract in config["tool"]["importlinter"]["contracts"]]


def add_line(path: Path, line: str) -> None:
    path.write_text(path.read_text() + f"\n{line}\n")


def test_it_keeps_every_import_contract():
    result = lint_imports(BASE_DIR)

    assert result.returncode == 0, result.stdout + result.stderr
    for name in contract_names():
        assert f"{name} KEPT" in result.stdout


def test_it_fails_each_contract_that_an_import_breaks(tmp_path):
    for package in ("cutouts", "devtools", "project"):
        shutil.copytree(
            BASE_DIR / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(BASE_DIR / "pyproject.toml", tmp_path)
    # One forbidden import per contract: Django in the Django-free code, the
    # sandbox in product code, app code in the sandbox, a layer reaching up.
    add_line(tmp_path / "cutouts/lib/proxy.py", "import django")
    add_line(tmp_path / "cutouts/processing/engines.py", "from devtools import sandbox")
    add_line(tmp_path / "devtools/sandbox.py", "from cutouts import models")
    add_line(tmp_path / "cutouts/models.py", "from cutouts.studio import services")

    result = lint_imports(tmp_path)

    assert result.returncode != 0
    for name in contract_names():
        assert f"{name} BROKEN" in result.stdout
    assert "cutouts.lib.proxy -> django" in result.stdout
    assert "cutouts.processing.engines -> devtools" in result.stdout
    assert "devtools.sandbox -> cutouts.models" in result.stdout
    assert "cutouts.models -> cutouts.studio.services" in result.stdout
