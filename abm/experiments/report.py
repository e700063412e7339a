"""``abm experiment report``: figures (PNG) and summary tables of a results directory."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

#: Reporters a report shows by default (those the experiment recorded).
DEFAULT_REPORTERS = (
    "upgrading_index",
    "emissions",
    "emission_intensity",
    "green_share",
    "exports",
)

#: Up to this many points a report draws the time series as small multiples (one panel per
#: point); larger designs (samplers) get the pooled median and ranges.
MAX_PANELS = 36


@dataclass
class _Report:
    """What a report is written from, and what it has written so far."""

    out_dir: Path
    dest: Path
    frame: pd.DataFrame
    reporters: list[str]
    year: int
    notes: list[str]
    written: list[Path] = field(default_factory=list)
    figure_notes: dict[str, list[str]] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    @property
    def exp(self) -> dict:
        return self.frame.attrs.get("experiment", {}) or {}

    @property
    def kind(self) -> str:
        return self.exp.get("kind", "unknown")

    def save_fig(self, fig, name: str) -> None:
        path = self.dest / name
        fig.savefig(path, dpi=120)
        self.written.append(path)
        for note in getattr(fig, "abm_notes", []):
            if note not in self.notes:
                self.figure_notes.setdefault(note, []).append(name)

    def save_csv(self, table: pd.DataFrame, name: str) -> None:
        path = self.dest / name
        table.to_csv(path, index=False)
        self.written.append(path)


def write_report(
    out_dir: str | Path,
    reporters: Sequence[str] | None = None,
    year: int | None = None,
    dest: str | Path | None = None,
) -> list[Path]:
    """Write the figures and tables of an experiment's results; return the paths written.

    Always: ``summary.csv`` and ``summary.txt`` (replicate mean and interval per point in
    ``year``, default the last, the units of the reporters and any warnings about the
    design) and ``timeseries_<reporter>.png``. By design: factorial -> ``effects.csv``,
    ``attribution.csv``, ``effects_<reporter>.png``; a grid over two parameters ->
    ``heatmap_<reporter>.png``; Sobol / Morris -> ``sobol.csv`` / ``morris.csv`` and
    ``sobol_<reporter>.png`` / ``morris_<reporter>.png``. Every figure names its quantity and
    unit on each axis and the statistic drawn in its title.
    """
    from abm import analysis as an

    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise FileNotFoundError(f"results directory not found: {out_dir}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = an.load_results(out_dir)
    reporters = _chosen_reporters(an.reporter_columns(frame), reporters, out_dir)
    rows = an.at_year(frame, year)
    rep = _Report(
        out_dir=out_dir,
        dest=out_dir / "report" if dest is None else Path(dest),
        frame=frame,
        reporters=reporters,
        year=int(rows["year"].iloc[0]),
        notes=[str(w.message) for w in caught],
    )
    rep.dest.mkdir(parents=True, exist_ok=True)
    table = _summary(rep, rows)
    _timeseries(rep)
    if rep.kind == "factorial":
        _factorial(rep)
    elif rep.kind == "grid":
        _grid(rep)
    elif rep.kind in ("sobol", "morris"):
        _sensitivity(rep)
    _write_summary_text(rep, table)
    return rep.written


def _chosen_reporters(
    recorded: list[str], reporters: Sequence[str] | None, out_dir: Path
) -> list[str]:
    """The reporters to report: those asked for, each recorded, or by default the usual ones
    recorded (else the first four recorded)."""
    if reporters is None:
        return [r for r in DEFAULT_REPORTERS if r in recorded] or recorded[:4]
    for r in reporters:
        if r not in recorded:
            raise ValueError(
                f"--reporter {r!r}: not recorded in {out_dir}; recorded: {', '.join(recorded)}"
            )
    return list(reporters)


def _summary(rep: _Report, rows: pd.DataFrame) -> pd.DataFrame:
    """``summary.csv``: replicate mean and interval per point; returns the wide table."""
    from abm import analysis as an

    stats = _clipped(an.replicate_summary(rows, rep.reporters), rows)
    design = ["point", *an.design_columns(rep.frame)]
    wide = stats.pivot_table(
        index=design, columns="reporter", values=["mean", "ci_low", "ci_high"], sort=True
    )
    wide.columns = [f"{r}_{stat}" for stat, r in wide.columns]
    order = [f"{r}_{s}" for r in rep.reporters for s in ("mean", "ci_low", "ci_high")]
    wide = wide.reindex(columns=order).reset_index()
    n_rep = rows.groupby("point")["run_id"].nunique()
    wide.insert(len(design), "replicates", wide["point"].map(n_rep))
    rep.save_csv(wide, "summary.csv")
    if rep.kind not in ("sobol", "morris"):  # samplers: replicates are averaged per point
        for note in an.replicate_notes(int(n_rep.min())):
            rep.notes.append(note)
    return wide


def _clipped(stats: pd.DataFrame, rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """Interval ends within each reporter's natural bounds (a share stays in [0, 1]; a
    reporter never observed below 0 stays non-negative)."""
    from abm.analysis.labels import floored_at_zero, quantity

    out = stats.copy()
    for r, idx in out.groupby("reporter").groups.items():
        q = quantity(str(r))
        if rows is not None and r in rows.columns:
            q = floored_at_zero(q, rows[r])
        if q.low is not None or q.high is not None:
            for col in ("ci_low", "ci_high"):
                out.loc[idx, col] = out.loc[idx, col].clip(q.low, q.high)
    return out


def _timeseries(rep: _Report) -> None:
    from abm import analysis as an

    by = [c for c in an.design_columns(rep.frame) if rep.frame[c].nunique() > 1]
    n_points = rep.frame.groupby(by).ngroups if by else 1
    for r in rep.reporters:
        if 4 < n_points <= MAX_PANELS:
            ncols = _panel_columns(rep, n_points)
            fig = an.plot_timeseries_panels(rep.frame, r, ncols=ncols)
        else:
            fig = an.plot_timeseries(rep.frame, r)
        rep.save_fig(fig, f"timeseries_{r}.png")


def _panel_columns(rep: _Report, n_points: int) -> int:
    """Columns of small multiples: a grid's first parameter across, else 4."""
    varied = [v for v in rep.exp.get("varied", []) if v not in ("scenario", "preset")]
    if rep.kind == "grid" and len(varied) == 2:
        return rep.frame[varied[1]].nunique()
    return 4 if n_points > 6 else n_points


def _factorial(rep: _Report) -> None:
    from abm import analysis as an

    effects, attributions = [], []
    for r in rep.reporters:
        try:  # a design left incomplete by failed runs cannot separate every term
            eff = an.factorial_effects(rep.frame, r, year=rep.year)
        except ValueError as exc:
            rep.notes.append(f"factorial effects of {r}: {exc}")
            continue
        rep.save_fig(an.plot_effects(eff, max_order=2), f"effects_{r}.png")
        effects.append(eff.assign(reporter=r, year=rep.year))
        try:
            att = an.mode_attribution(rep.frame, r, year=rep.year)
        except ValueError as exc:
            rep.notes.append(f"attribution of {r}: {exc}")
            continue
        attributions.append(att.assign(reporter=r, year=rep.year))
    if attributions:
        rep.save_csv(pd.concat(attributions, ignore_index=True), "attribution.csv")
    if not effects:
        return
    eff_all = pd.concat(effects, ignore_index=True)
    rep.save_csv(eff_all, "effects.csv")
    rep.lines += ["", f"main effects of the modes in {rep.year}: effect [95% interval]"]
    main = eff_all[eff_all["order"] == 1].copy()
    main["text"] = [
        _estimate(v, lo, hi)
        for v, lo, hi in zip(main["effect"], main["ci_low"], main["ci_high"], strict=True)
    ]
    table = main.pivot(index="term", columns="reporter", values="text")
    rep.lines.append(table[[r for r in rep.reporters if r in table.columns]].to_string())


def _grid(rep: _Report) -> None:
    from abm import analysis as an

    varied = [v for v in rep.exp.get("varied", []) if v not in ("scenario", "preset")]
    if len(varied) != 2:
        return
    for r in rep.reporters:
        fig = an.plot_heatmap(rep.frame, r, x=varied[0], y=varied[1], year=rep.year)
        rep.save_fig(fig, f"heatmap_{r}.png")


def _sensitivity(rep: _Report) -> None:
    from abm import analysis as an

    func = an.sobol_indices if rep.kind == "sobol" else an.morris_indices
    tables = []
    for r in rep.reporters:
        try:
            idx = func(rep.frame, r, year=rep.year)
        except ValueError as exc:
            rep.lines.append(f"{rep.kind} {r}: {exc}")
            continue
        rep.save_fig(an.plot_sensitivity(idx), f"{rep.kind}_{r}.png")
        tables.append(idx.assign(reporter=r, year=rep.year))
    if tables:
        rep.save_csv(pd.concat(tables, ignore_index=True), f"{rep.kind}.csv")


def _estimate(m: float, lo: float, hi: float, digits: int | None = None) -> str:
    """``mean [low, high]`` in one format: fixed decimals with thousands separators."""
    from abm.analysis.labels import decimals_for, format_number

    if digits is None:
        digits = decimals_for([m], 4)
    if pd.isna(lo):
        return format_number(m, digits)
    return f"{format_number(m, digits)} [{format_number(lo, digits)}, {format_number(hi, digits)}]"


def _write_summary_text(rep: _Report, wide: pd.DataFrame) -> None:
    """``summary.txt``: the experiment, warnings, units, the table, then design results."""
    from abm import analysis as an
    from abm.analysis.labels import decimals_for, quantity

    design = ["point", *an.design_columns(rep.frame)]
    head = [
        f"experiment {rep.exp.get('name', rep.out_dir.name)} ({rep.kind}), "
        f"results in {rep.out_dir}",
        f"{rep.frame['run_id'].nunique()} finished runs, {rep.frame['point'].nunique()} "
        f"points; values in {rep.year}: replicate mean [95% interval]",
    ]
    unc = rep.exp.get("uncertainty")
    if unc:
        names = unc.get("names") or list(unc.get("ranges", {}))
        origin = f"the posterior in {unc['posterior']}" if "posterior" in unc else "intervals"
        head.append(
            f"note: replicates also draw {', '.join(names)} from {origin}, the same draw at "
            "every point: the intervals cover parameter uncertainty as well as seeds"
        )
    head += [n if n.startswith(("note", "warning")) else f"warning: {n}" for n in rep.notes]
    for note, names in rep.figure_notes.items():
        where = ", ".join(names) if len(names) <= 3 else f"{names[0]} and {len(names) - 1} more"
        head.append(f"warning: {note} ({where})")
    head += ["", "reporters:"]
    for r in rep.reporters:
        q = quantity(r)
        head.append(f"  {r}: {q.label}" + (f", {q.unit}" if q.unit else ""))
    show = wide[design].copy()
    for r in rep.reporters:
        digits = decimals_for(wide[f"{r}_mean"], 4)
        show[r] = [
            _estimate(m, lo, hi, digits)
            for m, lo, hi in zip(
                wide[f"{r}_mean"], wide[f"{r}_ci_low"], wide[f"{r}_ci_high"], strict=True
            )
        ]
    lines = [*head, "", show.to_string(index=False, max_rows=200), *rep.lines]
    path = rep.dest / "summary.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rep.written.append(path)


__all__ = ["DEFAULT_REPORTERS", "MAX_PANELS", "write_report"]
