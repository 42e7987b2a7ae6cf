__version__ = "0.0.1"

"""Forecast many time series at once with an LSTM. `NeuralForecast` is imported on first use, so that
`import lstmcast` stays fast; the models, losses and data live in their own modules."""

__all__ = ['NeuralForecast', 'PredictionIntervals']

def __getattr__(name):
    if name in __all__:
        from . import core
        return getattr(core, name)
    raise AttributeError(f"module 'lstmcast' has no attribute {name!r}")
