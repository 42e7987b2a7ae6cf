"""Fit and predict from Parquet files against the same panel in memory: time and peak RSS.

What it measures
  A synthetic panel (numpy seed 0) of N series x T monthly points (a random level, trend, yearly season, noise) is
  written by this script to `--files` Parquet folders of N/files whole series each (ids 's0000000', ... in order),
  in a temporary folder (or `--data DIR`, kept). Then each way runs in its own fresh subprocess, so that its peak
  RSS (`resource.getrusage(RUSAGE_SELF).ru_maxrss`) is its own:
  * files: `nf.fit(df=[folder, ...])` then `nf.predict()` (lstmcast.files: each folder read alone, rows staged
    on disk as float32, batches read per series);
  * memory: `pd.read_parquet` of each folder, concatenated into one frame, `nf.fit(df)` then `nf.predict()`; the read is
    timed apart ('read') and its memory counts in the peak, as it would for a user;
  * files-ddp: as files, in two DDP processes on the CPU (`devices=2, strategy='ddp'`, one thread each): each stages
    only its share of the folders and predicts its own series; each process prints its own line (rank, rows read
    from the files, its forecasts), and the sum over both is the panel's.
  Printed per way: read, fit and predict seconds, peak RSS after imports, after fit and after predict (MB), and the
  sum of the forecasts, which must be the same for files and memory (the same fit; files-ddp trains otherwise).
  glibc's malloc raises its mmap threshold as large blocks are freed, after which the model's whole-panel passes
  (`_auto_season`, predict) leave a fragmented heap that grows with the number of batches; `--mmap-threshold
  1048576` fixes the threshold (`MALLOC_MMAP_THRESHOLD_`) in the runs, which keeps the peak flat.
Run: python bench/files.py [--series 100000] [--steps 240] [--files 20] [--max-steps 20] [--ways files,memory]
     [--mmap-threshold BYTES] [--data DIR] [--threads 1]
  --data DIR keeps the panel there, and a later run with the same sizes reads it again rather than write it.
"""
import argparse, json, os, resource, subprocess, sys, tempfile, time

CONFIG = dict(h=12, encoder_hidden_size=32, decoder_hidden_size=32, batch_size=32, valid_batch_size=256,
              tail_validation=False, enable_progress_bar=False)


def peak_mb(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024     # Linux: kB


def write_panel(folder, n, T, files, seed=0):
    "N series of T monthly points in `files` folders of whole series; generated a folder at a time."
    import numpy as np, pandas as pd
    rng, paths = np.random.default_rng(seed), []
    t, ds = np.arange(T), pd.date_range('2000-01-01', periods=T, freq='MS').to_numpy()
    bounds = np.linspace(0, n, files + 1).astype(int)
    for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
        m = b - a
        level = rng.uniform(10, 1000, (m, 1))
        season = rng.uniform(0, 0.3, (m, 1)) * np.sin(2 * np.pi * (t + rng.integers(0, 12, (m, 1))) / 12)
        y = level * (1 + rng.uniform(-0.002, 0.004, (m, 1)) * t + season + rng.normal(0, 0.05, (m, T)))
        path = os.path.join(folder, f'part{k:04d}')
        os.makedirs(path, exist_ok=True)
        pd.DataFrame({'unique_id': np.repeat(np.array([f's{i:07d}' for i in range(a, b)], dtype=object), T),
                      'ds': np.tile(ds, m), 'y': y.ravel().astype('float32')}).to_parquet(
                          os.path.join(path, 'data.parquet'), index=False)
        paths.append(path)
    return paths


def child(way, paths, max_steps, threads):
    import logging, warnings; warnings.filterwarnings('ignore'); logging.disable(logging.WARNING)
    import numpy as np, pandas as pd, torch
    if threads: torch.set_num_threads(threads)
    import pytorch_lightning, pyarrow.dataset                  # imports outside the timers
    from lstmcast import NeuralForecast
    from lstmcast.models import LSTM
    out = {'way': way, 'rss_imports_mb': peak_mb()}
    ddp = dict(accelerator='cpu', devices=2, strategy='ddp') if way == 'files-ddp' else {}
    nf = NeuralForecast([LSTM(**CONFIG, **ddp, max_steps=max_steps)], freq='MS')
    t = time.perf_counter()
    data = paths if way.startswith('files') else pd.concat([pd.read_parquet(q) for q in paths], ignore_index=True)
    out['read_s'] = time.perf_counter() - t
    t = time.perf_counter()
    nf.fit(data)
    out['fit_s'], out['rss_fit_mb'] = time.perf_counter() - t, peak_mb()
    t = time.perf_counter()
    fc = nf.predict()
    out['predict_s'], out['rss_predict_mb'] = time.perf_counter() - t, peak_mb()
    out['forecasts'], out['sum'] = len(fc), float(fc['LSTM'].astype('float64').sum())
    if way.startswith('files'): out['rows_read'], out['rows_loaded'] = nf.dataset.rows_read, nf.dataset.rows_loaded
    if ddp: out['way'] = f"{way} rank {torch.distributed.get_rank()}"
    print(json.dumps(out), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--series', type=int, default=100_000)
    p.add_argument('--steps', type=int, default=240, help='time steps per series')
    p.add_argument('--files', type=int, default=20, help='Parquet folders the panel is written to')
    p.add_argument('--max-steps', type=int, default=20, help='training steps')
    p.add_argument('--ways', default='files,memory')
    p.add_argument('--data', default=None, help='folder to write the panel to (kept); default a temporary one')
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--mmap-threshold', type=int, default=0,
                   help="glibc's MALLOC_MMAP_THRESHOLD_ in the runs, in bytes; 0: glibc's default (dynamic)")
    p.add_argument('--child', default=None, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        return child(a.child, json.loads(os.environ['BENCH_FILES_PATHS']), a.max_steps, a.threads)
    tmp = None if a.data else tempfile.TemporaryDirectory(prefix='bench-files-')
    folder = a.data or tmp.name
    os.makedirs(folder, exist_ok=True)
    t = time.perf_counter()
    sizes = dict(series=a.series, steps=a.steps, files=a.files)
    kept = os.path.join(folder, 'panel.json')
    if os.path.exists(kept) and json.load(open(kept))['sizes'] == sizes: paths = json.load(open(kept))['paths']
    else:
        paths = write_panel(folder, a.series, a.steps, a.files)
        with open(kept, 'w') as f: json.dump(dict(sizes=sizes, paths=paths), f)
    size = sum(os.path.getsize(os.path.join(q, f)) for q in paths for f in os.listdir(q))
    print(f"panel: {a.series:,} series x {a.steps} steps in {a.files} folders ({size / 2**20:.0f} MB of Parquet), "
          f"written in {time.perf_counter() - t:.1f} s; model {CONFIG}, max_steps={a.max_steps}, "
          f"{a.threads} thread(s), MALLOC_MMAP_THRESHOLD_={a.mmap_threshold or 'default'}; "
          f"load average {os.getloadavg()[0]:.1f}")
    results = []
    for way in a.ways.split(','):
        env = {**os.environ, 'BENCH_FILES_PATHS': json.dumps(paths), 'OMP_NUM_THREADS': str(a.threads)}
        if a.mmap_threshold: env['MALLOC_MMAP_THRESHOLD_'] = str(a.mmap_threshold)
        r = subprocess.run([sys.executable, __file__, '--child', way, '--max-steps', str(a.max_steps),
                            '--threads', str(a.threads)], env=env, capture_output=True, text=True)
        if r.returncode: print(f"{way} failed:\n{r.stderr[-3000:]}"); continue
        results += [json.loads(line) for line in r.stdout.splitlines() if line.startswith('{"way"')]
    print(f"{'way':8} {'read s':>7} {'fit s':>7} {'predict s':>9} {'RSS imports MB':>14} {'RSS fit MB':>10} "
          f"{'RSS predict MB':>14} {'forecasts':>10} {'sum of forecasts':>18}")
    for r in results:
        print(f"{r['way']:8} {r['read_s']:7.1f} {r['fit_s']:7.1f} {r['predict_s']:9.1f} {r['rss_imports_mb']:14.0f} "
              f"{r['rss_fit_mb']:10.0f} {r['rss_predict_mb']:14.0f} {r['forecasts']:10,} {r['sum']:18.6e}")
    sums = {r['sum'] for r in results if r['way'] in ('files', 'memory')}
    if len(sums) == 1 and {'files', 'memory'} <= {r['way'] for r in results}:
        print("files and memory: the forecasts agree (same sum)")
    ranks = [r for r in results if r['way'].startswith('files-ddp')]
    if ranks: print(f"files-ddp: rows read from the files by rank {[r['rows_loaded'] for r in ranks]}, "
                    f"forecasts {[r['forecasts'] for r in ranks]}")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    if tmp: tmp.cleanup()


if __name__ == '__main__': main()
