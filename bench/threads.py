"""Fit time of the spec's example (or a 10k-series panel) beside busy processes: lstmcast's threads against torch's.

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
`--case panel` fits bench/panel.py's synthetic 10,000 x 240 monthly panel instead (its configuration, input_size 24,
--steps steps) and also times one `predict()` over the full histories; `--torch-quiet-only` runs torch's default only
on the quiet machine (beside busy processes it is 3-13x slower: minutes a fit on the panel), which is enough for
"quiet, no slower than torch's default" and the ratios of the choice.
Run by hand: python bench/threads.py [--steps 60] [--rounds 3] [--case spec|panel] [--torch-quiet-only]
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
PANEL = r'''
import json, sys, time, warnings, logging
warnings.filterwarnings('ignore'); logging.disable(logging.WARNING)
sys.path.insert(0, {bench!r})
import torch
import pytorch_lightning as pl
from lstmcast import NeuralForecast
from lstmcast.models import LSTM
from panel import panel, CONFIG
class Threads(pl.Callback):
    def on_train_start(self, *args): self.n = torch.get_num_threads()
seen = Threads()
df = panel(10_000)
threads = torch.get_num_threads() if {torch_default} else None
nf = NeuralForecast(models=[LSTM(input_size=24, max_steps={steps}, callbacks=[seen], num_threads=threads, **CONFIG)],
                    freq='MS')
t0 = time.perf_counter(); nf.fit(df); fit_s = time.perf_counter() - t0
t0 = time.perf_counter(); nf.predict(); predict_s = time.perf_counter() - t0
print(json.dumps(dict(fit_s=fit_s, predict_s=predict_s, threads=seen.n)))
'''
SETTINGS = {'choice': False, 'torch': True}


def fit_once(setting, steps, case='spec'):
    code = (CHILD if case == 'spec' else PANEL).format(torch_default=SETTINGS[setting], steps=steps,
                                                      bench=os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    if out.returncode: sys.exit(f'the child failed:\n{out.stderr[-3000:]}')
    return json.loads(out.stdout.strip().splitlines()[-1])


def busy_processes(n):
    "Start `n` processes that each keep one core busy."
    return [subprocess.Popen([sys.executable, '-c', 'while True: pass']) for _ in range(n)]


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--steps', type=int, default=60); ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--case', choices=['spec', 'panel'], default='spec')
    ap.add_argument('--torch-quiet-only', action='store_true', help="torch's default on the quiet machine only")
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
                    if n_busy and setting == 'torch' and args.torch_quiet_only: continue
                    res = fit_once(setting, args.steps, args.case)
                    times.setdefault((n_busy, setting), []).append(res)
                    more = f', predict {res["predict_s"]:.2f} s' if 'predict_s' in res else ''
                    print(f'round {r + 1}, {n_busy} busy (busy threads seen: {seen}), {setting}: '
                          f'fit {res["fit_s"]:.2f} s{more} with {res["threads"]} thread(s)', flush=True)
            finally:
                for p in procs: p.kill()
                for p in procs: p.wait()
    print(f'\nload average at the end: {os.getloadavg()}')
    for what in ('fit_s', 'predict_s') if args.case == 'panel' else ('fit_s',):
        med = {k: statistics.median(x[what] for x in v) for k, v in times.items()}
        print(f'\nmedian {what[:-2]} time over {args.rounds} rounds ({args.case}, {args.steps} steps):')
        print(f'| busy processes | setting | threads | {what[:-2]} (s) | / quiet, same setting | / quiet, torch default |')
        print('|---|---|---|---|---|---|')
        for (n_busy, setting), m in sorted(med.items()):
            used = sorted({x['threads'] for x in times[n_busy, setting]})
            print(f'| {n_busy} | {setting} | {"/".join(map(str, used))} | {m:.2f} | '
                  f'{m / med[0, setting]:.2f}× | {m / med[0, "torch"]:.2f}× |')
