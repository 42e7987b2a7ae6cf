"""Forecasting networks: `LSTM`."""
from .lstm import LSTM
from ..utils import add_param_docs

add_param_docs(LSTM)   # help(LSTM) lists the parameters with the comments of their signature

__all__ = ['LSTM']
