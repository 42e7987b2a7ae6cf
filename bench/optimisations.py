"""Gains of candidate optimisations, each measured against the library as it is, in the same run.

How: variants are applied by monkeypatching inside this process only (the library files are untouched).
The variants being compared run interleaved over --rounds rounds, with the order rotated each round. That way
load from other processes hits all of them alike. Gains are paired: each variant's time over the baseline's in
the same round, then the median over the rounds.
  train    the spec example's training step (per-step median from a callback, batch end to batch end), baseline
           (no `self.log` when no progress bar or logger reads it: the library's default since the Trainee split)
           vs a) `self.log` every step, as before, b) the loss's finiteness read back every 50 steps, as on an
           accelerator, instead of every step (a host sync on a GPU), c) level shift from the level columns only
           (see `lean_transform`), d) 1 thread vs the default.
  predict  bench/panel.py's 10k panel: the library's predict vs the lean level shift. Reports the median time of
           3 calls, the peak RSS during the call (VmHWM reset through /proc/self/clear_refs) and the largest
           forecast difference. (Decoding only the last origin, `Windows.last_only`, was measured here once; the
           windows now carry only that origin's future inputs, so the old path can no longer be patched back in.)
  prep     100k-series frame: the data checks `NeuralForecast.fit` used to make (groupby sortedness,
           `duplicated`, sort of sorted data) vs the vectorised neighbour checks it makes now (same answers), and
           the whole `NeuralForecast._dataset` as it is.
Run: python bench/optimisations.py [train|predict|prep ...] [--rounds 8]
"""
import argparse, statistics, sys, time, warnings, logging
from pathlib import Path
import numpy as np, torch
import lstmcast.common._trainer as tr, lstmcast.common._scalers as sc
from lstmcast import NeuralForecast
from lstmcast.models import LSTM
sys.path.insert(0, str(Path(__file__).parent))
from floor import lstmcast_fit
from panel import panel, CONFIG
TRANSFORM = sc.TemporalNorm.transform


def lean_transform(self, x, mask=None, level_mask=None):
    "As `TemporalNorm.transform` for 'robust', but the level shift is a median over the level columns only."
    if level_mask is None or self.scaler_type != 'robust': return TRANSFORM(self, x, mask, level_mask)
    shift, scale = sc.robust_statistics(x, mask, self.dim, self.eps)
    level = sc._observed(x, level_mask) & sc._observed(x, mask)
    cols = level.any(0).any(-1).nonzero()                            # time is dim 1: first column with a level point
    c0 = int(cols[0]) if len(cols) else 0
    lv = level[:, c0:]
    self.x_shift = torch.where(lv.any(1, keepdim=True), sc.masked_median(x[:, c0:], lv, 1), shift)
    self.x_scale = scale
    return self.scale(x)


def variant(name):
    "Apply variant `name`; return a function that undoes it."
    start, checks, threads = tr.Trainee.on_train_start, tr.Trainee.CHECK_STEPS, torch.get_num_threads()
    if name == 'log every step':
        def log_always(self): start(self); self.log_train = True
        tr.Trainee.on_train_start = log_always
    if name == 'finite check every 50': tr.Trainee.CHECK_STEPS = {'cpu': 50}   # as on an accelerator
    if name == 'lean level shift': sc.TemporalNorm.transform = lean_transform
    if name == '1 thread': torch.set_num_threads(1)
    def undo():
        tr.Trainee.on_train_start, tr.Trainee.CHECK_STEPS, sc.TemporalNorm.transform = start, checks, TRANSFORM
        torch.set_num_threads(threads)
    return undo


def peak_rss_mb(fn):
    "Run `fn`, return (its result, seconds, peak RSS in MB during it)."
    Path('/proc/self/clear_refs').write_text('5')                  # reset VmHWM (Linux >= 4.0)
    t = time.perf_counter(); out = fn(); secs = time.perf_counter() - t
    hwm = [l for l in Path('/proc/self/status').read_text().splitlines() if l.startswith('VmHWM')][0]
    return out, secs, int(hwm.split()[1]) / 1024


def ab(names, measure, rounds):
    "Interleaved, order-rotating rounds of `measure()` under each variant; {name: [results]}."
    res = {n: [] for n in names}
    for r in range(rounds):
        for n in names[r % len(names):] + names[:r % len(names)]:
            undo = variant(n)
            try: res[n].append(measure())
            finally: undo()
    return res


def timed(fn):
    t = time.perf_counter(); out = fn(); return out, time.perf_counter() - t


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('parts', nargs='*', default=['train', 'predict', 'prep'])
    ap.add_argument('--rounds', type=int, default=8)
    a = ap.parse_args()
    warnings.filterwarnings('ignore'); logging.disable(logging.WARNING)
    print(f'torch threads {torch.get_num_threads()} (default)')
    if 'train' in a.parts:
        names = ['baseline', 'log every step', 'finite check every 50', 'lean level shift', '1 thread']
        lstmcast_fit(5)
        ms = ab(names, lambda: statistics.median(lstmcast_fit(120)[1][10:]), a.rounds)
        print(f'training step, spec example ({a.rounds} rounds): median ms/step; gain = median of 1 - variant/baseline')
        for n in names:
            gain = statistics.median(1 - v / b for v, b in zip(ms[n], ms['baseline']))
            print(f'  {n:22} {statistics.median(ms[n]):7.2f} ms  gain {gain * 100:+6.1f}%')
    if 'predict' in a.parts:
        nf = NeuralForecast([LSTM(input_size=24, max_steps=20, **CONFIG)], freq='MS'); nf.fit(panel(10_000))
        nf.predict()                                                # warm-up
        names = ['baseline', 'lean level shift']
        res = ab(names, lambda: peak_rss_mb(nf.predict), min(a.rounds, 3))
        print(f'predict, 10k series x 240 (median of {min(a.rounds, 3)}):')
        for n in names:
            diff = np.abs(res[n][-1][0]['LSTM'].to_numpy() - res['baseline'][-1][0]['LSTM'].to_numpy()).max()
            ratio = statistics.median(v[1] / b[1] for v, b in zip(res[n], res['baseline']))
            print(f'  {n:20} {statistics.median(v[1] for v in res[n]):6.2f} s  {ratio:5.2f}x baseline time  peak RSS '
                  f'{statistics.median(v[2] for v in res[n]):6.0f} MB  max forecast diff {diff:.1e}')
    if 'prep' in a.parts:
        df = panel(100_000); ids, ds = df['unique_id'].to_numpy(), df['ds'].to_numpy()
        same = ids[1:] == ids[:-1]
        print(f'data checks on {len(df):,} rows (100k series x 240), library call vs vectorised, seconds:')
        for what, lib, vec in [
                ('sorted by time in each id',
                 lambda: df.groupby('unique_id', sort=False)['ds'].is_monotonic_increasing.all(),
                 lambda: df['unique_id'].is_monotonic_increasing and not (same & (ds[1:] < ds[:-1])).any()),
                ('duplicated (id, ds)', lambda: df.duplicated(['unique_id', 'ds']).any(),
                 lambda: (same & (ds[1:] == ds[:-1])).any()),
                ('sort_values of sorted data', lambda: df.sort_values(['unique_id', 'ds'], kind='stable'),
                 lambda: None)]:
            (x, tl), (y, tv) = timed(lib), timed(vec)
            print(f'  {what:28} {tl:6.2f} vs {tv:6.3f}' + ('' if y is None else f'  (same answer: {bool(x) == bool(y)})'))
        nf = NeuralForecast([LSTM(input_size=24, max_steps=1, **CONFIG)], freq='MS')
        print(f'  whole NeuralForecast._dataset: {timed(lambda: nf._dataset(df, None, "unique_id", "ds", "y"))[1]:.2f} s')
