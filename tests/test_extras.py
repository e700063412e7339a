"""The core install runs the model; a feature without its extra stops with one line naming it.

Each check runs in a fresh interpreter in which the extras' top-level modules cannot be
imported (``None`` in ``sys.modules``, set by a ``sitecustomize`` on ``PYTHONPATH``), as in a
``pip install abm-trade-clusters`` without extras.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from abm.extras import EXTRAS, MissingExtra, install_hint, missing, require

ROOT = Path(__file__).resolve().parent.parent
ABM = Path(sys.executable).with_name("abm")

#: The top-level modules of every extra's packages: made unimportable in the subprocesses.
BLOCKED = sorted({name for names in EXTRAS.values() for name in names} | {"solara_assets"})

MODEL = (
    "import abm; from abm import TradeClusterModel; "
    "m = TradeClusterModel(rng=1, n_firms=20); m.step()"
)


@pytest.fixture
def core_env(tmp_path: Path) -> dict[str, str]:
    """Environment of a subprocess that cannot import any extra's module."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        f"import sys\nfor name in {BLOCKED!r}:\n    sys.modules[name] = None\n",
        encoding="utf-8",
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    return env


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def test_the_extras_are_blocked(core_env, tmp_path):
    probe = run([sys.executable, "-c", "import solara"], core_env, tmp_path)
    assert probe.returncode == 1
    assert "ModuleNotFoundError" in probe.stderr


def test_model_runs_without_extras(core_env, tmp_path):
    code = f"{MODEL}\nimport sys\nassert not [n for n in {BLOCKED!r} if sys.modules.get(n)]"
    result = run([sys.executable, "-c", code], core_env, tmp_path)
    assert result.returncode == 0, result.stderr


def test_abm_run_params_and_facts_without_extras(core_env, tmp_path):
    out = tmp_path / "r.parquet"
    result = run(
        [str(ABM), "run", "--n-firms", "20", "--steps", "2", "--seed", "1", "--out", str(out)],
        core_env,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert out.is_file() and out.with_name("r.firms.parquet").is_file()
    params = run([str(ABM), "params"], core_env, tmp_path)
    assert params.returncode == 0, params.stderr
    assert "carbon_price" in params.stdout
    facts = run([str(ABM), "facts", str(out), "--years", "2020-2022"], core_env, tmp_path)
    assert facts.returncode == 0, facts.stderr
    assert "facts with a target pass" in facts.stdout
    figures = [str(ABM), "facts", str(out), "--years", "2020-2022", "--figures", "figs"]
    facts = run(figures, core_env, tmp_path)
    assert facts.returncode == 1
    assert facts.stderr.splitlines() == [
        "abm facts: needs the experiments extra (missing: matplotlib): "
        + install_hint("experiments")
    ]
    assert not (tmp_path / "figs").exists()  # nothing made before the check
    listed = run([str(ABM), "--help"], core_env, tmp_path)
    assert listed.returncode == 0
    assert "app" in listed.stdout and "experiment" in listed.stdout


@pytest.mark.parametrize(
    ("args", "extra"),
    [
        (["app"], "app"),
        (
            ["experiment", "run", "experiments/factorial_modes.toml", "--out", "{out}"],
            "experiments",
        ),
        (["experiment", "report", "{out}"], "experiments"),
        (["calibrate", "experiments/targets.toml", "--budget", "2"], "calibration"),
    ],
)
def test_feature_without_its_extra_is_one_line(core_env, tmp_path, args, extra):
    out = tmp_path / "out"
    argv = [str(ABM), *(a.replace("{out}", str(out)) for a in args)]
    result = run(argv, core_env, ROOT)
    assert result.returncode == 1
    command = " ".join(args[:2] if args[0] == "experiment" else args[:1])
    assert result.stderr.splitlines() == [
        f"abm {command}: needs the {extra} extra (missing: {', '.join(EXTRAS[extra])}): "
        f"{install_hint(extra)}"
    ]
    assert result.stdout == ""
    assert not out.exists()  # nothing written


@pytest.mark.parametrize(
    ("module", "extra"),
    [("abm.app", "app"), ("abm.analysis", "experiments"), ("abm.app_server", None)],
)
def test_python_import_names_the_extra(core_env, tmp_path, module, extra):
    code = (
        "import importlib, sys\n"
        "from abm.extras import MissingExtra\n"
        f"try:\n    importlib.import_module({module!r})\n"
        "except MissingExtra as exc:\n    print(exc.extra, exc)\n    sys.exit(3)\n"
    )
    result = run([sys.executable, "-c", code], core_env, tmp_path)
    if extra is None:  # importable without the extra: `abm app` says what is missing
        assert result.returncode == 0, result.stderr
        return
    assert result.returncode == 3, result.stderr
    assert result.stdout.startswith(f"{extra} {module}: needs the {extra} extra")
    assert install_hint(extra) in result.stdout


def test_ema_without_its_extra(core_env, tmp_path):
    code = "import abm.ema\nabm.ema._workbench()"
    result = run([sys.executable, "-c", code], core_env, tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "abm.extras.MissingExtra: abm.ema: needs the ema extra (missing: ema_workbench): "
        f"{install_hint('ema')}"
    )


def test_require_and_missing(monkeypatch):
    for extra in EXTRAS:
        assert missing(extra) == []
        require(extra)  # everything is installed here
    monkeypatch.setitem(sys.modules, "pyabc", None)
    assert missing("calibration") == ["pyabc"]
    with pytest.raises(MissingExtra, match=r"^abm calibrate: needs the calibration extra"):
        require("calibration", "abm calibrate")


def test_pyproject_extras():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    assert set(extras) == set(EXTRAS) | {"all", "test"}
    (everything,) = extras["all"]
    name, listed = everything.rstrip("]").split("[")
    assert name == "abm-trade-clusters" and set(listed.split(",")) == set(EXTRAS)
    assert "abm-trade-clusters[all]" in extras["test"]
    core = {re.split(r"[<>=!\[ ]", dep, maxsplit=1)[0].lower() for dep in project["dependencies"]}
    assert core == {"mesa", "numpy", "pandas", "networkx", "scipy", "pyarrow", "tqdm", "numba"}
