"""The inner loops of the patrol presence method (:mod:`geo.patrol`), compiled with numba.

One pass over a chunk of whole tracks does what took the NumPy version some fifty passes and a
pandas group-by: each track's sampling interval (the median of its gaps, by selection), the gaps
that count, the runs of counted intervals and each interval's speed window (two pointers walking
along the run), its displacement in metres and whether it is over its mode's limit. The cube's
accumulation (zone from the grid, local day and hour, the four sums) follows in the same kernel.

Everything that is not plain arithmetic on the arrays is left to the caller, which knows the
libraries: an interval with an end outside the fast projection's area (pyproj), a midpoint in a
grid cell crossed by a zone boundary (shapely), the exclusion areas (shapely). The caller passes
the working buffers (so NumPy's tracing sees the memory; the kernels allocate only a copy of a
track's gaps when its sampling is irregular, and a table of unit ids), and the kernels release the
GIL, so chunks run on several threads at once.

Window ends are compared in whole nanoseconds from the run's first ping (twice the midpoint
against twice the ping times, ± the window): exact, and the same however the pings are chunked.
"""

from __future__ import annotations

import numba as nb
import numpy as np

DAY_NS = 86_400 * 10**9
HOUR_NS = 3_600 * 10**9
KERNEL = nb.njit(nogil=True, cache=True, error_model="numpy")
STEP = nb.njit(nogil=True, cache=True, error_model="numpy", inline="always")
"""Small steps of the kernels, inlined into them (a call passing arrays costs their reference counts)."""


@KERNEL
def track_end(unit, t_ns, i):
    """The first ping at or after ``i`` that starts a track (a track: one unit's pings of one UTC
    day), or the number of pings; ``i`` > 0."""
    midnight = (t_ns[i - 1] // DAY_NS + 1) * DAY_NS
    while i < len(t_ns) and unit[i] == unit[i - 1] and t_ns[i] < midnight:
        i += 1
    return i


@KERNEL
def integer_ids(ids):
    """The lowest and highest of non-empty integer ids, and which of low..high occur (bool array)."""
    low, high = ids[0], ids[0]
    for value in ids:
        low, high = min(low, value), max(high, value)
    seen = np.zeros(np.int64(high) - np.int64(low) + 1 if high - low < 1 << 24 else 0, dtype=np.bool_)
    if len(seen):
        for value in ids:
            seen[value - low] = True
    return low, high, seen


@KERNEL
def sorted_by_unit_and_time(unit, t_ns, a, b):
    """Whether the pings ``a``..``b`` - 1 are grouped by ascending unit code and in time order within each unit."""
    for i in range(a + 1, b):
        if unit[i] < unit[i - 1] or (unit[i] == unit[i - 1] and t_ns[i] < t_ns[i - 1]):
            return False
    return True


@STEP
def first_at_least(t_ns, base, a, b, twice):
    """The first index in ``a``..``b`` - 1 whose ping is at least ``twice`` / 2 ns after ``base``
    (``b`` when none is): a binary search over a run's times."""
    while a < b:
        middle = (a + b) // 2
        if 2 * (t_ns[middle] - base) < twice:
            a = middle + 1
        else:
            b = middle
    return a


@KERNEL
def median_gap(t_ns, ts, te, scratch):
    """The median of the gaps over 0 between the pings ``ts``..``te`` - 1 (ns; 0.0 when there are
    none). A value held by more than half of them is the median (one pass, Boyer-Moore's majority
    vote: a unit pinging at a steady rate); otherwise it is selected from a copy in ``scratch``."""
    candidate, votes, inner = 0, 0, 0
    for i in range(ts, te - 1):
        dt = t_ns[i + 1] - t_ns[i]
        if dt > 0:
            inner += 1
            if votes == 0:
                candidate, votes = dt, 1
            elif dt == candidate:
                votes += 1
            else:
                votes -= 1
    if inner == 0:
        return 0.0
    held = 0
    for i in range(ts, te - 1):
        if t_ns[i + 1] - t_ns[i] == candidate:
            held += 1
    if 2 * held > inner:
        return np.float64(candidate)
    inner = 0
    for i in range(ts, te - 1):
        dt = t_ns[i + 1] - t_ns[i]
        if dt > 0:
            scratch[inner] = dt
            inner += 1
    return np.median(scratch[:inner])


@STEP
def longest_gap(t_ns, ts, te, scratch, gap_factor, max_gap_ns, cap_ns):
    """The longest gap that counts in the track of pings ``ts``..``te`` - 1 (ns): ``gap_factor`` ×
    its median gap, at least ``max_gap_ns``, at most ``cap_ns``."""
    return min(max(gap_factor * median_gap(t_ns, ts, te, scratch), max_gap_ns), cap_ns)


@STEP
def gap_counts(unit, t_ns, i, longest):
    """Whether the gap from ping ``i`` to the next counts: the same unit, time passing, at most ``longest`` (ns)."""
    dt = t_ns[i + 1] - t_ns[i]
    return unit[i] == unit[i + 1] and dt > 0 and np.float64(dt) <= longest


@KERNEL
def covered_steps(unit, t_ns, gap_factor, max_gap_ns, cap_ns, scratch, covered):
    """Whether the pings cover each step to the next ping (``covered``, one fewer than the pings):
    the same unit, time passing and at most the track's :func:`longest_gap` — the intervals
    :func:`interval_flags` counts, before exclusion areas and whatever the speed. ``scratch``:
    room for the longest track's gaps."""
    n = len(t_ns)
    ts = 0
    while ts < n - 1:
        te = track_end(unit, t_ns, ts + 1)
        longest = longest_gap(t_ns, ts, te, scratch, gap_factor, max_gap_ns, cap_ns)
        for i in range(ts, min(te, n - 1)):
            covered[i] = gap_counts(unit, t_ns, i, longest)
        ts = te


@KERNEL
def interval_flags(unit, t_ns, lon, lat, mode, begin, end, stop, excluded, gap_factor, max_gap_ns, cap_ns,
                   window_ns, limits, jacobian, box, scratch, counted_ns, fast, far, far_low, far_high):
    """For the intervals ``begin``..``stop`` - 1 (their first pings; the pings ``begin``..``end`` - 1
    are whole tracks): ``counted_ns`` (whole nanoseconds, 0 when the interval does not count) and
    ``fast`` (over its mode's limit, from the windowed displacement). Intervals with a window end
    outside ``box`` (lon/lat min, max) get ``fast`` False and are listed in ``far`` (their
    position in the chunk) with the window's ends in ``far_low``/``far_high``; the number listed
    is returned. ``excluded``: per interval, in an exclusion area (empty: none are)."""
    jee, jen, jne, jnn = jacobian[0], jacobian[1], jacobian[2], jacobian[3]
    minx, miny, maxx, maxy = box[0], box[1], box[2], box[3]
    has_exclusions = len(excluded) > 0
    n_far = 0
    ts = begin
    while ts < end:
        te = min(track_end(unit, t_ns, ts + 1), end)  # the track's end (exclusive)
        longest = longest_gap(t_ns, ts, te, scratch, gap_factor, max_gap_ns, cap_ns)
        last = min(te, stop)  # intervals ts..last-1 are this chunk's
        for i in range(ts, last):
            counts = gap_counts(unit, t_ns, i, longest) and not (has_exclusions and excluded[i - begin])
            counted_ns[i - begin] = np.float64(t_ns[i + 1] - t_ns[i]) if counts else 0.0
        # runs of counted intervals within the track, and each interval's window in its run
        rs = ts
        while rs < te:
            re = rs  # the run's last ping
            while re < te - 1 and re < stop and counted_ns[re - begin] > 0:
                re += 1
            base, low, high = t_ns[rs], rs, rs - 1
            for i in range(rs, min(re + 1, stop)):
                mid2 = (t_ns[i] - base) + (t_ns[i + 1] - base)  # twice the midpoint, from the run's start
                below, above = mid2 - window_ns, mid2 + window_ns
                if i < re:  # midpoints grow along the run: the pointers only move on
                    while low <= re and 2 * (t_ns[low] - base) < below:
                        low += 1
                    while high < re and 2 * (t_ns[high + 1] - base) <= above:
                        high += 1
                    lo, hi = low, high
                else:  # the run's last interval (to the next run or track): searched afresh
                    lo = first_at_least(t_ns, base, rs, re + 1, below)
                    hi = first_at_least(t_ns, base, rs, re + 1, above + 1) - 1
                lo = min(lo, i)
                hi = max(hi, i + 1)
                k = i - begin
                if (lon[lo] >= minx and lon[lo] <= maxx and lat[lo] >= miny and lat[lo] <= maxy
                        and lon[hi] >= minx and lon[hi] <= maxx and lat[hi] >= miny and lat[hi] <= maxy):
                    dlon, dlat = lon[hi] - lon[lo], lat[hi] - lat[lo]
                    east, north = jee * dlon + jen * dlat, jne * dlon + jnn * dlat
                    reach = limits[mode[i]] * np.float64(t_ns[hi] - t_ns[lo]) / 1e9
                    fast[k] = east * east + north * north > reach * reach
                else:
                    fast[k] = False
                    far[n_far], far_low[n_far], far_high[n_far] = k, lo, hi
                    n_far += 1
            rs = re + 1
        ts = te
    return n_far


@KERNEL
def hour_column(t0, offset_starts, offset_values, year_start, days):
    """The cube's column (local day × 24 + local hour) of the UTC instant ``t0``, -1 outside the
    year, and the UTC span [start, end) around ``t0`` that has the same column (one local hour
    within one UTC offset): callers keep it and look again only for an instant outside it."""
    j = min(max(np.searchsorted(offset_starts, t0, side="right") - 1, 0), len(offset_values) - 1)
    local = t0 + offset_values[j]
    day = (local - year_start) // DAY_NS
    column = day * 24 + (local // HOUR_NS) % 24 if 0 <= day < days else -1
    hour_start = local - local % HOUR_NS - offset_values[j]  # the local hour's start, in UTC
    start = max(hour_start, offset_starts[j]) if j > 0 else hour_start
    end = min(hour_start + HOUR_NS, offset_starts[j + 1]) if j + 1 < len(offset_starts) else hour_start + HOUR_NS
    return column, start, end


@STEP
def grid_index(x, y, x0, y0, scale_x, scale_y, nx, ny):
    """The cell of a point in a :class:`geo.zones.ZoneGrid`'s flattened cells (points beyond the
    grid and NaN: its outer ring, which lies outside every zone)."""
    if not (x == x and y == y):
        return 0
    fx = min(max((x - x0) * scale_x, -1.0), np.float64(nx))
    fy = min(max((y - y0) * scale_y, -1.0), np.float64(ny))
    return min(max(int(fy), 0), ny - 1) * nx + min(max(int(fx), 0), nx - 1)


@STEP
def sum_row(fast, vehicle):
    """The row of the cube's sums an interval's time goes to: 0 visible presence (and, × crew,
    1 officer time), 2 drive-through, 3 vehicle presence."""
    return 2 if fast else 3 if vehicle else 0


@KERNEL
def add_intervals(sums, index, zone, t_ns, counted_ns, fast, vehicles, mode, crew, offset_starts, offset_values,
                  year_start, days):
    """Add the counted intervals ``index`` (first pings) to the cube's ``sums`` (rows: see
    :func:`sum_row`; columns: zone × days × 24 + :func:`hour_column`), with their ``counted_ns``,
    ``fast`` and ``zone`` rows given in the same order."""
    start, end, column = 1, 0, -1
    for n in range(len(index)):
        i = index[n]
        if not (start <= t_ns[i] < end):
            column, start, end = hour_column(t_ns[i], offset_starts, offset_values, year_start, days)
        if column >= 0:
            key = zone[n] * days * 24 + column
            row = sum_row(fast[n], vehicles[mode[i]])
            sums[row, key] += counted_ns[n]
            if row == 0:
                sums[1, key] += counted_ns[n] * np.float64(crew[i])


@KERNEL
def cube_chunk(unit, t_ns, lon, lat, mode, crew, begin, end, stop, excluded, gap_factor, max_gap_ns, cap_ns, window_ns,
               limits, vehicles, jacobian, box, grid_origin, grid_scale, nx, ny, cells, outside_row, offset_starts,
               offset_values, year_start, days, sums, scratch, counted_ns, fast, far, far_low, far_high,
               deferred):
    """Accumulate a chunk of whole tracks into ``sums`` (see :func:`add_interval`). Counted
    intervals with a window end outside the fast projection (``far``) or a midpoint in a boundary
    cell of the grid are not added but listed in ``deferred`` (their positions in the chunk);
    returns (number deferred, number far) — the caller settles them exactly."""
    n_far = interval_flags(unit, t_ns, lon, lat, mode, begin, end, stop, excluded, gap_factor, max_gap_ns, cap_ns,
                           window_ns, limits, jacobian, box, scratch, counted_ns, fast, far, far_low, far_high)
    start, end_, column = 1, 0, -1
    x0, y0, scale_x, scale_y = grid_origin[0], grid_origin[1], grid_scale[0], grid_scale[1]
    n_deferred, next_far = 0, 0  # (far lists the far intervals in chunk order)
    for k in range(stop - begin):
        is_far = next_far < n_far and far[next_far] == k
        if is_far:
            next_far += 1
        counted = counted_ns[k]
        if counted == 0.0:
            continue
        i = begin + k
        zone = cells[grid_index(lon[i] + 0.5 * (lon[i + 1] - lon[i]), lat[i] + 0.5 * (lat[i + 1] - lat[i]),
                                x0, y0, scale_x, scale_y, nx, ny)]
        if is_far or zone == -2:
            deferred[n_deferred] = k
            n_deferred += 1
            continue
        t0 = t_ns[i]
        if not (start <= t0 < end_):
            column, start, end_ = hour_column(t0, offset_starts, offset_values, year_start, days)
        if column >= 0:
            key = (outside_row if zone < 0 else zone) * days * 24 + column
            row = sum_row(fast[k], vehicles[mode[i]])
            sums[row, key] += counted
            if row == 0:
                sums[1, key] += counted * np.float64(crew[i])
    return n_deferred, n_far
