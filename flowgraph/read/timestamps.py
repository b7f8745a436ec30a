"""Convert flow-log ``start``/``end`` values to UTC timestamps.

AWS documents ``start`` and ``end`` as Unix **seconds**, but millisecond
values have been observed in the wild (flowlogs-reader handles them "contra
the docs").  The reader keeps the values exactly as given and counts the
suspicious ones (``ReadSummary.millisecond_timestamps``); convert them with
:func:`epoch_to_datetime`, which applies the same rule as flowlogs-reader:
a value greater than 2147483647 (the largest 32-bit second, 2038-01-19) is
taken as milliseconds, anything else as seconds.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

__all__ = ["epoch_to_datetime", "MS_THRESHOLD"]

MS_THRESHOLD = 2_147_483_647
"""Values above this are milliseconds."""


def _to_ms(values: pd.Series) -> pd.Series:
    ints = values.astype("Int64")
    return ints.where(ints > MS_THRESHOLD, ints * 1000)


def epoch_to_datetime(values):
    """Convert epoch ``start``/``end`` values (seconds or milliseconds) to UTC timestamps.

    Parameters
    ----------
    values : int, array-like or pandas.Series
        Epoch values; values > 2147483647 are milliseconds, others seconds.
        Missing values (``None``, ``pd.NA``) become ``NaT``.

    Returns
    -------
    pandas.Timestamp, pandas.DatetimeIndex or pandas.Series
        A ``Timestamp`` for a scalar, a ``Series`` (same index) for a
        ``Series``, a ``DatetimeIndex`` for anything else; all in UTC.

    Examples
    --------
    >>> epoch_to_datetime(1512564058)
    Timestamp('2017-12-06 12:40:58+0000', tz='UTC')
    >>> epoch_to_datetime(1512564058000)
    Timestamp('2017-12-06 12:40:58+0000', tz='UTC')
    >>> list(epoch_to_datetime([1418530010, None]).strftime("%H:%M:%S").fillna("NaT"))
    ['04:06:50', 'NaT']
    >>> s = pd.Series([1431280876, 1431280934000], dtype="Int64", index=["a", "b"])
    >>> epoch_to_datetime(s).dt.strftime("%Y-%m-%d %H:%M:%S").tolist()
    ['2015-05-10 18:01:16', '2015-05-10 18:02:14']
    """
    if values is None or values is pd.NA:
        return pd.NaT
    if isinstance(values, numbers.Integral) or (isinstance(values, np.generic) and np.isscalar(values)):
        value = int(values)
        ms = value if value > MS_THRESHOLD else value * 1000
        return pd.Timestamp(ms, unit="ms", tz="UTC")
    if isinstance(values, pd.Series):
        return pd.to_datetime(_to_ms(values), unit="ms", utc=True)
    series = pd.Series(list(values) if not isinstance(values, np.ndarray | pd.Index) else values,
                       dtype="Int64")
    return pd.DatetimeIndex(pd.to_datetime(_to_ms(series), unit="ms", utc=True))
