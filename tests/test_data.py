"""Validation, splits, scaling and lazy windows (tsforecast.data)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsforecast.data import (
    SeriesScaler,
    WindowDataset,
    calendar_features,
    count_windows,
    future_index,
    infer_freq,
    make_loader,
    segment_bounds,
    split_borders,
    to_series,
)


def hourly(n=50, cols=("y", "c"), start="2024-01-01"):
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        rng.normal(size=(n, len(cols))), columns=list(cols),
        index=pd.date_range(start, periods=n, freq="h", name="date"),
    )


# -- windows: property tests --------------------------------------------------------------
geometry = st.tuples(
    st.integers(1, 12), st.integers(1, 6), st.integers(1, 5),  # lookback, horizon, stride
    st.lists(st.integers(1, 60), min_size=1, max_size=3),  # series lengths
)


@settings(max_examples=60, deadline=None)
@given(geometry)
def test_every_window_is_the_slice_it_claims(g):
    L, H, stride, lengths = g
    arrays = [
        (np.arange(n * 2, dtype=np.float32).reshape(n, 2) + 1000 * i) for i, n in enumerate(lengths)
    ]
    ds = WindowDataset(arrays, L, H, n_targets=1, stride=stride)
    expected = sum(count_windows(0, n, L, H, stride) for n in lengths)
    assert len(ds) == expected
    if expected == 0:
        return
    batch = ds.__getitems__(np.arange(len(ds)))
    for i in range(len(ds)):
        s, t = int(batch["series"][i]), int(batch["origin"][i])
        a = arrays[s]
        # inputs are exactly [t - L, t) and targets [t, t + H) of the same series
        assert t - L >= 0 and t + H <= len(a)
        np.testing.assert_array_equal(batch["x"][i].numpy(), a[t - L : t])
        np.testing.assert_array_equal(batch["y"][i].numpy(), a[t : t + H, :1])
    # the most recent window of every long-enough series is present (no dropped tail)
    for s, n in enumerate(lengths):
        origins = batch["origin"][batch["series"] == s].numpy()
        if n >= L + H:
            assert origins.max() == n - H
            assert np.all(np.diff(origins) == stride)


@settings(max_examples=60, deadline=None)
@given(st.integers(20, 200), st.integers(1, 10), st.integers(1, 6), st.integers(1, 4))
def test_no_target_step_shared_between_segments(n, L, H, stride):
    borders = split_borders(pd.RangeIndex(n), (0.6, 0.2, 0.2))
    seen = {}
    for seg in ("train", "val", "test"):
        bounds = [segment_bounds(n, borders, seg)]
        ds = WindowDataset([np.zeros((n, 1), np.float32)], L, H, n_targets=1, stride=stride,
                           bounds=bounds)
        _, origins = ds.locate(np.arange(len(ds)))
        start, end = bounds[0]
        for t in origins:
            steps = set(range(t, t + H))
            assert all(start <= k < end for k in steps)
            for other, used in seen.items():
                assert not steps & used, f"{seg} shares target steps with {other}"
        seen[seg] = {k for t in origins for k in range(t, t + H)}


def test_window_dataset_holds_arrays_by_reference_and_scales_lazily():
    arr = np.arange(40, dtype=np.float32).reshape(20, 2)
    ds = WindowDataset([arr], 4, 2, n_targets=1, loc=[np.array([1.0, 2.0])],
                       scale=[np.array([2.0, 4.0])])
    assert ds.arrays[0] is arr
    w = ds[0]
    np.testing.assert_allclose(w["x"].numpy(), (arr[0:4] - [1, 2]) / [2, 4])
    np.testing.assert_allclose(w["y"].numpy(), (arr[4:6, :1] - 1) / 2)
    np.testing.assert_array_equal(arr[0], [0, 1])  # the source is untouched


def test_known_future_columns_go_to_x_future():
    arr = np.arange(30, dtype=np.float32).reshape(10, 3)
    ds = WindowDataset([arr], 3, 2, n_targets=1, n_future=1)
    w = ds[0]
    assert w["x"].shape == (3, 3) and w["x_future"].shape == (2, 1)
    np.testing.assert_array_equal(w["x_future"].numpy()[:, 0], arr[3:5, 2])


def test_loader_never_drops_the_last_batch():
    ds = WindowDataset([np.zeros((107, 1), np.float32)], 5, 2, n_targets=1)
    loader = make_loader(ds, batch_size=16)
    sizes = [b["x"].shape[0] for b in loader]
    assert sum(sizes) == len(ds) == 101 and sizes[-1] == 101 % 16


def test_series_sampling_weighs_every_series_the_same():
    """sampling="series": a series is drawn uniformly, then one of its windows, so a
    series of 1,000 windows and one of 10 are drawn about equally often; an epoch is
    len(dataset) draws and a series without windows is never drawn."""
    from tsforecast.data.windows import SeriesSampler

    arrays = [np.zeros((n, 1), np.float32) for n in (1006, 3, 16)]  # 1000, 0, 10 windows
    ds = WindowDataset(arrays, 5, 2, n_targets=1)
    assert list(ds.counts) == [1000, 0, 10]
    idx = np.array(list(SeriesSampler(ds.counts, seed=0)))
    assert len(idx) == len(ds) == 1010 and 0 <= idx.min() and idx.max() < len(ds)
    share = np.bincount(np.searchsorted([1000, 1010], idx, side="right"), minlength=2) / len(idx)
    assert abs(share[0] - 0.5) < 0.06 and abs(share[1] - 0.5) < 0.06
    assert np.array_equal(idx, np.array(list(SeriesSampler(ds.counts, seed=0))))  # seeded
    loader = make_loader(ds, batch_size=64, shuffle=True, seed=0, sampling="series")
    assert sum(b["x"].shape[0] for b in loader) == len(ds)


@pytest.mark.parametrize("n", [10, 11, 70_001])
def test_data_parallel_shares_are_disjoint_equal_and_cover_every_window(n):
    """Under DDP each process's loader holds its share: the shuffled orders are one order
    dealt out (same seed), equal in length (wrapped round to fill the last round, so every
    process takes the same steps); validation is dealt out in order, without padding."""
    from tsforecast.data.windows import SeriesSampler, ShardSampler, ShuffleSampler

    a, b = (list(ShuffleSampler(n, 3, rank, 2)) for rank in (0, 1))
    assert len(a) == len(b) == -(-n // 2) and set(a) | set(b) == set(range(n))
    assert len(a) + len(b) - n == len(set(a) & set(b))  # only the wrap-round repeats
    counts = np.array([5, 0, n, 30])
    shares = [list(SeriesSampler(counts, 1, rank, 3)) for rank in range(3)]
    dealt = np.stack(shares, axis=1).ravel()  # [draws]: process d % 3 got draw d
    assert len({len(s) for s in shares}) == 1 and len(dealt) >= counts.sum()
    if n > 65536:  # a whole first chunk of draws, dealt out
        assert np.array_equal(dealt[:65536], list(SeriesSampler(counts, 1))[:65536])
    val = [list(ShardSampler(n, rank, 2)) for rank in (0, 1)]
    assert sorted(val[0] + val[1]) == list(range(n))


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, None])
def test_window_sizes_must_be_positive_integers(bad):
    with pytest.raises(ValueError, match="lookback"):
        WindowDataset([np.zeros((10, 1), np.float32)], bad, 2, n_targets=1)
    with pytest.raises(ValueError, match="stride"):
        WindowDataset([np.zeros((10, 1), np.float32)], 2, 2, n_targets=1, stride=bad)


# -- splits and scaling ----------------------------------------------------------------------
def test_split_by_fractions_matches_the_papers_arithmetic():
    assert split_borders(pd.RangeIndex(17420), (0.7, 0.1, 0.2)) == (12194, 17420 - 3484)


def test_split_by_timestamps():
    idx = pd.date_range("2024-01-01", periods=10, freq="D")
    assert split_borders(idx, ("2024-01-06", "2024-01-09")) == (5, 8)
    with pytest.raises(ValueError, match="before"):
        split_borders(idx, ("2024-01-09", "2024-01-06"))
    with pytest.raises(ValueError, match="sum to 1"):
        split_borders(idx, (0.5, 0.1, 0.1))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**31 - 1), st.sampled_from(["standard", "robust", "maxabs"]))
def test_scaler_ignores_validation_and_test_rows(seed, method):
    rng = np.random.default_rng(seed)
    arr = rng.normal(size=(100, 3)).astype(np.float32)
    changed = arr.copy()
    changed[70:] = rng.normal(loc=50, scale=9, size=(30, 3))  # new val/test data
    a = SeriesScaler(method).fit(["s"], [arr], [70])
    b = SeriesScaler(method).fit(["s"], [changed], [70])
    np.testing.assert_array_equal(a.loc_["s"], b.loc_["s"])
    np.testing.assert_array_equal(a.scale_["s"], b.scale_["s"])


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1), st.sampled_from(["standard", "robust", "maxabs", "none"]))
def test_scaler_fits_many_series_as_it_fits_each_alone(seed, method):
    # series of equal training length are fitted side by side in one call: each series
    # must get exactly the statistics it gets fitted alone (lengths, widths, NaN, constants)
    rng = np.random.default_rng(seed)
    ids, arrays, ends = [], [], []
    for k in range(40):
        n, width = int(rng.choice([12, 30, int(rng.integers(3, 60))])), int(rng.choice([1, 2]))
        arr = (rng.normal(size=(n, width)) * rng.lognormal(2, 2) + rng.normal() * 1e3
               ).astype(np.float32)
        if k % 4 == 0:
            arr[rng.integers(0, n, 2)] = np.nan
        if k % 5 == 0:
            arr[:, 0] = 7.0
        ids.append(f"s{k}")
        arrays.append(arr)
        ends.append(int(rng.integers(1, n + 1)))
    together = SeriesScaler(method).fit(ids, arrays, ends)
    for sid, arr, end in zip(ids, arrays, ends, strict=True):
        alone = SeriesScaler(method).fit([sid], [arr], [end])
        assert together.loc_[sid].shape == (arr.shape[1],)
        np.testing.assert_array_equal(together.loc_[sid], alone.loc_[sid])
        np.testing.assert_array_equal(together.scale_[sid], alone.scale_[sid])
    with pytest.raises(ValueError, match="series 's1': no training rows"):
        SeriesScaler(method).fit(ids[:2], arrays[:2], [3, 0])


def test_scaler_roundtrip_and_constant_column():
    arr = np.column_stack([np.arange(10.0), np.full(10, 3.0)]).astype(np.float32)
    sc = SeriesScaler("standard").fit(["s"], [arr], [10])
    z = sc.transform(arr, "s")
    np.testing.assert_allclose(z[:, 0].mean(), 0, atol=1e-6)
    np.testing.assert_allclose(z[:, 1], 0)  # constant column: scale 1, no division by 0
    np.testing.assert_allclose(sc.inverse_transform(z, "s"), arr, rtol=1e-6)
    again = SeriesScaler.from_dict(sc.to_dict())
    np.testing.assert_array_equal(again.transform(arr, "s"), z)
    with pytest.raises(ValueError, match="scaler must be one of"):
        SeriesScaler("minmax")


def test_maxabs_scaler_divides_by_the_largest_training_magnitude():
    arr = np.array([[2.0, -8.0, 0.0], [4.0, 1.0, 0.0], [100.0, 100.0, 5.0]], np.float32)
    sc = SeriesScaler("maxabs").fit(["s"], [arr], [2])  # the last row is not training data
    np.testing.assert_array_equal(sc.loc_["s"], [0, 0, 0])
    np.testing.assert_array_equal(sc.scale_["s"], [4, 8, 1])  # an all-zero column: scale 1
    np.testing.assert_allclose(sc.transform(arr[:2], "s"), [[0.5, -1, 0], [1, 0.125, 0]])
    np.testing.assert_allclose(sc.inverse_transform(sc.transform(arr, "s"), "s"), arr)


# -- input formats and validation ---------------------------------------------------------------
def test_three_input_formats_agree():
    a, b = hourly(30), hourly(20, start="2025-01-01")
    long = pd.concat([a.assign(id="a"), b.assign(id="b")])
    _, from_dict = to_series({"a": a, "b": b}, "y", "c")
    _, from_long = to_series(long, "y", "c", id_col="id")
    for s1, s2 in zip(from_dict, from_long, strict=True):
        assert s1.id == s2.id
        np.testing.assert_array_equal(s1.values, s2.values)
        assert s1.index.equals(s2.index)
    layout, single = to_series(a, ["y", "c"])
    assert layout.target == ("y", "c") and single[0].values.dtype == np.float32


def test_time_column_and_inferred_target():
    df = hourly(10).reset_index()
    layout, series = to_series(df, time_col="date")
    assert layout.target == ("y", "c")
    assert isinstance(series[0].index, pd.DatetimeIndex)


def test_input_is_not_modified():
    df = hourly(30)
    df.iloc[3, 0] = np.nan
    before = df.copy()
    to_series(df, "y", fill_missing="interpolate")
    pd.testing.assert_frame_equal(df, before)


@pytest.mark.parametrize(
    "mutate, kwargs, exc, match",
    [
        (lambda d: d.iloc[:0], {}, ValueError, "empty"),
        (lambda d: d.iloc[::-1], {}, ValueError, "not sorted: row 1"),
        (lambda d: pd.concat([d.iloc[:5], d.iloc[4:]]), {}, ValueError, "duplicate timestamp"),
        (lambda d: d.assign(y=d["y"].where(d.index != d.index[7])), {}, ValueError,
         "'y' has NaN at row 7"),
        (lambda d: d.assign(y=d["y"].replace(d["y"].iloc[2], np.inf)), {"fill_missing": "ffill"},
         ValueError, "infinite at row 2"),
        (lambda d: d.assign(y="x"), {}, TypeError, "target column 'y' is not numeric"),
        (lambda d: d.drop(columns="c"), {"past_covariates": "c"}, ValueError,
         r"past covariate column\(s\) \['c'\] not found"),
        (lambda d: d, {"future_covariates": "zz"}, ValueError, "future covariate column"),
        (lambda d: d, {"fill_missing": "mean"}, ValueError, "fill_missing must be one of"),
    ],
)
def test_bad_input_names_the_problem(mutate, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        to_series(mutate(hourly(20)), "y", **kwargs)


def test_fill_policies():
    df = hourly(10)
    df.iloc[[0, 4], 0] = np.nan
    _, ff = to_series(df, "y", fill_missing="ffill")
    assert ff[0].values[4, 0] == np.float32(df.iloc[3, 0])
    assert ff[0].values[0, 0] == np.float32(df.iloc[1, 0])  # leading NaN back-filled
    _, lin = to_series(df, "y", fill_missing="interpolate")
    np.testing.assert_allclose(lin[0].values[4, 0], (df.iloc[3, 0] + df.iloc[5, 0]) / 2, rtol=1e-6)
    with pytest.raises(ValueError, match="no observed value"):
        to_series(df.assign(y=np.nan), "y", fill_missing="ffill")


def test_non_frame_input_is_a_type_error():
    with pytest.raises(TypeError, match="DataFrame"):
        to_series(np.zeros((5, 2)), "y")
    with pytest.raises(ValueError, match="id column 'ticker' not found"):
        to_series(hourly(5), "y", id_col="ticker")


# -- time index ----------------------------------------------------------------------------------
def test_trading_days_are_business_days_and_future_skips_weekends():
    days = pd.bdate_range("2024-01-01", periods=30).delete([5, 12])  # holidays removed
    assert infer_freq(days) == "B"
    fut = future_index(days, 3)
    assert fut[0] > days[-1] and (fut.day_of_week < 5).all() and len(fut) == 3


def test_uninferable_frequency_says_so():
    idx = pd.DatetimeIndex(["2024-01-01", "2024-01-02", "2024-01-05", "2024-01-11", "2024-01-30"])
    with pytest.raises(ValueError, match="pass freq="):
        infer_freq(idx)


def test_positional_index_continues_by_position():
    assert future_index(pd.RangeIndex(10), 2).tolist() == [10, 11]


def test_calendar_features_are_bounded_and_known_future():
    cal = calendar_features(pd.date_range("2024-01-01", periods=48, freq="h"))
    assert cal.abs().max().max() <= 1.0 + 1e-6
    assert "cal_hour_sin" in cal and cal["cal_hour_sin"].iloc[0] == cal["cal_hour_sin"].iloc[24]
    layout, series = to_series(hourly(30), "y", calendar=True)
    assert layout.calendar and layout.n_future == len(layout.calendar)
    assert series[0].values.shape == (30, 1 + len(layout.calendar))  # "c" is no covariate here


# -- long frames: the grouped fast path agrees with one series at a time -------------------
def _series_one_at_a_time(*args, **kwargs):
    from unittest import mock

    from tsforecast.data import frames

    with mock.patch.object(frames, "_split_long", lambda *a: None):
        return to_series(*args, **kwargs)


def _outcome(fn, *args, **kwargs):
    try:
        layout, series = fn(*args, **kwargs)
    except (ValueError, TypeError) as exc:
        return type(exc), str(exc)
    return layout, [(s.id, list(s.index), s.index.name, s.values.tolist(),
                     None if s.missing is None else s.missing.tolist()) for s in series]


@settings(max_examples=80, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 12), min_size=1, max_size=4),
    int_ids=st.booleans(), time_col=st.booleans(), fill=st.sampled_from([None, "ffill",
                                                                        "interpolate"]),
    nan_rows=st.lists(st.integers(0, 40), max_size=3), dup=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_long_frame_fast_path_matches_per_series_path(lengths, int_ids, time_col, fill,
                                                      nan_rows, dup, seed):
    """Rows of several series interleaved in any order, some missing values, sometimes a
    repeated timestamp: same series, values, masks and errors as the per-series path."""
    rng = np.random.default_rng(seed)
    ids = np.concatenate([np.full(n, k) for k, n in enumerate(lengths)])
    steps = np.concatenate([np.arange(n) for n in lengths])
    if dup and len(steps) > 1 and lengths[0] > 1:
        steps[1] = steps[0]  # a duplicate timestamp in the first series
    df = pd.DataFrame({
        "sid": ids if int_ids else np.array([f"s{k}" for k in ids], dtype=object),
        "ds": pd.Timestamp("2024-01-01") + pd.to_timedelta(steps, unit="D"),
        "y": rng.normal(size=len(ids)), "x": rng.normal(size=len(ids)),
    })
    for r in nan_rows:
        if r < len(df):
            df.loc[r, "y"] = np.nan
    df = df.iloc[rng.permutation(len(df))]
    data, kw = (df, {"time_col": "ds"}) if time_col else (df.set_index("ds"), {})
    kw.update(id_col="sid", past_covariates="x", fill_missing=fill)
    assert _outcome(to_series, data, "y", **kw) == _outcome(_series_one_at_a_time, data, "y",
                                                             **kw)


def test_long_frame_errors_name_the_series_and_row():
    df = pd.DataFrame({"sid": ["a", "b", "a", "b"], "y": [1.0, 2.0, np.nan, 3.0]},
                      index=pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-02",
                                            "2024-01-01"]))
    with pytest.raises(ValueError, match=r"series 'b': duplicate timestamp 2024-01-01"):
        to_series(df, "y", id_col="sid", fill_missing="ffill")
    df.index = pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-02", "2024-01-02"])
    with pytest.raises(ValueError, match=r"series 'a': column 'y' has NaN at row 1"):
        to_series(df, "y", id_col="sid")
    df["y"] = ["1", "2", "3", "4"]
    with pytest.raises(TypeError, match=r"series 'a': target column 'y' is not numeric"):
        to_series(df, "y", id_col="sid")
    df["sid"] = [1, 2, 1, 2]  # numeric ids are still no value column
    with pytest.raises(ValueError, match=r"series '1': target column\(s\) \['sid'\] not found"):
        to_series(df, "sid", id_col="sid")


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1), st.booleans(), st.booleans())
def test_windows_of_a_shared_block_equal_those_of_separate_arrays(seed, padded, scaled):
    # series that are row ranges of one array (as DataSpec.to_series gives a panel) are
    # gathered from it in one index per batch: every batch equals the per-series path's
    from tsforecast.data.windows import _shared_block

    rng = np.random.default_rng(seed)
    lengths = rng.integers(8, 40, size=int(rng.integers(2, 30)))
    block = rng.normal(size=(int(lengths.sum()), 3)).astype(np.float32) * 50
    cuts = np.concatenate([[0], np.cumsum(lengths)])
    views = [block[a:b] for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    copies = [v.copy() for v in views]
    kw = dict(lookback=6, horizon=2, n_targets=2, n_future=1, min_context=3 if padded else 6,
              bounds=[(0, int(n) - int(rng.integers(0, 3))) for n in lengths])
    if scaled:
        kw["loc"] = [rng.normal(size=3).astype(np.float32) for _ in lengths]
        kw["scale"] = [rng.uniform(0.5, 3, size=3).astype(np.float32) for _ in lengths]
    shared, separate = WindowDataset(views, **kw), WindowDataset(copies, **kw)
    assert shared._block is not None and separate._block is None
    np.testing.assert_array_equal(shared._block[1], cuts[:-1])
    idx = rng.permutation(len(shared))[:64]
    a, b = shared.__getitems__(idx), separate.__getitems__(idx)
    assert a.keys() == b.keys() and ("mask" in a) == padded
    for k in a:
        np.testing.assert_array_equal(a[k].numpy(), b[k].numpy(), err_msg=k)
    assert _shared_block([views[0], copies[1]]) is None  # not one block: no shortcut
    assert _shared_block([block[::2]]) is None and _shared_block(views[:1]) is None
