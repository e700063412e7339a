"""``abm experiment report``: figures (PNG) and summary tables of a results directory."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
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


def write_report(
    out_dir: str | Path,
    reporters: Sequence[str] | None = None,
    year: int | None = None,
    dest: str | Path | None = None,
) -> list[Path]:
    """Write the figures and tables of an experiment's results; return the paths written.

    Always: ``summary.csv`` and ``summary.txt`` (replicate mean and interval per point in
    ``year``, default the last) and ``timeseries_<reporter>.png``. By design: factorial ->
    ``effects.csv``, ``attribution.csv``, ``effects_<reporter>.png``; a grid over two
    parameters -> ``heatmap_<reporter>.png``; Sobol / Morris -> ``sobol.csv`` /
    ``morris.csv`` and ``sobol_<reporter>.png`` / ``morris_<reporter>.png``.
    """
    from abm import analysis as an

    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise FileNotFoundError(f"results directory not found: {out_dir}")
    dest = out_dir / "report" if dest is None else Path(dest)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = an.load_results(out_dir)
    notes = [str(w.message) for w in caught]
    exp = frame.attrs.get("experiment", {}) or {}
    recorded = an.reporter_columns(frame)
    if reporters is None:
        reporters = [r for r in DEFAULT_REPORTERS if r in recorded] or recorded[:4]
    else:
        for r in reporters:
            if r not in recorded:
                raise ValueError(
                    f"--reporter {r!r}: not recorded in {out_dir}; recorded: {', '.join(recorded)}"
                )
    rows = an.at_year(frame, year)
    year = int(rows["year"].iloc[0])
    dest.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def save_fig(fig, name: str) -> None:
        path = dest / name
        fig.savefig(path, dpi=120)
        written.append(path)

    def save_csv(table: pd.DataFrame, name: str) -> None:
        path = dest / name
        table.to_csv(path, index=False)
        written.append(path)

    # summary table: replicate means and intervals per point in the chosen year
    stats = an.replicate_summary(rows, reporters)
    design = ["point", *an.design_columns(frame)]
    wide = stats.pivot_table(
        index=design, columns="reporter", values=["mean", "ci_low", "ci_high"], sort=True
    )
    wide.columns = [f"{rep}_{stat}" for stat, rep in wide.columns]
    order = [f"{r}_{s}" for r in reporters for s in ("mean", "ci_low", "ci_high")]
    wide = wide.reindex(columns=order).reset_index()
    n_rep = rows.groupby("point")["run_id"].nunique()
    wide.insert(len(design), "replicates", wide["point"].map(n_rep))
    save_csv(wide, "summary.csv")

    kind = exp.get("kind", "unknown")
    fewest = int(n_rep.min())
    if fewest < 3 and kind not in ("sobol", "morris"):  # samplers: one run per sample point
        notes.append(
            f"note: {fewest} replicate(s) at some points: "
            + (
                "no intervals there"
                if fewest == 1
                else "95% t intervals have 1 degree of freedom (t = 12.7) and are very wide"
            )
            + "; set replicates = 5 or more for usable intervals"
        )

    lines = [
        f"experiment {exp.get('name', out_dir.name)} ({kind}), results in {out_dir}",
        f"{frame['run_id'].nunique()} finished runs, {frame['point'].nunique()} points; "
        f"values in {year}: replicate mean [95% interval]",
        *notes,
        "",
    ]
    show = wide[design].copy()
    for r in reporters:
        show[r] = [
            f"{m:.4g} [{lo:.4g}, {hi:.4g}]" if pd.notna(lo) else f"{m:.4g}"
            for m, lo, hi in zip(
                wide[f"{r}_mean"], wide[f"{r}_ci_low"], wide[f"{r}_ci_high"], strict=True
            )
        ]
    lines.append(show.to_string(index=False, max_rows=200))

    for r in reporters:
        save_fig(an.plot_timeseries(frame, r), f"timeseries_{r}.png")

    if kind == "factorial":
        effects, attributions = [], []
        for r in reporters:
            eff = an.factorial_effects(frame, r, year=year)
            save_fig(an.plot_effects(eff, max_order=2), f"effects_{r}.png")
            effects.append(eff.assign(reporter=r, year=year))
            att = an.mode_attribution(frame, r, year=year)
            attributions.append(att.assign(reporter=r, year=year))
        eff_all = pd.concat(effects, ignore_index=True)
        att_all = pd.concat(attributions, ignore_index=True)
        save_csv(eff_all, "effects.csv")
        save_csv(att_all, "attribution.csv")
        lines += ["", f"main effects of the modes in {year}: effect [95% interval]"]
        main = eff_all[eff_all["order"] == 1].copy()
        main["text"] = [
            f"{v:.4g} [{lo:.4g}, {hi:.4g}]" if pd.notna(lo) else f"{v:.4g}"
            for v, lo, hi in zip(main["effect"], main["ci_low"], main["ci_high"], strict=True)
        ]
        table = main.pivot(index="term", columns="reporter", values="text")
        lines.append(table[[r for r in reporters if r in table.columns]].to_string())
    elif kind == "grid":
        varied = [v for v in exp.get("varied", []) if v != "scenario"]
        if len(varied) == 2:
            for r in reporters:
                save_fig(
                    an.plot_heatmap(frame, r, x=varied[0], y=varied[1], year=year),
                    f"heatmap_{r}.png",
                )
    elif kind in ("sobol", "morris"):
        func = an.sobol_indices if kind == "sobol" else an.morris_indices
        tables = []
        for r in reporters:
            try:
                idx = func(frame, r, year=year)
            except ValueError as exc:
                lines.append(f"{kind} {r}: {exc}")
                continue
            save_fig(an.plot_sensitivity(idx), f"{kind}_{r}.png")
            tables.append(idx.assign(reporter=r, year=year))
        if tables:
            save_csv(pd.concat(tables, ignore_index=True), f"{kind}.csv")

    path = dest / "summary.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    written.append(path)
    return written


__all__ = ["DEFAULT_REPORTERS", "write_report"]
