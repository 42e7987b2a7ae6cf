"""Gains of candidate optimisations, each measured against the library as it is, in the same run.

How: variants are applied by monkeypatching inside this process only (the library files are untouched), and each
A/B pair is interleaved over --rounds rounds (default 8; the order rotates each round) so that load from other
processes hits all of them alike; gains are paired (variant / baseline of the same round), median over rounds.
  1. training step of the spec's example (per-step median from a callback, batch end to batch end), baseline vs
     a) `self.log` made a no-op, b) also the per-step `torch.isfinite(loss)` check removed (a host sync on GPU),
     c) torch.set_num_threads(1) vs the default.
  2. predict on bench/panel.py's 10k panel: decoding only the last origin (`w['last_only']`, what predict asks
     for) vs decoding every origin (the flag hidden from the model): median time of 3 calls and the peak RSS of
     the call (VmHWM after resetting it through /proc/self/clear_refs), and the largest forecast difference.
Run: python bench/optimisations.py [train|predict ...] [--rounds 8]
"""
import argparse, statistics, sys, time, types, warnings, logging
from pathlib import Path
import numpy as np, torch
import lstmcast.common._base_recurrent as br
from lstmcast import NeuralForecast
from lstmcast.models import LSTM
sys.path.insert(0, str(Path(__file__).parent))
from floor import lstmcast_fit
from panel import panel, CONFIG


def train_variant(name, steps=120):
    "Median step time (ms) of a fit of the spec's example with variant `name` applied for its duration."
    log, brtorch, threads = br.BaseRecurrent.log, br.torch, torch.get_num_threads()
    if name in ('no log', 'no log, no isfinite'): br.BaseRecurrent.log = lambda self, *a, **k: None
    if name == 'no log, no isfinite':            # the module sees a torch whose isfinite(loss) is always True
        br.torch = types.SimpleNamespace(**{k: getattr(torch, k) for k in dir(torch)}); br.torch.isfinite = lambda x: True
    if name == '1 thread': torch.set_num_threads(1)
    try: return statistics.median(lstmcast_fit(steps)[1][10:])
    finally: br.BaseRecurrent.log, br.torch = log, brtorch; torch.set_num_threads(threads)


def peak_rss_mb(fn):
    "Run `fn`, return (its result, seconds, peak RSS in MB during it)."
    Path('/proc/self/clear_refs').write_text('5')                  # reset VmHWM (Linux >= 4.0)
    t = time.perf_counter(); out = fn(); secs = time.perf_counter() - t
    hwm = [l for l in Path('/proc/self/status').read_text().splitlines() if l.startswith('VmHWM')][0]
    return out, secs, int(hwm.split()[1]) / 1024


def all_origins(forward):
    "LSTM.forward with the `last_only` request hidden, so every origin is decoded (the old behaviour)."
    def fwd(self, w): return forward(self, {k: v for k, v in w.items() if k != 'last_only'})
    return fwd


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('parts', nargs='*', default=['train', 'predict'])
    ap.add_argument('--rounds', type=int, default=8)
    a = ap.parse_args()
    warnings.filterwarnings('ignore'); logging.disable(logging.WARNING)
    print(f'torch threads {torch.get_num_threads()} (default)')
    if 'train' in a.parts:
        names = ['baseline', 'no log', 'no log, no isfinite', '1 thread']
        lstmcast_fit(5)
        ms = {n: [] for n in names}
        for r in range(a.rounds):                                   # rotate the order: no variant always runs first
            for n in names[r % 4:] + names[:r % 4]: ms[n].append(train_variant(n))
            print(f'  round {r}: ' + ', '.join(f'{n} {ms[n][-1]:.2f}' for n in names), flush=True)
        print('training step, spec example: median ms/step over rounds; gain = median over rounds of 1 - variant/baseline')
        for n in names:
            gain = statistics.median(1 - v / b for v, b in zip(ms[n], ms['baseline']))
            print(f'  {n:22} {statistics.median(ms[n]):7.2f} ms  gain {gain * 100:+6.1f}%')
    if 'predict' in a.parts:
        nf = NeuralForecast([LSTM(input_size=24, max_steps=20, **CONFIG)], freq='MS'); nf.fit(panel(10_000))
        last, every = LSTM.forward, all_origins(LSTM.forward)
        res = {'last origin': [], 'every origin': []}; fc = {}
        nf.predict()                                                # warm-up
        for r in range(min(a.rounds, 3)):
            for name, fwd in [('last origin', last), ('every origin', every)]:
                LSTM.forward = fwd
                try: fc[name], secs, rss = peak_rss_mb(nf.predict)
                finally: LSTM.forward = last
                res[name].append((secs, rss))
        print(f'predict, 10k series x 240 (median of {min(a.rounds, 3)}):')
        for name, v in res.items():
            print(f'  decode {name:13} {statistics.median(s for s, _ in v):7.2f} s   peak RSS during the call '
                  f'{statistics.median(m for _, m in v):7.0f} MB')
        ratio = statistics.median(s for s, _ in res['every origin']) / statistics.median(s for s, _ in res['last origin'])
        diff = np.abs(fc['last origin']['LSTM'].to_numpy() - fc['every origin']['LSTM'].to_numpy()).max()
        print(f'  speed-up {ratio:.2f}x; largest forecast difference {diff:.2e}')
