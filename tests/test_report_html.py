"""report.html: written by every run, rebuilt by ``tsforecast report DIR``, self-contained
(no network address), and working in a real headless browser (Chromium via Playwright):
no console errors, the table sorts, the series chooser changes the chart, the chart is
drawn. The leaderboard's flags (kept the random-walk start, fell back) come from the
fitted models."""

from __future__ import annotations

import io
import json
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from tsforecast.benchmark import run_benchmark
from tsforecast.benchmark.html import build_html
from tsforecast.benchmark.report import format_leaderboard
from tsforecast.cli import main
from tsforecast.forecasters import registry
from tsforecast.forecasters.naive import NaiveForecaster

pytest.importorskip("plotly", reason="report.html needs plotly (the report extra)")

FELL_BACK = "AAPL"


class KeptToyForecaster(NaiveForecaster):
    """Naive, reporting what a net that kept its random-walk start reports, and one
    statistical fallback."""

    def _fit(self, layout, series):
        super()._fit(layout, series)
        self.kept_initial_ = True
        self.fallbacks_ = {s.id: "test" for s in series if s.id == FELL_BACK}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    registry.register("kept_toy")(KeptToyForecaster)
    out = tmp_path_factory.mktemp("html") / "out"
    try:
        yield run_benchmark({"suite": "stocks", "quick": True, "progress": False,
                             "models": "seasonal_naive,mean,kept_toy", "level": [80],
                             "output": str(out)})
    finally:
        registry.unregister("kept_toy")


def _row(lb: pd.DataFrame, model: str) -> pd.Series:
    return lb[lb["model"] == model].iloc[0]


# -- the flags -------------------------------------------------------------------------------
def test_leaderboard_flags_come_from_the_fitted_models(run):
    lb = run.leaderboard
    kept = _row(lb, "kept_toy")
    assert kept["kept_initial"] == 1 and kept["n_fallbacks"] == 1
    assert np.isnan(_row(lb, "naive")["kept_initial"])  # no net: no random-walk start
    text = format_leaderboard(lb)
    assert "kept_rw" in text and "fallbacks" in text
    report = (run.output_dir / "report.md").read_text()
    assert "kept_toy kept its random-walk start" in report
    assert "kept_toy: 1 of 4 series got a simpler model" in report


@pytest.mark.slow
def test_resume_reads_the_flags_back_and_tolerates_records_without_them(run, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(run.output_dir, out)
    cfg = json.loads((out / "config.json").read_text())
    again = run_benchmark({**cfg, "output": str(out), "resume": True})
    assert _row(again.leaderboard, "kept_toy")["kept_initial"] == 1
    record = out / "runs" / "stocks__kept_toy.json"
    old = json.loads(record.read_text())
    del old["kept_initial"]  # a record saved before the flag existed
    record.write_text(json.dumps(old))
    older = run_benchmark({**cfg, "output": str(out), "resume": True})
    assert np.isnan(_row(older.leaderboard, "kept_toy")["kept_initial"])
    assert _row(older.leaderboard, "kept_toy")["n_fallbacks"] == 1  # from its fallbacks


# -- the file --------------------------------------------------------------------------------
def test_every_run_writes_a_self_contained_report_html(run):
    from plotly.offline import get_plotlyjs

    page = (run.output_dir / "report.html").read_text(encoding="utf-8")
    network = re.findall(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?"
                         r"(?:https?:)?//", page, flags=re.IGNORECASE)
    assert network == []
    assert page.count(get_plotlyjs()[:300]) == 1  # plotly.js inlined, once
    assert 'id="lb-0"' in page and 'id="series-0"' in page and 'id="dots-0"' in page
    assert "kept RW start" in page and "fell back: 1 series" in page
    for model in ("naive", "seasonal_naive", "mean", "kept_toy", "drift"):
        assert f">{model}<" in page
    assert "`report.html`" in (run.output_dir / "report.md").read_text()


def test_tsforecast_report_rebuilds_it_from_the_folder(run, tmp_path, capsys):
    out = tmp_path / "copy"
    shutil.copytree(run.output_dir, out)
    written = (out / "report.html").read_text(encoding="utf-8")
    (out / "report.html").unlink()
    assert main(["report", str(out)]) == 0
    assert (out / "report.html").read_text(encoding="utf-8") == written  # one source: files
    assert str(out / "report.html") in capsys.readouterr().out
    assert main(["report", str(tmp_path / "nothing")]) == 2
    assert "holds no benchmark run" in capsys.readouterr().err


def test_the_page_shows_spread_over_seeds_and_failures_from_the_leaderboard_file(run, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(run.output_dir, out)
    meta = json.loads((out / "leaderboard.json").read_text())
    rows = {r["model"]: r for r in meta["rows"]}
    mase, sd = rows["seasonal_naive"]["mase"], rows["seasonal_naive"]["mase"] / 10
    rows["seasonal_naive"].update(mase_sd=sd, n_seeds=3)
    rows["mean"].update(error="fit: ValueError: boom", mase=None, rank=None)
    (out / "leaderboard.json").write_text(json.dumps(meta))
    page = build_html(out)
    assert f"{mase:.4f} ± {sd:.4f}" in page
    assert 'title="fit: ValueError: boom">failed</span>' in page


def test_a_run_without_saved_forecasts_says_so(run, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(run.output_dir, out)
    for name in ("forecasts.parquet", "forecasts.csv"):
        (out / name).unlink(missing_ok=True)
    assert "the run saved none" in build_html(out)


# -- in a real browser ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the browser tests need playwright (pip install playwright)")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("the browser tests need Chromium (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def page(browser, run):
    """The page, loaded once (4 MB of plotly.js); its console errors are checked at the end."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((run.output_dir / "report.html").as_uri())
    page.wait_for_selector("#forecast-0 .main-svg")
    page.wait_for_selector("#dots-0 .main-svg")
    yield page
    assert errors == []  # no console errors, from loading to the last click
    page.close()


def _models(page) -> list[str]:
    return page.eval_on_selector_all("#lb-0 tbody tr", "rows => rows.map(r => r.cells[1].textContent)")


@pytest.mark.slow
def test_the_table_sorts_on_a_click(page, run):
    lb = run.leaderboard
    ranked = list(lb.sort_values("rank")["model"])
    page.locator("#lb-0 th", has_text=re.compile(r"^rank$")).click()
    assert _models(page) == ranked
    header = page.locator("#lb-0 th", has_text=re.compile(r"^mase$"))
    header.click()
    assert _models(page)[0] == lb.loc[lb["mase"].idxmin(), "model"]
    header.click()
    assert _models(page)[0] == lb.loc[lb["mase"].idxmax(), "model"] == "mean"
    page.locator("#lb-0 th", has_text=re.compile(r"^model$")).click()
    assert _models(page) == sorted(ranked)


@pytest.mark.slow
def test_the_series_chooser_changes_the_chart(page, run):
    f = run.forecasts
    options = page.eval_on_selector_all("#series-0 option", "os => os.map(o => o.value)")
    assert options == list(dict.fromkeys(f["series"]))
    last_actual = "() => { const d = document.getElementById('forecast-0').data[0].y;" \
                  " return d[d.length - 1]; }"
    for sid in (options[1], options[0]):
        page.select_option("#series-0", sid)
        expected = f[f["series"] == sid].sort_values("timestamp")["y"].iloc[-1]
        assert page.evaluate(last_actual) == pytest.approx(expected)
    traces = page.evaluate("() => document.getElementById('forecast-0').data"
                           ".map(t => [t.name, t.visible])")
    assert {"actual", "naive", "kept_toy", "mean"} <= {name for name, _ in traces}
    # mean, off the leaderboard's scale, starts hidden (a click on the legend shows it)
    assert {v for name, v in traces if name == "mean"} == {"legendonly"}
    assert {v for name, v in traces if name == "naive"} == {True}
    fills = page.evaluate("() => document.getElementById('forecast-0').data"
                          ".filter(t => t.fill === 'toself').length")
    assert fills > 0  # the 80% intervals are drawn


@pytest.mark.slow
def test_screenshot_of_the_forecast_chart_is_drawn(page):
    import matplotlib.image as mpimg

    pixels = mpimg.imread(io.BytesIO(page.locator("#forecast-0").screenshot()), format="png")
    rgb = pixels[..., :3]
    inked = (rgb < 0.85).any(axis=-1).mean()  # share of pixels that are not (near) white
    assert inked > 0.02 and rgb.std() > 0.05
    dots = mpimg.imread(io.BytesIO(page.locator("#dots-0").screenshot()), format="png")
    assert (dots[..., :3] < 0.85).any(axis=-1).mean() > 0.01


def test_an_ensemble_run_as_member_pieces_kept_the_start_only_if_every_member_did():
    from tsforecast.benchmark.unit import Piece, _pooled_stats

    def members(*kept):
        return [Piece(member=i, combine="median", fit_seconds=1.0,
                      stats={"kept_initial": float(k)}) for i, k in enumerate(kept)]

    assert _pooled_stats(members(True, True, True))["kept_initial"] == 1
    assert _pooled_stats(members(True, False, True))["kept_initial"] == 0
    assert _pooled_stats([Piece(stats={"kept_initial": 1.0})])["kept_initial"] == 1
