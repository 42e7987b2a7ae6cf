"""Forecasting networks: `LSTM`."""
from .lstm import LSTM

__all__ = ['LSTM']
