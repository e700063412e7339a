"""``abm run`` checks its output before simulating and writes it atomically; seeds.

Failures are made real where the platform allows: a path under a regular file, an
over-long name, a symlink to ``/dev/full``, a full and a read-only tmpfs, an immutable
folder (``chattr +i``), a file-size limit (``RLIMIT_FSIZE``). Each asserts the exit code,
one line ``abm run: error: cannot write <path>: <reason>``, no traceback, that the model
was never stepped when the check could come first, and that nothing is left behind.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import abm.cli
from abm.cli import main
from abm.seeding import check_rng

RUN = ["run", "--steps", "2", "--seed", "3", "--n-firms", "30", "--quiet"]


def listing(folder: Path) -> list[str]:
    """Every path under ``folder``, hidden temporary files included."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture
def stepped(monkeypatch) -> list[int]:
    """Record the years each run simulates (empty when no simulation started)."""
    calls: list[int] = []
    original = abm.cli.simulate

    def spy(model, steps, progress=True):
        calls.append(steps)
        return original(model, steps, progress)

    monkeypatch.setattr(abm.cli, "simulate", spy)
    return calls


def one_line_error(capsys, path: object, reason: str) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"abm run: error: cannot write {path}: "), err
    assert reason in err, err
    return err


def os_reason(path: Path) -> str:
    """What the OS says when a file is created at ``path`` (the CLI must say the same)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except OSError as exc:
        return exc.strerror
    os.unlink(path)
    pytest.skip(f"{path} is writable here")


def mount_tmpfs(where: Path, options: str) -> None:
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")


@pytest.fixture
def mounts():
    made: list[Path] = []
    yield made
    for where in made:
        subprocess.run(["umount", str(where)], capture_output=True)


# --- the output is checked before the simulation -------------------------------------


def test_existing_file_is_not_replaced_without_force(tmp_path, capsys, stepped):
    out = tmp_path / "r.parquet"
    out.write_bytes(b"an earlier run")
    assert main([*RUN, "--out", str(out)]) == 2
    one_line_error(capsys, out, "file exists; pass --force to replace it")
    assert out.read_bytes() == b"an earlier run" and stepped == []
    assert listing(tmp_path) == ["r.parquet"]


def test_default_out_does_not_overwrite_run_parquet(tmp_path, monkeypatch, capsys, stepped):
    monkeypatch.chdir(tmp_path)
    Path("run.parquet").write_bytes(b"keep me")
    assert main(RUN) == 2
    one_line_error(capsys, "run.parquet", "--force")
    assert Path("run.parquet").read_bytes() == b"keep me" and stepped == []


def test_an_existing_firm_file_alone_is_also_protected(tmp_path, capsys, stepped):
    out = tmp_path / "r.parquet"
    firms = tmp_path / "r.firms.parquet"
    firms.write_bytes(b"earlier firms")
    assert main([*RUN, "--set", "firm_data=false", "--out", str(out)]) == 2
    one_line_error(capsys, firms, "--force")
    assert listing(tmp_path) == ["r.firms.parquet"] and stepped == []


def test_force_replaces_both_files_and_removes_a_stale_firm_file(tmp_path, capsys):
    out = tmp_path / "r.parquet"
    firms = tmp_path / "r.firms.parquet"
    assert main([*RUN, "--out", str(out)]) == 0
    assert listing(tmp_path) == ["r.firms.parquet", "r.parquet"]
    assert main([*RUN, "--n-firms", "40", "--out", str(out), "--force"]) == 0
    assert pd.read_parquet(firms).groupby("Step").size().eq(40).all()
    assert pd.read_parquet(out).attrs["parameters"]["n_firms"] == 40
    assert main([*RUN, "--set", "firm_data=false", "--out", str(out), "--force"]) == 0
    assert listing(tmp_path) == ["r.parquet"]  # the earlier run's firm file is gone
    assert "wrote " + str(out) + "\n" in capsys.readouterr().out


def test_missing_folders_are_made_only_for_a_run_that_can_start(tmp_path, capsys):
    out = tmp_path / "a" / "b" / "r.parquet"
    assert main([*RUN, "--out", str(out)]) == 0
    assert listing(tmp_path) == ["a", "a/b", "a/b/r.firms.parquet", "a/b/r.parquet"]
    new = tmp_path / "c" / "d" / "r.parquet"
    assert main([*RUN, "--set", "carbon_price=-5", "--out", str(new)]) == 2
    assert "carbon_price" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


def test_an_interrupted_run_leaves_nothing(tmp_path, monkeypatch, capsys):
    def interrupted(model, steps, progress=True):
        model.step()
        raise KeyboardInterrupt

    monkeypatch.setattr(abm.cli, "simulate", interrupted)
    assert main([*RUN, "--out", str(tmp_path / "new" / "r.parquet")]) == 130
    assert listing(tmp_path) == []


def test_ctrl_c_inside_a_compiled_loop_is_an_interrupt(tmp_path, monkeypatch, capsys):
    # a Ctrl-C that surfaces from a compiled loop as a SystemError caused by the
    # KeyboardInterrupt ends the run as Ctrl-C does (exit 130, nothing left behind)
    def interrupted(model, steps, progress=True):
        model.step()
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as ki:
            raise SystemError(
                "CPUDispatcher(settle) returned a result with an exception set"
            ) from ki

    monkeypatch.setattr(abm.cli, "simulate", interrupted)
    assert main([*RUN, "--out", str(tmp_path / "new" / "r.parquet")]) == 130
    assert capsys.readouterr().err.strip().endswith("interrupted")
    assert listing(tmp_path) == []


@pytest.mark.parametrize("case", ["under a file", "name too long", "a folder", "/dev/full"])
def test_unwritable_paths_are_one_line_before_the_simulation(case, tmp_path, capsys, stepped):
    (tmp_path / "file.txt").write_text("x")
    if case == "under a file":
        out, reason = tmp_path / "file.txt" / "r.parquet", "is not a directory"
    elif case == "name too long":
        out = tmp_path / ("n" * 300 + ".parquet")
        reason = os_reason(out)
    elif case == "a folder":
        out, reason = tmp_path / "d.parquet", "Is a directory"
        out.mkdir()
    else:
        out, reason = tmp_path / "full.parquet", "not a regular file"
        out.symlink_to("/dev/full")
    before = listing(tmp_path)
    assert main([*RUN, "--out", str(out), "--force"]) == 2
    one_line_error(capsys, out, reason)
    assert stepped == [] and listing(tmp_path) == before


def test_a_model_name_that_fits_with_a_firm_name_that_does_not(tmp_path, capsys, stepped):
    out = tmp_path / ("n" * 244 + ".parquet")  # 252 bytes; the firm file's name is 258
    firms = abm.cli.firm_path(out)
    assert main([*RUN, "--out", str(out)]) == 2
    one_line_error(capsys, firms, os_reason(firms))
    assert stepped == [] and listing(tmp_path) == []


def test_permission_denied(tmp_path, capsys, stepped):
    if os.geteuid() == 0:
        folder = Path("/sys")  # sysfs refuses new files, even to root
    else:
        folder = tmp_path / "locked"
        folder.mkdir(mode=0o500)
    out = folder / "abm-test.parquet"
    reason = os_reason(out)
    assert main([*RUN, "--out", str(out)]) == 2
    one_line_error(capsys, out, reason)
    assert stepped == [] and not os.path.lexists(out)


def test_read_only_file_system(tmp_path, capsys, stepped, mounts):
    where = tmp_path / "ro"
    mount_tmpfs(where, "ro,size=1m")
    mounts.append(where)
    out = where / "sub" / "r.parquet"
    assert main([*RUN, "--out", str(out)]) == 2
    one_line_error(capsys, out, "Read-only file system")
    assert stepped == [] and listing(where) == []


def test_immutable_folder(tmp_path, capsys, stepped):
    folder = tmp_path / "frozen"
    folder.mkdir()
    if shutil.which("chattr") is None:
        pytest.skip("no chattr")
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not allowed here")
    try:
        out = folder / "r.parquet"
        assert main([*RUN, "--out", str(out)]) == 2
        one_line_error(capsys, out, os.strerror(1))  # EPERM: Operation not permitted
        assert stepped == [] and listing(folder) == []
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


# --- failures while writing leave the earlier files and nothing else -----------------


BIG = [*RUN, "--n-firms", "200"]  # its firm file is larger than its model file


@pytest.fixture
def sizes(tmp_path) -> tuple[int, int]:
    """Bytes of the model and the firm file of run ``BIG`` (written in ``tmp_path/ref``)."""
    out = tmp_path / "ref" / "r.parquet"
    assert main([*BIG, "--out", str(out)]) == 0
    model, firms = out.stat().st_size, abm.cli.firm_path(out).stat().st_size
    assert firms > model + 16384
    return model, firms


def test_full_disk_leaves_nothing_partial(tmp_path, capsys, mounts, sizes):
    where = tmp_path / "small"
    model, firms = sizes
    # the firm records, written as the run goes, fill the disk before the model file's turn
    mount_tmpfs(where, f"size={firms // 2}")
    mounts.append(where)
    out = where / "r.parquet"
    capsys.readouterr()
    assert main([*BIG, "--out", str(out)]) == 2
    one_line_error(capsys, abm.cli.firm_path(out), "No space left on device")
    assert listing(where) == []
    # and no file there is still open (the firm records' writer let go of its file)
    open_there = [fd for fd in os.listdir("/proc/self/fd") if _fd_path(fd).startswith(str(where))]
    assert open_there == []


def test_a_failed_write_keeps_the_earlier_files_intact(tmp_path, sizes):
    folder = tmp_path / "ref"
    earlier = {p: p.read_bytes() for p in folder.iterdir()}
    model, firms = sizes
    done = subprocess.run(  # the same run again, its files unable to grow past the model's
        [sys.executable, "-m", "abm.cli", *BIG, "--out", "r.parquet", "--force"],
        cwd=folder,
        capture_output=True,
        text=True,
        preexec_fn=lambda: file_size_limit(model + 1),
        timeout=300,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr == "abm run: error: cannot write r.firms.parquet: File too large\n"
    assert {p: p.read_bytes() for p in folder.iterdir()} == earlier


def _fd_path(fd: str) -> str:
    """What an open file descriptor of this process points to ('' when it is gone)."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return ""


def file_size_limit(max_bytes: int) -> None:
    """Make writes past ``max_bytes`` fail with EFBIG (in a child, before exec)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))


def test_a_terminated_run_leaves_nothing(tmp_path):
    folder = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "abm.cli", *RUN, "--steps", "200", "--n-firms", "3000"]
        + ["--out", str(folder / "r.parquet")],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not any(folder.glob(".*.tmp")):  # the run has checked its output and started
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        process.terminate()
        assert process.wait(timeout=60) == 143
    finally:
        process.kill()
    assert process.stderr.read() == "abm run: terminated\n"
    assert listing(tmp_path) == []


def test_a_graph_file_run_records_its_real_firm_count(tmp_path):
    edges = tmp_path / "ring.txt"
    edges.write_text("".join(f"f{i} f{(i + 1) % 12}\n" for i in range(12)))
    out = tmp_path / "r.parquet"
    assert main([*RUN, "--set", f"topology={edges}", "--out", str(out)]) == 0
    assert pd.read_parquet(out).attrs["parameters"]["n_firms"] == 12
    assert pd.read_parquet(abm.cli.firm_path(out)).groupby("Step").size().eq(12).all()


def test_a_run_with_non_finite_reporters_exits_non_zero(tmp_path, monkeypatch, capsys):
    original = abm.cli.simulate
    years: list[int] = []

    def nan_emissions(model, steps, progress=True):
        original(model, steps, progress)
        frame = model.model_frame()
        frame.loc[frame.index[1:], "emissions"] = np.nan
        years.extend(frame["year"].astype(int))
        monkeypatch.setattr(model, "model_frame", lambda: frame)
        return model

    monkeypatch.setattr(abm.cli, "simulate", nan_emissions)
    out = tmp_path / "r.parquet"
    assert main([*RUN, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"abm run: error: reporters not finite: emissions (from {years[1]}); "
        "the files are kept for inspection\n"
    )
    assert pd.read_parquet(out).emissions.isna().sum() == 2


# --- other command-line errors --------------------------------------------------------


@pytest.mark.parametrize("value", ["-1", "abc", "1.5"])
def test_seed_errors_name_the_option(value, capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", "--seed", value])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"argument --seed: invalid value '{value}'; allowed: an integer >= 0" in err


def test_help_says_each_default_once(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "years to simulate (default: 40)" in text
    for option in text.split(" --")[1:]:
        assert option.count("(default") <= 1, option


def test_a_closed_pipe_ends_quietly():
    read, write = os.pipe()
    os.close(read)  # like 'abm params | head -1' once head has gone
    done = subprocess.run(
        [sys.executable, "-m", "abm.cli", "params"], stdout=write, stderr=subprocess.PIPE
    )
    os.close(write)
    assert done.returncode == 141 and done.stderr == b""


# --- abm.seeding.check_rng ------------------------------------------------------------


def test_check_rng_passes_valid_seeds_as_mesa_takes_them():
    generator = np.random.default_rng(1)
    assert check_rng(None) is None
    assert check_rng(generator) is generator
    assert check_rng(7) == 7 and type(check_rng(7)) is int
    for value in (np.int64(7), np.uint32(7), np.int8(7)):
        assert check_rng(value) == 7 and type(check_rng(value)) is int
    assert check_rng(2**70) == 2**70


@pytest.mark.parametrize("value", ["abc", 1.5, -1, np.int64(-3), True, [1, 2], b"1", 7.0])
def test_check_rng_refuses_other_values_naming_rng_and_what_is_allowed(value):
    with pytest.raises(ValueError) as info:
        check_rng(value)
    message = str(info.value)
    assert message.startswith("rng: invalid value ")
    assert "allowed: an integer >= 0 (Python or numpy), a numpy Generator, or None" in message
    assert "\n" not in message
