"""Panel scale: fit and predict time, peak memory and throughput on synthetic monthly panels.

What it measures
  Synthetic panels (numpy seed 0) of N series x 240 month-start points: a random level, trend, yearly
  seasonality and noise per series.  Cases: 1k series with input_size=24 and with input_size=-1 (all history),
  10k series with input_size=24, and with `--large` 100k series with input_size=24.  Each case runs in its own
  fresh subprocess, so its peak RSS (`ru_maxrss`) is its own; the frame is built before any timer starts.
  * fit: `nf.fit(df)`, max_steps=100 steps (prep = the part of it spent in `NeuralForecast._dataset`:
    checks, sort, time-grid check, tensor build); Lightning is imported before the timer in both libraries
  * predict: one `nf.predict()` of all N series reading all history (inference_input_size=-1, valid_batch_size
    1024), then one reading the last 24 steps (inference_input_size=24, set on the fitted model)
  * peak RSS: `ru_maxrss` of the case's process, the frame included; about 60 MB more where scipy is installed
    (torchmetrics, which Lightning imports, then imports `scipy.signal`); the last line says which
  * encoder floor: the fitted model's own `nn.LSTM` alone over the same N series x 252 steps (random inputs, batches
    of 1024), the compute a full-history predict cannot avoid; the ratio predict / floor is printed
  * forecasts/s = N / predict seconds (one forecast = one series' h=12 steps), for the full-history predict
The model config is printed (a small LSTM, MAE loss, robust scaler).  With --nf-python PATH (an interpreter that
can import neuralforecast), every case also runs neuralforecast's LSTM with the same config, and the ratios
lstmcast / neuralforecast of the same run are printed.
Run: python bench/panel.py [--large] [--steps 100] [--threads N] [--nf-python PATH]
"""
import argparse, json, os, resource, subprocess, sys, time

CONFIG = dict(h=12, encoder_n_layers=1, encoder_hidden_size=64, context_size=10, decoder_hidden_size=64,
              decoder_layers=1, batch_size=128, scaler_type='robust', enable_progress_bar=False)
CASES = {'1k, input 24': (1_000, 24), '1k, input -1': (1_000, -1), '10k, input 24': (10_000, 24),
         '100k, input 24': (100_000, 24)}


def panel(n, T=240, seed=0, period=12, integer_ds=False):
    "N series of T points, level * (1 + trend + seasonality of `period`) + noise, all positive; monthly or 1, 2, ..."
    import numpy as np, pandas as pd
    rng = np.random.default_rng(seed)
    t = np.arange(T)
    level = rng.uniform(10, 1000, (n, 1))
    season = rng.uniform(0, 0.3, (n, 1)) * np.sin(2 * np.pi * (t + rng.integers(0, period, (n, 1))) / period)
    y = level * (1 + rng.uniform(-0.002, 0.004, (n, 1)) * t + season + rng.normal(0, 0.05, (n, T)))
    return pd.DataFrame({'unique_id': np.repeat(np.arange(n), T),
                         'ds': np.tile(t if integer_ds else pd.date_range('2000-01-01', periods=T, freq='MS').to_numpy(), n),
                         'y': y.ravel().astype('float32')})


def encoder_floor(model, n, T, batch=1024):
    "Seconds the fitted model's own `nn.LSTM` alone takes over `n` series of `T` steps, in batches as predict reads them."
    import torch
    enc = model.hist_encoder
    x = torch.randn(batch, T, enc.input_size)
    with torch.inference_mode():
        t = time.perf_counter()
        for start in range(0, n, batch): enc(x[:min(batch, n - start)])
        return time.perf_counter() - t


def child(name, steps, threads, lib='lstmcast'):
    import importlib, logging, warnings; warnings.filterwarnings('ignore'); logging.disable(logging.WARNING)
    import torch
    if threads: torch.set_num_threads(threads)
    NeuralForecast = importlib.import_module(lib).NeuralForecast
    LSTM = importlib.import_module(f'{lib}.models').LSTM
    import pytorch_lightning   # outside the fit timer for both: lstmcast imports it at the first fit, neuralforecast at import
    n, input_size = CASES[name]
    df = panel(n)
    nf = NeuralForecast(models=[LSTM(input_size=input_size, max_steps=steps, **CONFIG)], freq='MS')
    prep = []
    if hasattr(nf, '_dataset'):                      # time the data preparation inside fit (instance-level wrap)
        inner = nf._dataset
        def timed(*a, **k):
            t = time.perf_counter(); r = inner(*a, **k); prep.append(time.perf_counter() - t); return r
        nf._dataset = timed
    t = time.perf_counter(); nf.fit(df); fit_s = time.perf_counter() - t
    t = time.perf_counter(); fc = nf.predict(); pred_s = time.perf_counter() - t
    assert len(fc) == n * CONFIG['h'] and fc['LSTM'].notna().all()
    nf.models[0].inference_input_size = 24
    t = time.perf_counter(); nf.predict(); pred24_s = time.perf_counter() - t
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024    # before the floor's own tensors
    return dict(fit_s=fit_s, prep_s=prep[0] if prep else float('nan'), predict_s=pred_s, predict24_s=pred24_s,
                floor_s=encoder_floor(nf.models[0], n, 240 + CONFIG['h']) if lib == 'lstmcast' else float('nan'),
                rss_mb=rss_mb, threads=torch.get_num_threads(),
                scipy='scipy' in sys.modules)


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--large', action='store_true', help='also run 100k series')
    ap.add_argument('--only', help='case names to run, separated by semicolons (default: all)')
    ap.add_argument('--steps', type=int, default=100)
    ap.add_argument('--threads', type=int, default=0, help='torch.set_num_threads (default: torch default)')
    ap.add_argument('--nf-python', help='an interpreter that can import neuralforecast: run it too, print ratios')
    ap.add_argument('--case', help=argparse.SUPPRESS); ap.add_argument('--lib', default='lstmcast', help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.case:
        print(json.dumps(child(a.case, a.steps, a.threads, a.lib))); sys.exit()
    print(f'model: LSTM({", ".join(f"{k}={v}" for k, v in CONFIG.items())}), max_steps={a.steps}; 240 points/series')
    print(f"{'case':16} {'library':15} {'fit s':>7} {'(prep s)':>9} {'predict s':>10} {'predict s (last 24)':>20} "
          f"{'forecasts/s':>12} {'peak RSS MB':>12} {'encoder floor s':>16}")
    libs = {'lstmcast': sys.executable, **({'neuralforecast': a.nf_python} if a.nf_python else {})}
    for name in [c for c in CASES if (a.large or not c.startswith('100k')) and (not a.only or c in a.only.split(';'))]:
        res = {}
        for lib, python in libs.items():
            out = subprocess.run([python, __file__, '--case', name, '--steps', str(a.steps), '--threads', str(a.threads),
                                  '--lib', lib], capture_output=True, text=True)
            if out.returncode:
                print(f'{name:16} {lib:15} FAILED: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else out.returncode}')
                continue
            r = res[lib] = json.loads(out.stdout.strip().splitlines()[-1])
            if lib == 'lstmcast': scipy_loaded = r['scipy']
            print(f"{name:16} {lib:15} {r['fit_s']:7.1f} {r['prep_s']:9.2f} {r['predict_s']:10.2f} {r['predict24_s']:20.2f} "
                  f"{CASES[name][0] / r['predict_s']:12.0f} {r['rss_mb']:12.0f} {r['floor_s']:16.2f}"
                  + (f"  (predict / floor {r['predict_s'] / r['floor_s']:.2f}x)" if lib == 'lstmcast' else ''), flush=True)
        if len(res) == 2:
            l, n = res['lstmcast'], res['neuralforecast']
            print(f"{'':16} ratio lstmcast / neuralforecast: " + ', '.join(
                f'{k} {l[k] / n[k]:.2f}x' for k in ('fit_s', 'predict_s', 'predict24_s', 'rss_mb')), flush=True)
    if 'r' in dir():
        print(f'torch threads: {r["threads"]}; load avg {os.getloadavg()[0]:.1f}; scipy '
              f'{"loaded in lstmcast (torchmetrics imports scipy.signal: ~60 MB of the RSS)" if scipy_loaded else "not installed"}')
