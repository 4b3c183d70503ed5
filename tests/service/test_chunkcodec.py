"""The ping chunks' column codec (service/store/chunkcodec.py): any column of 1 or 8 bytes a value
comes back bit for bit, a blob that does not hold the values its row says is an error, and columns
of the earlier format (a zlib stream of the plain array) still read."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from service.store.chunkcodec import pack, unpack

DTYPES = st.sampled_from([np.dtype(np.int64), np.dtype(np.float64), np.dtype(np.uint8)])


@settings(max_examples=60, deadline=None)
@given(DTYPES.flatmap(lambda dtype: hnp.arrays(dtype, st.integers(0, 3000))))
def test_every_column_comes_back_bit_for_bit(values):
    blob = pack(values)
    assert blob[:4] == b"\x28\xb5\x2f\xfd"  # a zstd frame
    back = unpack(blob, values.dtype, len(values))
    assert back.dtype == values.dtype and back.tobytes() == values.tobytes()  # NaN, -0.0 and all
    into = np.full(len(values) + 2, 7, dtype=values.dtype)
    unpack(blob, values.dtype, len(values), into[1:-1])
    assert into[1:-1].tobytes() == values.tobytes() and into[0] == into[-1] == 7


def test_positions_pack_smaller_and_times_to_almost_nothing():
    rng = np.random.default_rng(3)
    lon = 12.858 + np.cumsum(rng.normal(0, 1e-5, 3600))  # a synthetic hour of a walk at 1 Hz
    steps = np.full(3600, 10**9, dtype=np.int64)
    assert len(pack(lon)) < 0.75 * lon.nbytes and len(pack(steps)) < 100


@pytest.mark.parametrize("n", [99, 101, 0])
def test_a_blob_that_does_not_hold_its_rows_count_is_an_error(n):
    blob = pack(np.arange(100, dtype=np.float64))
    with pytest.raises(ValueError, match="stored column"):
        unpack(blob, np.float64, n)
    with pytest.raises(ValueError, match="does not unpack"):
        unpack(blob[:len(blob) // 2], np.float64, 100)


def test_columns_of_the_earlier_format_still_read():
    values = np.linspace(12.85, 12.86, 500)
    assert np.array_equal(unpack(zlib.compress(values.tobytes(), 1), np.float64, 500), values)
    with pytest.raises(ValueError, match="its row says"):
        unpack(zlib.compress(values.tobytes(), 1), np.float64, 499)


def test_columns_of_other_widths_byte_orders_or_shapes_are_refused():
    blob = pack(np.arange(5, dtype=np.float64))
    for values in (np.arange(5, dtype=np.int32), np.arange(5.0).astype(">f8")):
        with pytest.raises(ValueError, match="1 or 8 bytes in this machine's byte order"):
            pack(values)
    for out in (np.empty(10), np.empty(5, dtype=np.int64), np.empty(10)[::2]):
        with pytest.raises(ValueError, match="cannot unpack 5 values"):
            unpack(blob, np.float64, 5, out)
