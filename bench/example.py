"""The spec's usage example end to end, each library in a fresh subprocess: import, fit, predict, peak memory.

What it measures (per library, in its own `python -c` child so imports and RSS start cold):
  * import: wall time of `import <lib>; from <lib>.models import LSTM; from <lib> import NeuralForecast`
  * fit: `nf.fit(df=Y_train_df, static_df=AirPassengersStatic)` with the spec's config (h=12, input_size=-1,
    Normal DistributionLoss, robust scaler, 2x128 LSTM, context 10, 2x128 decoder, futr y_[lag12], static
    airline1) and max_steps=200, progress bar off
  * predict: median of 20 `nf.predict(futr_df=Y_test_df)` calls on the fitted model (after one warm-up call)
  * peak RSS: `resource.getrusage(RUSAGE_SELF).ru_maxrss` of the child at the end. It depends on the environment:
    where scipy is installed, torchmetrics (which Lightning imports) imports `scipy.signal`, about 60 MB more. The
    table says whether the child had scipy loaded; lstmcast itself needs no scipy (only its dev extra brings it)
  * end to end: import + fit + the first predict call
lstmcast is always run; `neuralforecast` only if it is importable (it is not a dependency) by this interpreter or by
the one given with --nf-python (e.g. a separate venv: `python3 -m venv /tmp/nfvenv && /tmp/nfvenv/bin/pip install
torch==2.13.0 neuralforecast==3.3.0`), and then the ratios lstmcast / neuralforecast are printed. neuralforecast
gets freq='ME' (it rejects 'M' on pandas 3) and its own copy of the AirPassengers panel.
Run: python bench/example.py [--steps 200] [--repeats 20] [--threads N] [--seeds N] [--extra JSON] [--nf-python PATH]
"""
import argparse, importlib.util, json, os, subprocess, sys

CHILD = r'''
import sys, time, json, resource, statistics, warnings, logging
warnings.filterwarnings('ignore'); logging.disable(logging.WARNING)
t0 = time.perf_counter()
import {lib}
from {lib}.models import LSTM
from {lib} import NeuralForecast
t_import = time.perf_counter() - t0
from {lib}.losses.pytorch import DistributionLoss
from {lib}.utils import AirPassengersPanel, AirPassengersStatic
import torch
if {threads}: torch.set_num_threads({threads})
P = AirPassengersPanel
Y_train_df = P[P.ds < P['ds'].values[-12]]
Y_test_df = P[P.ds >= P['ds'].values[-12]].reset_index(drop=True)
nf = NeuralForecast(models=[LSTM(h=12, input_size=-1, loss=DistributionLoss(distribution='Normal', level=[80, 90]),
                                 scaler_type='robust', encoder_n_layers=2, encoder_hidden_size=128, context_size=10,
                                 decoder_hidden_size=128, decoder_layers=2, max_steps={steps},
                                 futr_exog_list=['y_[lag12]'], stat_exog_list=['airline1'],
                                 enable_progress_bar=False, random_seed={seed}, **{extra!r})], freq={freq!r})
t0 = time.perf_counter(); nf.fit(df=Y_train_df, static_df=AirPassengersStatic); t_fit = time.perf_counter() - t0
t0 = time.perf_counter(); nf.predict(futr_df=Y_test_df); t_first = time.perf_counter() - t0
ts = []
for _ in range({repeats}):
    t0 = time.perf_counter(); fc = nf.predict(futr_df=Y_test_df); ts.append(time.perf_counter() - t0)
y = Y_test_df['y'].to_numpy()
mae = float(abs(fc['LSTM'].to_numpy() - y).mean())
cov90 = float(((fc['LSTM-lo-90'].to_numpy() <= y) & (y <= fc['LSTM-hi-90'].to_numpy())).mean())
print(json.dumps(dict(import_s=t_import, fit_s=t_fit, predict_ms=statistics.median(ts) * 1e3, mae=mae, cov90=cov90,
                      end_to_end_s=t_import + t_fit + t_first,
                      rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, threads=torch.get_num_threads(),
                      scipy='scipy' in sys.modules)))
'''


def run(lib, steps, repeats, threads, python=sys.executable, seed=1, extra=None):
    code = CHILD.format(lib=lib, steps=steps, repeats=repeats, threads=threads, freq='M' if lib == 'lstmcast' else 'ME',
                        seed=seed, extra=(extra or {}) if lib == 'lstmcast' else {})
    out = subprocess.run([python, '-c', code], capture_output=True, text=True)
    if out.returncode: sys.exit(f'{lib} failed:\n{out.stderr[-3000:]}')
    return json.loads(out.stdout.strip().splitlines()[-1])


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--steps', type=int, default=200); ap.add_argument('--repeats', type=int, default=20)
    ap.add_argument('--threads', type=int, default=0, help='torch.set_num_threads in the children (default: torch default)')
    ap.add_argument('--seeds', type=int, default=0, help='also refit with random_seed 1..N and print the test MAE '
                    'and 90%% interval coverage of each seed (one seed is luck: the spread is as large as the gap)')
    ap.add_argument('--extra', default='{}', help='JSON of LSTM arguments for lstmcast beyond the spec example, '
                    'e.g. \'{"scale_like_target": ["y_[lag12]"]}\'')
    ap.add_argument('--nf-python', help='a Python interpreter that can import neuralforecast (default: this one, if it can)')
    a = ap.parse_args()
    nf_python = a.nf_python or (sys.executable if importlib.util.find_spec('neuralforecast') else None)
    if nf_python is None: print('neuralforecast is not installed: lstmcast only (no ratios); see --nf-python')
    extra = json.loads(a.extra)
    if extra: print(f'lstmcast gets {extra} beyond the spec example')
    res = {'lstmcast': run('lstmcast', a.steps, a.repeats, a.threads, extra=extra)}
    if nf_python: res['neuralforecast'] = run('neuralforecast', a.steps, a.repeats, a.threads, nf_python)
    print(f"{'library':15} {'import s':>9} {'fit s':>7} {'predict ms':>11} {'end to end s':>13} {'peak RSS MB':>12} "
          f"{'test MAE':>9} threads")
    for lib, r in res.items():
        print(f"{lib:15} {r['import_s']:9.2f} {r['fit_s']:7.2f} {r['predict_ms']:11.1f} {r['end_to_end_s']:13.2f} "
              f"{r['rss_mb']:12.0f} {r['mae']:9.2f} {r['threads']}")
    print(f'(fit = {a.steps} steps; predict = median of {a.repeats} calls on the fitted model; '
          f'load avg {os.getloadavg()[0]:.1f})')
    for lib, r in res.items():
        print(f"{lib}: scipy {'loaded (torchmetrics imports scipy.signal: ~60 MB of the RSS)' if r.get('scipy') else 'not installed'}")
    if 'neuralforecast' in res:
        l, n = res['lstmcast'], res['neuralforecast']
        print('ratio lstmcast / neuralforecast: ' + ', '.join(
            f'{k} {l[k] / n[k]:.2f}x' for k in ('import_s', 'fit_s', 'predict_ms', 'end_to_end_s', 'rss_mb')))
    if a.seeds:
        print(f'\nAccuracy over random_seed 1..{a.seeds} (test year: 24 values; coverage of the 90% interval):')
        pythons = {'lstmcast': sys.executable, **({'neuralforecast': nf_python} if nf_python else {})}
        for lib, python in pythons.items():
            runs = [res[lib]] + [run(lib, a.steps, 1, a.threads, python, seed, extra) for seed in range(2, a.seeds + 1)]
            maes, covs = [r['mae'] for r in runs], [r['cov90'] for r in runs]
            print(f"{lib:15} MAE {' '.join(f'{m:5.1f}' for m in maes)}  mean {sum(maes) / len(maes):5.2f} | "
                  f"coverage {' '.join(f'{c:4.2f}' for c in covs)}  mean {sum(covs) / len(covs):4.2f}")
