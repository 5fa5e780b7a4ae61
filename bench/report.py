"""Statistics, ratios against the targets of issue 6, and the Markdown table of a benchmark run."""

from __future__ import annotations

import statistics
from typing import Any

GIB_MIB = 1024.0
ORDER = ("a", "b", "c0", "c", "d", "f1", "f2", "f4", "s0", "s", "sr0", "sr", "v", "vr")
#: (v): the aim of issue 22 for ``codemod --version``, in seconds (median wall time)
VERSION_AIM_S = 0.15


def _stats(entry: dict[str, Any], lines: int) -> dict[str, Any]:
    runs = entry["runs"]
    wall = [r["wall_s"] for r in runs]
    return {
        "min_s": round(min(wall), 3),
        "median_s": round(statistics.median(wall), 3),
        "cpu_median_s": round(statistics.median(r["cpu_s"] for r in runs), 2),
        "foreign_cpu_median_s": round(statistics.median(r["foreign_cpu_s"] for r in runs), 1),
        "max_rss_mib": round(max(r["max_rss_mib"] for r in runs)),
        "tree_pss_mib": round(max(r["tree_pss_mib"] for r in runs)),
        "lines_per_s": round(lines / min(wall)) if min(wall) > 0 and lines else None,
        "exit_codes": sorted({r["returncode"] for r in runs}),
        "valid": all(r.get("valid", True) for r in runs),
    }


def _ratio(stats: dict[str, dict[str, Any]], top: str, bottom: str, field: str) -> float | None:
    if top not in stats or bottom not in stats or not stats[bottom][field]:
        return None
    return round(float(stats[top][field]) / float(stats[bottom][field]), 3)


def _linearity(t1: float, t2: float, t4: float) -> dict[str, float | None]:
    """Time per copy at 2 and 4 copies relative to 1 copy, and the slope from 2 to 4 copies over
    the slope from 1 to 2 (about 1 when time is linear, whatever the fixed start-up cost)."""
    return {
        "per_copy_x2": round(t2 / (2 * t1), 3) if t1 else None,
        "per_copy_x4": round(t4 / (4 * t1), 3) if t1 else None,
        "slope_ratio": round(((t4 - t2) / 2) / (t2 - t1), 3) if t2 > t1 else None,
    }


def summarise(data: dict[str, Any]) -> dict[str, Any]:
    """Per-measurement statistics, the ratios and a verdict per target."""
    measurements = data["measurements"]
    lines = data["corpus"]["lines"]
    unit = data["corpus"]["scaling_subset_lines"]
    stats = {}
    for key, entry in measurements.items():
        if "runs" in entry:
            if key.startswith("f"):
                counted = unit * int(key[1:])
            elif key.startswith("s"):
                counted = data["corpus"].get("small_lines", 0)
            else:
                counted = 0 if key.startswith("v") else lines
            stats[key] = _stats(entry, counted)
    ratios: dict[str, Any] = {}
    for name, top, bottom in (
        ("b_over_a", "b", "a"),
        ("c_over_d", "c", "d"),
        ("s_over_sr", "s", "sr"),
        ("v_over_vr", "v", "vr"),
    ):
        ratios[name] = {
            "min": _ratio(stats, top, bottom, "min_s"),
            "median": _ratio(stats, top, bottom, "median_s"),
            "cpu": _ratio(stats, top, bottom, "cpu_median_s"),
        }
    dense = measurements.get("e", {})
    ratios["e_dense"] = {"min": dense.get("ratio_min"), "median": dense.get("ratio_median")}
    rss = [stats[k]["max_rss_mib"] for k in stats if k[0] in "bcf"]
    if "process" in dense:
        rss.append(round(dense["process"]["max_rss_mib"]))
    ratios["peak_rss_mib"] = max(rss) if rss else None
    if all(k in stats for k in ("f1", "f2", "f4")):
        # CPU-seconds scale with the work whatever else the machine runs; wall time does not
        ratios["linearity"] = {
            f: _linearity(*(stats[k][f] for k in ("f1", "f2", "f4")))
            for f in ("cpu_median_s", "min_s")
        }

    valid = {k: v["valid"] for k, v in stats.items()}
    if "codemod" in dense:
        valid["e"] = dense.get("valid", False)

    def verdict(value: float | None, limit: float, *keys: str) -> str:
        if any(not valid.get(k, True) for k in keys):
            return "INVALID (a run failed)"
        return "n/a" if value is None else ("met" if value <= limit else "NOT met")

    linear = ratios.get("linearity", {}).get("cpu_median_s", {}).get("slope_ratio")
    targets = {
        "b_over_a": {"target": "<= 0.5 (aim <= 0.25)", "verdict": verdict(ratios["b_over_a"]["median"], 0.5, "a", "b"),
                     "aim": verdict(ratios["b_over_a"]["median"], 0.25, "a", "b")},
        "c_over_d": {"target": "<= 3", "verdict": verdict(ratios["c_over_d"]["median"], 3.0, "c0", "c", "d")},
        "e_dense": {"target": "<= 2", "verdict": verdict(ratios["e_dense"]["median"], 2.0, "e")},
        "peak_rss_mib": {"target": "< 1024 MiB per process",
                         "verdict": verdict(ratios["peak_rss_mib"], GIB_MIB - 1, *[k for k in valid if k[0] in "bcef"])},
        "linearity": {"target": "~1 (<= 1.25), on CPU", "verdict": verdict(linear, 1.25, "f1", "f2", "f4")},
        "s_over_sr": {"target": "<= 3 (as (c) / (d))", "verdict": verdict(ratios["s_over_sr"]["median"], 3.0, "s0", "s", "sr")},
        "v_over_vr": {"target": f"codemod --version <= {VERSION_AIM_S} s (median)",
                      "verdict": verdict(stats.get("v", {}).get("median_s"), VERSION_AIM_S, "v", "vr")},
    }  # fmt: skip
    return {"stats": stats, "ratios": ratios, "targets": targets}


def _fmt(value: float | None, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def render(data: dict[str, Any]) -> str:
    """The run as Markdown: a header, the table of measurements, and the ratios against targets."""
    corpus, tools, machine = data["corpus"], data["tools"], data["machine"]
    out = [
        f"Run {data['started']} to {data['finished']}{' (QUICK: fastapi + starlette; scaling on starlette)' if data['quick'] else ''}: "
        f"{corpus['files']:,} files, {corpus['lines']:,} lines; {data['reps']} runs each, jobs {data['jobs']}.",
        f"Machine: {machine['cores']} cores ({machine['cpu']}), {machine['mem_total_gib']} GiB, Python "
        f"{machine['python']}; load average at start {data['loadavg_start']}, at end {data['loadavg_end']}.",
        f"Tools: {tools['codemod']} at {tools['codemod_commit'] or '?'}"
        f"{' + uncommitted changes' if tools['codemod_uncommitted_changes'] else ''} "
        f"(default codemods: {', '.join(tools['default_codemods']) or 'none'}), libcst {tools['libcst']}, {tools['ruff']}.",
        *([f"Extra codemod arguments for (b), (c), (e), (f): `{data['codemod_args']}`."] if data.get("codemod_args") else []),
        "",
        "| # | measurement | runs | wall s (min / med) | CPU s (med) | foreign CPU s (med) "
        "| peak RSS / process MiB | tree PSS MiB | lines/s (min) | exit | outcome |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---|---|",
    ]  # fmt: skip
    stats, measurements = data["stats"], data["measurements"]
    for key in ORDER:
        if key not in stats:
            continue
        s, m = stats[key], measurements[key]
        title = (
            m["title"]
            if not key.startswith("f")
            else f"codemod check, no cache, {key[1:]}x the scaling subset"
        )
        out.append(
            f"| {key} | {title} | {len(m['runs'])} | {s['min_s']:.2f} / {s['median_s']:.2f} | {s['cpu_median_s']} "
            f"| {s['foreign_cpu_median_s']} | {s['max_rss_mib']} | {s['tree_pss_mib']} "
            f"| {_fmt(s['lines_per_s'], ',')} | {','.join(map(str, s['exit_codes']))} | {m.get('summary', '')} |"
        )
    dense = measurements.get("e", {})
    if "codemod" in dense:
        rss = round(dense["process"]["max_rss_mib"])
        for key, part in (("e0", "parse_print"), ("e", "codemod")):
            t = dense[part]
            out.append(f"| {key} | {data['measurements']['e']['title'] if key == 'e' else 'dense file: libcst parse + print (in-process)'} "
                       f"| {len(t['runs_s'])} | {t['min_s']:.3f} / {t['median_s']:.3f} | | | {rss} | "
                       f"| {round(dense['lines'] / t['min_s']):,} | {dense['codemod_exit'] if key == 'e' else ''} "
                       f"| {dense['summary'] if key == 'e' else str(dense['lines']) + ' lines'} |")  # fmt: skip
    elif "error" in dense:
        last = [x for x in dense["error"].splitlines() if x.strip()][-1:] or ["?"]
        out.append(f"| e | {dense['title']} | | | | | | | | | FAILED: {last[0]} |")
    if not data["cache_supported"]:
        out.append(
            "| c | codemod check, warm cache | | | | | | | | | not available yet (no `--no-cache`) |"
        )

    ratios, targets = data["ratios"], data["targets"]
    lin = ratios.get("linearity", {})
    wall_lin, cpu_lin = lin.get("min_s", {}), lin.get("cpu_median_s", {})
    rows = [
        ("(b) / (a): codemod vs the libcst.tool no-op", ratios["b_over_a"], "b_over_a"),
        ("(c) / (d): warm cache vs ruff", ratios["c_over_d"], "c_over_d"),
        ("(e): dense file vs its parse + print", ratios["e_dense"], "e_dense"),
        ("(f): slope 2->4 copies / slope 1->2 copies", {"min": wall_lin.get("slope_ratio"),
                                                        "cpu": cpu_lin.get("slope_ratio")}, "linearity"),
        ("(s) / (sr): small project, warm cache vs ruff's", ratios["s_over_sr"], "s_over_sr"),
        ("(v) / (vr): codemod --version vs ruff --version", ratios["v_over_vr"], "v_over_vr"),
    ]  # fmt: skip
    out += [
        "",
        "| ratio | wall (min) | wall (median) | CPU (median) | target | verdict |",
        "|---|---:|---:|---:|---|---|",
    ]
    for label, value, key in rows:
        t = targets[key]
        aim = f"; aim {t['aim']}" if "aim" in t else ""
        out.append(
            f"| {label} | {_fmt(value.get('min'))} | {_fmt(value.get('median'))} | {_fmt(value.get('cpu'))} "
            f"| {t['target']} | {t['verdict']}{aim} |"
        )
    t = targets["peak_rss_mib"]
    out.append(
        f"| peak RSS of one process in (b), (c), (e), (f) | {_fmt(ratios['peak_rss_mib'], 'd')} MiB | | "
        f"| {t['target']} | {t['verdict']} |"
    )
    if cpu_lin:
        out.append(
            f"\n(f) time per copy relative to 1 copy: CPU x2 {_fmt(cpu_lin.get('per_copy_x2'))}, "
            f"x4 {_fmt(cpu_lin.get('per_copy_x4'))}; wall x2 {_fmt(wall_lin.get('per_copy_x2'))}, "
            f"x4 {_fmt(wall_lin.get('per_copy_x4'))}. Verdicts use the wall median, except (f), which uses CPU."
        )
    return "\n".join(out)
