"""Training throughput with 1 process against 2 DDP processes (Lightning, CPU, gloo), in series-steps per second.

What it measures
  A synthetic panel (numpy seed 0) of --series series x 240 points (level, trend, seasonality, noise), a small
  LSTM (input_size=48, h=24, encoder and decoder of 64 units, batch_size=32, robust scaler). Three cases, each
  in its own fresh subprocess (the 2-process case is Lightning's `strategy='ddp'`, which re-runs this script for
  rank 1), interleaved over --repeats rounds:
  * 1 process x 1 thread  (devices=1)
  * 1 process x 2 threads (devices=1)
  * 2 processes x 1 thread (devices=2, strategy='ddp': each process draws batches from its own half of the series,
    gradients averaged at every step, so one step trains on 2 x batch_size series)
  series-steps/s = processes x batch_size x timed steps / seconds, timed on rank 0 from the end of step --warmup to
  the end of the last step (launch, process-group set-up and the first steps excluded). The whole `fit` time is
  printed too. The ratio printed is the median 2-process figure over the median of each 1-process figure.
Run: python bench/distributed.py [--series 512] [--steps 80] [--warmup 10] [--repeats 3]
Time here: 2 to 8 minutes (one process with two threads slows down several-fold when the machine is busy).
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent)); from panel import panel   # the synthetic panel of bench/panel.py

CONFIG = dict(h=24, input_size=48, encoder_hidden_size=64, decoder_hidden_size=64, batch_size=32,
              scaler_type='robust', enable_progress_bar=False, accelerator='cpu')
CASES = {'1 process x 1 thread': (1, 1), '1 process x 2 threads': (1, 2), '2 processes x 1 thread': (2, 1)}


def worker(args):
    "One case: fit, and (on rank 0) write the timings to args.out. Lightning re-runs this for the other ranks."
    import logging, warnings; warnings.filterwarnings('ignore'); logging.disable(logging.WARNING)
    import torch
    torch.set_num_threads(args.threads)
    from pytorch_lightning.callbacks import Callback
    from lstmcast import NeuralForecast
    from lstmcast.models import LSTM

    class StepClock(Callback):
        "Time from the end of step `warmup` to the end of training, on this process."
        def on_train_batch_end(self, trainer, *a):
            if trainer.global_step == args.warmup: self.t0 = time.perf_counter()
        def on_train_end(self, trainer, module):
            self.seconds, self.steps = time.perf_counter() - self.t0, trainer.global_step - args.warmup

    df = panel(args.series, period=24, integer_ds=True)
    clock = StepClock()
    ddp = dict(devices=2, strategy='ddp') if args.procs == 2 else dict(devices=1)
    nf = NeuralForecast([LSTM(max_steps=args.steps, callbacks=[clock], **ddp, **CONFIG)], freq=1)
    t0 = time.perf_counter()
    nf.fit(df)
    fit_s = time.perf_counter() - t0
    rank = torch.distributed.get_rank() if torch.distributed.is_initialized() else 0
    if rank == 0:
        with open(args.out, 'w') as f:
            json.dump(dict(seconds=clock.seconds, steps=clock.steps, fit=fit_s, procs=args.procs,
                           series_steps=args.procs * CONFIG['batch_size'] * clock.steps / clock.seconds), f)


def main(args):
    import platform, torch, pytorch_lightning
    print(f"Python {platform.python_version()}, torch {torch.__version__}, pytorch-lightning {pytorch_lightning.__version__}, "
          f"{os.cpu_count()} CPUs; load average at start {os.getloadavg()[0]:.2f}")
    print(f"panel {args.series} series x 240, LSTM {CONFIG}, {args.steps} steps ({args.warmup} untimed), {args.repeats} rounds")
    got = {c: [] for c in CASES}
    env = {k: v for k, v in os.environ.items() if k not in ('RANK', 'LOCAL_RANK', 'NODE_RANK', 'WORLD_SIZE')}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeats):
            for case, (procs, threads) in CASES.items():
                out = os.path.join(tmp, f'{r}-{procs}-{threads}.json')
                cmd = [sys.executable, os.path.abspath(__file__), '--worker', '--procs', str(procs), '--threads', str(threads),
                       '--series', str(args.series), '--steps', str(args.steps), '--warmup', str(args.warmup), '--out', out]
                subprocess.run(cmd, check=True, env={**env, 'OMP_NUM_THREADS': str(threads)}, capture_output=True)
                d = json.load(open(out))
                got[case].append(d)
                print(f"  round {r + 1}, {case}: {d['series_steps']:8.0f} series-steps/s ({d['seconds'] / d['steps'] * 1000:.1f} ms/step,"
                      f" fit {d['fit']:.1f} s), load {os.getloadavg()[0]:.2f}", flush=True)
    med = {c: statistics.median(d['series_steps'] for d in v) for c, v in got.items()}
    fit = {c: statistics.median(d['fit'] for d in v) for c, v in got.items()}
    print("\nmedians:")
    for c in CASES: print(f"  {c:24s} {med[c]:8.0f} series-steps/s, whole fit {fit[c]:.1f} s")
    two = med['2 processes x 1 thread']
    print(f"ratio 2 processes / 1 process x 1 thread:  {two / med['1 process x 1 thread']:.2f}")
    print(f"ratio 2 processes / 1 process x 2 threads: {two / med['1 process x 2 threads']:.2f}")
    print(f"load average at end {os.getloadavg()[0]:.2f}")


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--series', type=int, default=512)
    p.add_argument('--steps', type=int, default=80)
    p.add_argument('--warmup', type=int, default=10)
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    p.add_argument('--procs', type=int, default=1, help=argparse.SUPPRESS)
    p.add_argument('--threads', type=int, default=1, help=argparse.SUPPRESS)
    p.add_argument('--out', help=argparse.SUPPRESS)
    a = p.parse_args()
    worker(a) if a.worker else main(a)
