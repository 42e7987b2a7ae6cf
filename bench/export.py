"""Latency of the spec's model exported for serving (`nf.export`), against `nf.predict`, on CPU.

The spec's example (the LSTM page's AirPassengers configuration: h=12, input_size=-1, Normal DistributionLoss with
levels 80 and 90, robust scaler, 2x128 LSTM, context 10, 2x128 decoder, futr `y_[lag12]`, static `airline1`) is fitted
for a few steps (latency does not depend on the weights), exported as TorchScript and ONNX, and loaded back
(`torch.jit.load`, `onnxruntime.InferenceSession`). Timed, each as the median (p50) and p90 of `--repeats` calls
after warm-up calls:
  * predict: `nf.predict(futr_df=...)` on the two series (the library's path: frames in, frame out)
  * one series: the exported model on Airline1's 132-step history (arrays in, `[1, 12, 5]` out)
  * batch: the same on `--batch` series at once (the two airlines tiled), and the time per series
The exported forecasts are checked against `predict`'s before timing. Threads: `--threads` (default 1) for torch and
for onnxruntime's intra-op pool.
Run: python bench/export.py [--threads 1] [--batch 256] [--repeats 200]
"""
import argparse, json, os, statistics, sys, tempfile, time, warnings, logging
from pathlib import Path


def timed(fn, repeats, warmup=10):
    "p50 and p90 of `fn()` in ms."
    for _ in range(warmup): fn()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter(); fn(); ts.append((time.perf_counter() - t0) * 1e3)
    ts.sort()
    return statistics.median(ts), ts[int(0.9 * (len(ts) - 1))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--batch', type=int, default=256)
    ap.add_argument('--repeats', type=int, default=200)
    ap.add_argument('--steps', type=int, default=20)
    a = ap.parse_args()
    warnings.filterwarnings('ignore'); logging.disable(logging.WARNING)
    import numpy as np, torch
    torch.set_num_threads(a.threads)
    from lstmcast import NeuralForecast
    from lstmcast.models import LSTM
    from lstmcast.losses.pytorch import DistributionLoss
    from lstmcast.utils import AirPassengersPanel as P, AirPassengersStatic
    from lstmcast.export import serving_inputs
    train = P[P.ds < P['ds'].values[-12]]
    futr = P[P.ds >= P['ds'].values[-12]].reset_index(drop=True)
    nf = NeuralForecast(models=[LSTM(h=12, input_size=-1, loss=DistributionLoss(distribution='Normal', level=[80, 90]),
                                     scaler_type='robust', encoder_n_layers=2, encoder_hidden_size=128, context_size=10,
                                     decoder_hidden_size=128, decoder_layers=2, max_steps=a.steps,
                                     futr_exog_list=['y_[lag12]'], stat_exog_list=['airline1'],
                                     enable_progress_bar=False, num_threads=a.threads)], freq='M')
    nf.fit(df=train, static_df=AirPassengersStatic)
    fc = nf.predict(futr_df=futr)
    arrays = serving_inputs(nf, futr_df=futr)
    tmp = Path(tempfile.mkdtemp())
    ts_model = torch.jit.load(str(nf.export(tmp/'lstm.pt')))
    names = ['y', 'futr_exog', 'stat_exog']
    rows = {'predict, 2 series (frames)': timed(lambda: nf.predict(futr_df=futr), max(20, a.repeats // 10))}
    one = {k: v[:1] for k, v in arrays.items()}
    many = {k: np.ascontiguousarray(np.tile(v, (a.batch // 2,) + (1,) * (v.ndim - 1))) for k, v in arrays.items()}
    expected = fc[[c for c in fc.columns if c.startswith('LSTM')]].to_numpy().reshape(2, 12, -1)

    def run_ts(x):
        t = [torch.from_numpy(x[k]) for k in names]
        def call():
            with torch.inference_mode(): return ts_model(*t).numpy()
        return call
    assert np.allclose(run_ts(arrays)(), expected, rtol=1e-4, atol=1e-3)
    rows['torchscript, 1 series'] = timed(run_ts(one), a.repeats)
    rows[f'torchscript, {2 * (a.batch // 2)} series'] = timed(run_ts(many), max(20, a.repeats // 10))
    try:
        import onnxruntime as ort
        opts = ort.SessionOptions(); opts.intra_op_num_threads = a.threads; opts.inter_op_num_threads = 1
        sess = ort.InferenceSession(str(nf.export(tmp/'lstm.onnx', format='onnx')), opts)
        run_ort = lambda x: (lambda: sess.run(None, {k: x[k] for k in names})[0])
        assert np.allclose(run_ort(arrays)(), expected, rtol=1e-4, atol=1e-3)
        rows['onnxruntime, 1 series'] = timed(run_ort(one), a.repeats)
        rows[f'onnxruntime, {2 * (a.batch // 2)} series'] = timed(run_ort(many), max(20, a.repeats // 10))
    except ImportError:
        print('onnxruntime is not installed: ONNX skipped')
    print(f'threads {a.threads}, load average {os.getloadavg()[0]:.1f}, torch {torch.__version__}')
    print(f"{'case':32s} {'p50 ms':>9s} {'p90 ms':>9s} {'p50 ms / series':>16s}")
    for name, (p50, p90) in rows.items():
        n = int(name.split(', ')[1].split()[0])
        print(f'{name:32s} {p50:9.2f} {p90:9.2f} {p50 / n:16.3f}')


if __name__ == '__main__':
    main()
