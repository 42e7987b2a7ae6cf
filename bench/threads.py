"""Fit time of the spec's example beside busy processes: lstmcast's choice of threads against torch's default.

The spec's example (bench/example.py's configuration) is fitted for --steps steps (default 60) in a fresh `python -c`
child, on a quiet machine, then beside one and beside two busy processes (`python -c 'while True: pass'`, started by
this script and stopped after), with two thread settings:
  * choice: what lstmcast chooses (`num_threads=None`, the default: the cores free when fit starts)
  * torch:  torch's default, one intra-op thread per core (`num_threads=torch.get_num_threads()` in the child),
            which is what a fit did before lstmcast chose
Each round runs both settings, alternately, under each condition; the table gives the median fit time over --rounds
rounds, the threads the fit ran with, and the ratio to the quiet fit time of the same setting and of torch's default.
"quiet" means no busy process of this script's: other people's processes still count, so the busy threads seen at the
start of each condition (Linux's runnable count, `lstmcast.common._machine.busy_threads`) are printed too.
Run by hand: python bench/threads.py [--steps 60] [--rounds 3]
"""
import argparse, json, os, statistics, subprocess, sys, time

CHILD = r'''
import json, time, warnings, logging
warnings.filterwarnings('ignore'); logging.disable(logging.WARNING)
import torch
import pytorch_lightning as pl
from lstmcast import NeuralForecast
from lstmcast.models import LSTM
from lstmcast.losses.pytorch import DistributionLoss
from lstmcast.utils import AirPassengersPanel, AirPassengersStatic
class Threads(pl.Callback):
    def on_train_start(self, *args): self.n = torch.get_num_threads()
seen = Threads()
P = AirPassengersPanel
train = P[P.ds < P['ds'].values[-12]]
threads = torch.get_num_threads() if {torch_default} else None
nf = NeuralForecast(models=[LSTM(h=12, input_size=-1, loss=DistributionLoss(distribution='Normal', level=[80, 90]),
                                 scaler_type='robust', encoder_n_layers=2, encoder_hidden_size=128, context_size=10,
                                 decoder_hidden_size=128, decoder_layers=2, max_steps={steps},
                                 futr_exog_list=['y_[lag12]'], stat_exog_list=['airline1'], enable_progress_bar=False,
                                 callbacks=[seen], num_threads=threads)], freq='M')
t0 = time.perf_counter(); nf.fit(df=train, static_df=AirPassengersStatic); fit_s = time.perf_counter() - t0
print(json.dumps(dict(fit_s=fit_s, threads=seen.n)))
'''
SETTINGS = {'choice': False, 'torch': True}


def fit_once(setting, steps):
    out = subprocess.run([sys.executable, '-c', CHILD.format(torch_default=SETTINGS[setting], steps=steps)],
                         capture_output=True, text=True)
    if out.returncode: sys.exit(f'the child failed:\n{out.stderr[-3000:]}')
    return json.loads(out.stdout.strip().splitlines()[-1])


def busy_processes(n):
    "Start `n` processes that each keep one core busy."
    return [subprocess.Popen([sys.executable, '-c', 'while True: pass']) for _ in range(n)]


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--steps', type=int, default=60); ap.add_argument('--rounds', type=int, default=3)
    args = ap.parse_args()
    from lstmcast.common._machine import busy_threads
    print(f'cores: {os.cpu_count()}, load average at start: {os.getloadavg()}')
    times = {}
    for r in range(args.rounds):
        for n_busy in (0, 1, 2):
            procs = busy_processes(n_busy)
            try:
                time.sleep(0.5)                               # let them start
                seen = busy_threads()
                for setting in (SETTINGS if r % 2 == 0 else list(SETTINGS)[::-1]):
                    res = fit_once(setting, args.steps)
                    times.setdefault((n_busy, setting), []).append(res)
                    print(f'round {r + 1}, {n_busy} busy (busy threads seen: {seen}), {setting}: '
                          f'{res["fit_s"]:.2f} s with {res["threads"]} thread(s)', flush=True)
            finally:
                for p in procs: p.kill()
                for p in procs: p.wait()
    med = {k: statistics.median(x['fit_s'] for x in v) for k, v in times.items()}
    print(f'\nload average at the end: {os.getloadavg()}')
    print(f'\nmedian fit time over {args.rounds} rounds, {args.steps} steps:')
    print('| busy processes | setting | threads | fit (s) | / quiet, same setting | / quiet, torch default |')
    print('|---|---|---|---|---|---|')
    for n_busy in (0, 1, 2):
        for setting in SETTINGS:
            used = sorted({x['threads'] for x in times[n_busy, setting]})
            print(f'| {n_busy} | {setting} | {"/".join(map(str, used))} | {med[n_busy, setting]:.2f} | '
                  f'{med[n_busy, setting] / med[0, setting]:.2f}× | {med[n_busy, setting] / med[0, "torch"]:.2f}× |')
