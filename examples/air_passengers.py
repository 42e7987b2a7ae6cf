# The usage example of the LSTM spec (shared/seed/LSTM.md), with `neuralforecast` replaced by `lstmcast`.
# Additions: the Agg backend (first line, so it runs without a display) and, after the spec's code,
# held-out accuracy, interval coverage and the plot saved to examples/air_passengers.png.
import matplotlib; matplotlib.use('Agg')
import numpy as np
import pandas as pd
import pytorch_lightning as pl
import matplotlib.pyplot as plt

from lstmcast import NeuralForecast
from lstmcast.models import LSTM
from lstmcast.losses.pytorch import MQLoss, DistributionLoss
from lstmcast.utils import AirPassengersPanel, AirPassengersStatic
from lstmcast.tsdataset import TimeSeriesDataset, TimeSeriesLoader

Y_train_df = AirPassengersPanel[AirPassengersPanel.ds<AirPassengersPanel['ds'].values[-12]] # 132 train
Y_test_df = AirPassengersPanel[AirPassengersPanel.ds>=AirPassengersPanel['ds'].values[-12]].reset_index(drop=True) # 12 test

nf = NeuralForecast(
    models=[LSTM(h=12, input_size=-1,
                 loss=DistributionLoss(distribution='Normal', level=[80, 90]),
                 scaler_type='robust',
                 encoder_n_layers=2,
                 encoder_hidden_size=128,
                 context_size=10,
                 decoder_hidden_size=128,
                 decoder_layers=2,
                 max_steps=200,
                 futr_exog_list=['y_[lag12]'],
                 #hist_exog_list=['y_[lag12]'],
                 stat_exog_list=['airline1'],
                 )
    ],
    freq='M'
)
nf.fit(df=Y_train_df, static_df=AirPassengersStatic)
Y_hat_df = nf.predict(futr_df=Y_test_df)

Y_hat_df = Y_hat_df.reset_index(drop=False).drop(columns=['unique_id','ds'])
plot_df = pd.concat([Y_test_df, Y_hat_df], axis=1)
plot_df = pd.concat([Y_train_df, plot_df])

plot_df = plot_df[plot_df.unique_id=='Airline1'].drop('unique_id', axis=1)
plt.plot(plot_df['ds'], plot_df['y'], c='black', label='True')
plt.plot(plot_df['ds'], plot_df['LSTM'], c='purple', label='mean')
plt.plot(plot_df['ds'], plot_df['LSTM-median'], c='blue', label='median')
plt.fill_between(x=plot_df['ds'][-12:], 
                 y1=plot_df['LSTM-lo-90'][-12:].values, 
                 y2=plot_df['LSTM-hi-90'][-12:].values,
                 alpha=0.4, label='level 90')
plt.legend()
plt.grid()
plt.plot()

# --- Beyond the spec: how good is the forecast of the 12 held-out months? ---
from pathlib import Path

# `Y_hat_df` now holds the forecast columns in the row order of `Y_test_df` (as the spec's plot assumes)
held_out = pd.concat([Y_test_df, Y_hat_df[[c for c in Y_hat_df.columns if c.startswith('LSTM')]]], axis=1)
pd.set_option('display.width', 200)
print(held_out[['unique_id', 'ds', 'y', 'LSTM', 'LSTM-median', 'LSTM-lo-90', 'LSTM-hi-90']].to_string(index=False))

mae = (held_out['y'] - held_out['LSTM']).abs().groupby(held_out['unique_id']).mean()
print('\nMAE of the LSTM column over the 12 held-out months, per airline:')
print(mae.round(2).to_string())
inside = (held_out['y'] >= held_out['LSTM-lo-90']) & (held_out['y'] <= held_out['LSTM-hi-90'])
print(f'Share of held-out points inside the 90% interval: {inside.mean():.0%} ({inside.sum()} of {len(inside)})')

plt.title('Airline1: LSTM forecast of the last 12 months')
plt.xlabel('Month')
plt.ylabel('Passengers')
png = Path(__file__).resolve().with_name('air_passengers.png')
plt.savefig(png, dpi=120, bbox_inches='tight')
print(f'Plot written to {png}')
