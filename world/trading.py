"""Numba kernels of the investor population: a whole quarter of trading in one call.

One row per investor. The rows are cut into fixed blocks (:func:`block_bounds`: the
cut depends only on the number of investors, never on the number of threads); the
blocks of a pass run on all cores (``numba.prange``) and each block sums its own
fills, which are then added up block by block, in block order. So a seed gives the
same bits whatever ``numba.set_num_threads`` says, and a population of at most
:data:`BLOCK` investors (one block) is summed in plain investor order. An investor's
listed assets are the lanes of one SIMD vector (:class:`Lanes`), computed with the
same operations in the same order as one asset at a time (:func:`_trade_range`).
The kernels hold no state and draw no random numbers (the caller passes its draws
in). Called by :class:`agents.investors.InvestorPopulation`.
"""

from __future__ import annotations

import os

# Threads that wait for the other blocks of a pass sleep instead of spinning (GNU
# OpenMP's default): on a shared or busy machine spinning threads burn the cores the
# other blocks need, and a pass took four times as long on two threads as on one.
# Read when numba starts its threads; set OMP_WAIT_POLICY yourself to override.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import math  # noqa: E402
import operator  # noqa: E402

import numpy as np  # noqa: E402
from llvmlite import ir  # noqa: E402
from numba import njit, prange, types  # noqa: E402
from numba.core import cgutils  # noqa: E402
from numba.extending import (  # noqa: E402
    intrinsic,
    models,
    overload,
    register_jitable,
    register_model,
)

__all__ = [
    "BLOCK",
    "block_bounds",
    "passes_per_quarter",
    "portfolio_values",
    "record_parts",
    "record_size",
    "scratch_parts",
    "scratch_size",
    "tanh",
    "trade_quarter_kernel",
]

BLOCK = 32_768
"""Investors per block at most; a population of up to ``BLOCK`` investors is one block."""


# --------------------------------------------------------------------------- lanes
# One investor's listed assets are one SIMD vector (``<n_listed x double>``): the
# fills, orders and running sums of all its assets are computed lane by lane, with
# the same IEEE operations in the same order as one asset at a time, so the bits do
# not change. The number of lanes is the length of the tuple of listed columns, so it
# is known when a kernel is compiled (one compiled kernel per number of listed assets).


class Lanes(types.Type):
    """``n`` float64 values, one per listed asset, held as one vector ``<n x double>``."""

    def __init__(self, n):
        self.n = n
        super().__init__(name=f"Lanes({n})")


class LaneMask(types.Type):
    """``n`` booleans, one per listed asset (``<n x i1>``)."""

    def __init__(self, n):
        self.n = n
        super().__init__(name=f"LaneMask({n})")


@register_model(Lanes)
class _LanesModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, ir.VectorType(ir.DoubleType(), fe_type.n))


@register_model(LaneMask)
class _LaneMaskModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, ir.VectorType(ir.IntType(1), fe_type.n))


def _item_ptr(context, builder, aryty, ary, idx):
    """Pointer to ``ary[idx]`` (indices known to be in range and not negative)."""
    arr = context.make_array(aryty)(context, builder, ary)
    return cgutils.get_item_pointer(context, builder, aryty, arr, idx, wraparound=False)


def _c_rows(arr, ndim):
    """Whether ``arr`` is a C-contiguous float64 array of ``ndim`` dimensions (unit-stride rows)."""
    return (
        isinstance(arr, types.Array)
        and arr.ndim == ndim
        and arr.layout == "C"
        and arr.dtype == types.float64
    )


def _float_matrix(arr):
    """Whether ``arr`` is a 2-D float64 array (any strides)."""
    return isinstance(arr, types.Array) and arr.ndim == 2 and arr.dtype == types.float64


def _vector_ptr(builder, ptr, n):
    return builder.bitcast(ptr, ir.VectorType(ir.DoubleType(), n).as_pointer())


@intrinsic
def _at(typingctx, arr, i):
    """``arr[i]`` of a 1-D array, ``i`` in range and not negative: no wraparound.

    numba's ``arr[i]`` with a signed ``i`` it cannot prove non-negative (here every
    investor index: the loops start at a block's bound) fixes up a negative ``i`` on
    every access, a compare and a select; in these loops that work sat on the same ports
    as the vector arithmetic. The kernels index only within ``0..n-1``.
    """
    if not (isinstance(arr, types.Array) and arr.ndim == 1):
        return None

    def codegen(context, builder, sig, args):
        return builder.load(_item_ptr(context, builder, sig.args[0], args[0], [args[1]]))

    return arr.dtype(arr, types.intp), codegen


@intrinsic
def _at2(typingctx, arr, i, j):
    """``arr[i, j]`` of a 2-D array, both in range and not negative (as :func:`_at`)."""
    if not (isinstance(arr, types.Array) and arr.ndim == 2):
        return None

    def codegen(context, builder, sig, args):
        ptr = _item_ptr(context, builder, sig.args[0], args[0], [args[1], args[2]])
        return builder.load(ptr)

    return arr.dtype(arr, types.intp, types.intp), codegen


@intrinsic
def _set_at(typingctx, arr, i, v):
    """``arr[i] = v`` of a 1-D array, ``i`` in range and not negative (as :func:`_at`)."""
    if not (isinstance(arr, types.Array) and arr.ndim == 1):
        return None

    def codegen(context, builder, sig, args):
        val = context.cast(builder, args[2], sig.args[2], arr.dtype)
        builder.store(val, _item_ptr(context, builder, sig.args[0], args[0], [args[1]]))
        return context.get_dummy_value()

    return types.void(arr, types.intp, arr.dtype), codegen


@intrinsic
def _row(typingctx, arr, i, start, like):
    """``arr[i, start:start + len(like)]`` of a C-contiguous 2-D float64 array, as lanes."""
    if not (_c_rows(arr, 2) and isinstance(like, types.BaseTuple)):
        return None
    n = len(like)

    def codegen(context, builder, sig, args):
        ptr = _item_ptr(context, builder, sig.args[0], args[0], [args[1], args[2]])
        return builder.load(_vector_ptr(builder, ptr, n), align=8)

    return Lanes(n)(arr, types.intp, types.intp, like), codegen


@intrinsic
def _prefetch(typingctx, arr, i):
    """Ask the core to fetch the cache line of row ``i`` of a C-contiguous array, for writing.

    A hint (``llvm.prefetch``, ``prefetchw`` on x86): no result, no fault, the bits of
    every value unchanged.
    """
    if not (isinstance(arr, types.Array) and arr.layout == "C"):
        return None

    def codegen(context, builder, sig, args):
        ary = context.make_array(sig.args[0])(context, builder, args[0])
        byte = ir.IntType(8).as_pointer()
        offset = builder.mul(args[1], builder.extract_value(ary.strides, 0))
        ptr = builder.gep(builder.bitcast(ary.data, byte), [offset])
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [byte, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        # write, keep in every cache level, data
        builder.call(fn, [ptr, ir.Constant(i32, 1), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return types.void(arr, types.intp), codegen


@intrinsic
def _set_row(typingctx, arr, i, start, v):
    """``arr[i, start:start + n] = v``."""
    if not (_c_rows(arr, 2) and isinstance(v, Lanes)):
        return None

    def codegen(context, builder, sig, args):
        ptr = _item_ptr(context, builder, sig.args[0], args[0], [args[1], args[2]])
        builder.store(args[3], _vector_ptr(builder, ptr, v.n), align=8)
        return context.get_dummy_value()

    return types.void(arr, types.intp, types.intp, v), codegen


@intrinsic
def _lanes(typingctx, arr, like):
    """The first ``len(like)`` values of a 1-D float64 array, as lanes."""
    if not (_c_rows(arr, 1) and isinstance(like, types.BaseTuple)):
        return None
    n = len(like)

    def codegen(context, builder, sig, args):
        zero = context.get_constant(types.intp, 0)
        ptr = _item_ptr(context, builder, sig.args[0], args[0], [zero])
        return builder.load(_vector_ptr(builder, ptr, n), align=8)

    return Lanes(n)(arr, like), codegen


@intrinsic
def _cols(typingctx, arr, i, cols):
    """``arr[i, cols[j]]`` for every lane ``j`` (2-D float64 array, integer tuple)."""
    if not (_float_matrix(arr) and isinstance(cols, types.UniTuple)):
        return None
    n = len(cols)

    def codegen(context, builder, sig, args):
        v = ir.Constant(ir.VectorType(ir.DoubleType(), n), None)
        for j in range(n):
            col = builder.extract_value(args[2], j)
            ptr = _item_ptr(context, builder, sig.args[0], args[0], [args[1], col])
            v = builder.insert_element(v, builder.load(ptr), ir.Constant(ir.IntType(32), j))
        return v

    return Lanes(n)(arr, types.intp, cols), codegen


@intrinsic
def _set_cols(typingctx, arr, i, cols, v):
    """``arr[i, cols[j]] = v[j]`` for every lane ``j``."""
    if not (_float_matrix(arr) and isinstance(cols, types.UniTuple)):
        return None
    if not (isinstance(v, Lanes) and v.n == len(cols)):
        return None

    def codegen(context, builder, sig, args):
        for j in range(v.n):
            col = builder.extract_value(args[2], j)
            ptr = _item_ptr(context, builder, sig.args[0], args[0], [args[1], col])
            builder.store(builder.extract_element(args[3], ir.Constant(ir.IntType(32), j)), ptr)
        return context.get_dummy_value()

    return types.void(arr, types.intp, cols, v), codegen


@intrinsic
def _splat(typingctx, x, like):
    """``len(like)`` lanes, each ``x``."""
    if not isinstance(like, types.BaseTuple):
        return None
    n = len(like)

    def codegen(context, builder, sig, args):
        vty = ir.VectorType(ir.DoubleType(), n)
        v = builder.insert_element(ir.Constant(vty, None), args[0], ir.Constant(ir.IntType(32), 0))
        return builder.shuffle_vector(
            v, ir.Constant(vty, None), ir.Constant(ir.VectorType(ir.IntType(32), n), [0] * n)
        )

    return Lanes(n)(types.float64, like), codegen


@intrinsic
def _n_lanes(typingctx, v):
    """The number of lanes of ``v`` (known when the kernel is compiled)."""
    if not isinstance(v, Lanes):
        return None

    def codegen(context, builder, sig, args):
        return context.get_constant(types.intp, v.n)

    return types.intp(v), codegen


@intrinsic
def _lane(typingctx, v, j):
    """Lane ``j`` of ``v``."""
    if not isinstance(v, Lanes):
        return None
    return types.float64(v, types.intp), lambda ctx, b, sig, args: b.extract_element(*args)


@intrinsic
def _with_lane(typingctx, v, j, x):
    """``v`` with lane ``j`` set to ``x``."""
    if not isinstance(v, Lanes):
        return None

    def codegen(context, builder, sig, args):
        return builder.insert_element(args[0], args[2], args[1])

    return v(v, types.intp, types.float64), codegen


@intrinsic
def _greater(typingctx, a, b):
    """``a > b`` lane by lane (false where either is NaN, as ``>`` on floats)."""
    if not (isinstance(a, Lanes) and a == b):
        return None

    def codegen(context, builder, sig, args):
        return builder.fcmp_ordered(">", args[0], args[1])

    return LaneMask(a.n)(a, b), codegen


@intrinsic
def _any_above(typingctx, a, b):
    """Whether ``a > b`` in some lane, or either is NaN there (``fcmp ugt``, then any lane).

    One compare into a mask register and one test of it: no sum across the lanes.
    """
    if not (isinstance(a, Lanes) and a == b):
        return None

    def codegen(context, builder, sig, args):
        above = builder.fcmp_unordered(">", args[0], args[1])
        bits = builder.bitcast(above, ir.IntType(a.n))
        return builder.icmp_unsigned("!=", bits, ir.Constant(ir.IntType(a.n), 0))

    return types.boolean(a, b), codegen


@intrinsic
def _where(typingctx, mask, a, b):
    """``a`` in the lanes where ``mask`` holds, ``b`` elsewhere."""
    if not (isinstance(mask, LaneMask) and isinstance(a, Lanes) and a == b):
        return None
    return a(mask, a, b), lambda context, builder, sig, args: builder.select(*args)


@intrinsic
def _fabs(typingctx, a):
    """``abs(a)`` lane by lane."""
    if not isinstance(a, Lanes):
        return None

    def codegen(context, builder, sig, args):
        fnty = ir.FunctionType(args[0].type, [args[0].type])
        fn = cgutils.get_or_insert_function(builder.module, fnty, f"llvm.fabs.v{a.n}f64")
        return builder.call(fn, [args[0]])

    return a(a), codegen


@intrinsic
def _loose_sum(typingctx, a):
    """The sum of the lanes of ``a``, added in any order (for bounds only, never for results).

    Added two lanes at a time (lanes 0-1, plus 2-3, plus 4-5, ...), then the two halves:
    short SSE adds within the register's low lanes, where LLVM's own reduction of a
    6-lane vector first pads it to 8 lanes with a cross-lane permute.
    """
    if not isinstance(a, Lanes):
        return None
    n = a.n

    def codegen(context, builder, sig, args):
        v = args[0]
        i32 = ir.IntType(32)

        def lane(j):
            return builder.extract_element(v, ir.Constant(i32, j))

        if n == 1:
            return lane(0)

        def pair(j):
            return builder.shuffle_vector(
                v, ir.Constant(v.type, None), ir.Constant(ir.VectorType(i32, 2), [j, j + 1])
            )

        acc = pair(0)
        for j in range(2, n - 1, 2):
            acc = builder.fadd(acc, pair(j))
        total = builder.fadd(
            builder.extract_element(acc, ir.Constant(i32, 0)),
            builder.extract_element(acc, ir.Constant(i32, 1)),
        )
        return builder.fadd(total, lane(n - 1)) if n % 2 else total

    return types.float64(a), codegen


def _lanes_op(name):
    """An intrinsic applying the IR instruction ``name`` to two lanes (a lane-wise op)."""

    @intrinsic
    def op(typingctx, a, b):
        if not (isinstance(a, Lanes) and a == b):
            return None

        def codegen(context, builder, sig, args):
            return getattr(builder, name)(args[0], args[1])

        return a(a, b), codegen

    return op


def _overload_lanes(operator_fn, lanes_fn):
    @overload(operator_fn)
    def ol(a, b):
        if isinstance(a, Lanes) and isinstance(b, Lanes):
            return lambda a, b: lanes_fn(a, b)


for _operator, _instruction in (
    (operator.add, "fadd"),
    (operator.sub, "fsub"),
    (operator.mul, "fmul"),
    (operator.truediv, "fdiv"),
):
    _overload_lanes(_operator, _lanes_op(_instruction))


@intrinsic
def _fneg(typingctx, a):
    if not isinstance(a, Lanes):
        return None
    return a(a), lambda context, builder, sig, args: builder.fneg(args[0])


@overload(operator.neg)
def _ol_neg(a):
    if isinstance(a, Lanes):
        return lambda a: _fneg(a)


# --------------------------------------------------------------------------- tanh
# numba compiles ``np.tanh`` to a call of the C library's ``tanh``, one value at a time
# (8 ns a value on the Xeon we measure on); a loop calling it cannot use the core's
# vector units. :func:`tanh` is made of multiplications, additions, one division and
# bit operations, with no branch, so LLVM vectorises a loop over an array of
# arguments (2.6 ns a value on the same machine). It is within 4 ulp of the C
# library's ``tanh`` over the whole real line (``tests/test_tanh.py``), odd, and exact
# at 0, ±inf and NaN. (It lives here, not in a module of its own: numba's cache of a
# kernel is renewed when the kernel's own file changes, not when a file it inlines does.)
#
# Method: for ``a = |x|`` (at most 20, beyond which ``tanh`` rounds to 1),
# ``tanh(a) = e / (e + 2)`` with ``e = expm1(2a)``; ``expm1(y) = 2^k (expm1(r) + 1) − 1``
# with ``k = round(y / ln 2)`` and ``r = y − k ln 2`` (a two-part ``ln 2``, Cody and
# Waite), ``|r| ≤ ln 2 / 2``; ``expm1(r)`` by its Taylor series to ``r^13`` (the first
# term left out is below 1.2e-17 of it) by Estrin's scheme (short chains of dependent
# operations, which the vectorised loop overlaps). ``2^k`` is built from its bits. Both
# terms of ``2^k · expm1(r) + (2^k − 1)`` are non-negative, so nothing cancels.

LN2_HI = 6.93147180369123816490e-01
"""The leading bits of ln 2 (fdlibm's ``ln2_hi``): ``k · LN2_HI`` is exact for |k| < 2^20."""
LN2_LO = 1.90821492927058770002e-10
"""ln 2 less :data:`LN2_HI` (fdlibm's ``ln2_lo``)."""
INV_LN2 = 1.0 / math.log(2.0)
SATURATES = 20.0
"""``|x|`` from which ``tanh(x)`` is ±1 in double precision (1 − tanh(20) ≈ 8e-18)."""
_C = tuple(1.0 / math.factorial(i) for i in range(2, 14))
C2, C3, C4, C5, C6, C7, C8, C9, C10, C11, C12, C13 = _C  # Taylor coefficients of expm1


@intrinsic
def _float_from_bits(typingctx, bits):
    """The float64 whose IEEE bits are the int64 ``bits``."""
    if bits != types.int64:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def _divide(typingctx, a, b):
    """``a / b`` of two floats as the IEEE division alone (numba's ``/`` first tests ``b``)."""
    if a != types.float64 or b != types.float64:
        return None

    def codegen(context, builder, sig, args):
        return builder.fdiv(args[0], args[1])

    return types.float64(types.float64, types.float64), codegen


@njit(cache=True, inline="always")
def tanh(x):  # pragma: no cover - compiled
    """``tanh(x)`` to within 4 ulp of the C library's, in operations a loop can vectorise."""
    a = abs(x)
    a = a if a < SATURATES else SATURATES  # NaN: SATURATES, and NaN is returned below
    y = a + a
    k = int(y * INV_LN2 + 0.5)  # y ≥ 0: the truncation rounds to nearest
    kf = float(k)
    r = (y - kf * LN2_HI) - kf * LN2_LO
    r2 = r * r
    r4 = r2 * r2
    r8 = r4 * r4
    s0 = (C2 + C3 * r) + (C4 + C5 * r) * r2
    s1 = (C6 + C7 * r) + (C8 + C9 * r) * r2
    s2 = (C10 + C11 * r) + (C12 + C13 * r) * r2
    expm1_r = r + r2 * ((s0 + s1 * r4) + s2 * r8)
    scale = _float_from_bits((k + 1023) << 52)  # 2^k, 0 ≤ k ≤ 58
    e = scale * expm1_r + (scale - 1.0)  # expm1(2a) ≥ 0
    t = math.copysign(_divide(e, e + 2.0), x)
    return t if x == x else x


@njit(cache=True, inline="always")
def _vmax(a, b):  # pragma: no cover - compiled
    """``max(a, b)`` lane by lane, as numba compiles ``max`` on floats: ``b if b > a else a``."""
    return _where(_greater(b, a), b, a)


def passes_per_quarter(sub_rounds: int) -> int:
    """Full passes over the investor rows per quarter: one per sub-round and the last fills.

    (The news and the close ride on the first and the last pass; one more light pass
    reads only the sentiment column for its spread.)
    """
    return sub_rounds + 1


@njit(cache=True)
def block_bounds(n):  # pragma: no cover - compiled
    """Start of each block and the end of the last (``n_blocks + 1`` values).

    One block up to :data:`BLOCK` investors; otherwise an even number of blocks of
    equal size (± 1), ``ceil(n / BLOCK)`` rounded up to even, so two threads share
    the work evenly. Depends on ``n`` only.
    """
    nb = 1
    if n > BLOCK:
        nb = (n + BLOCK - 1) // BLOCK
        nb += nb % 2
    out = np.empty(nb + 1, dtype=np.int64)
    for b in range(nb + 1):
        out[b] = (b * n) // nb
    return out


@njit(cache=True, inline="always")
def _investor_value(holdings, cash, price, news, i):  # pragma: no cover - compiled
    """Investor ``i``'s wealth (USD bn) and the value-weighted news of its portfolio."""
    v = 0.0
    s = 0.0
    for j in range(holdings.shape[1]):
        x = _at2(holdings, i, j) * price[j]
        v += x
        s += x * news[j]
    return _at(cash, i) + v, (s / v if v > 0.0 else 0.0)


@njit(cache=True)
def portfolio_values(holdings, cash, price, news, out_wealth, out_news):  # pragma: no cover
    """Per investor: wealth ``cash + holdings @ price`` (USD bn) and value-weighted news."""
    for i in range(holdings.shape[0]):
        out_wealth[i], out_news[i] = _investor_value(holdings, cash, price, news, i)


CASH_MARGIN = 1.0 + 2.0**-30
"""Nothing is capped by cash if the cash is at least this many times the buys' total
cost. Fills and orders together: an investor whose cash before its fills covers the
pending buys' cost plus the new buys' cost times this margin can neither have a fill
capped (the cash after the fills of assets ``0..j`` covers the next buy) nor a new buy
(the cash after every fill, less what the buys of assets ``0..j-1`` reserve, covers
buy ``j``). Rounding included: the sums are of at most a few dozen non-negative terms,
each rounding off less than ``2**-52`` of the cash, far inside the margin's ``2**-30``
of it; sells only add cash, and rounding is monotone, so they cannot make a check fail
that held without them. The exact asset-by-asset checks can then be skipped without
changing a bit. NaN fails the test and takes the exact checks; so does negative cash.
The same holds of the least cash after the fills against the new buys alone. The
trading pass tests exactly this (:func:`_trade_range`: ``CASH_MARGIN`` times the sum of
the buys' costs, added in any order, at most the cash); the sum's own rounding, a few
``2**-53`` of it, is far inside the margin.

Before the sum, a cheaper test that implies it: every buy's cost at most
``fl(cash × s)``, with ``s = fl(1 / (n_lanes × CASH_MARGIN))`` (one compare of all the
lanes, no sum across them). Each of the two roundings is at most ``2**-53`` of its value,
so ``CASH_MARGIN`` times the buys' exact total is at most ``cash × (1 + 2**-53)**2``: the
cash covers the total by the margin, up to a few ``2**-53``, as above. Negative cash
fails it (a cost is never below a negative bound; ``-0.0`` passes, as the sum's test
does), and NaN fails it (an unordered compare). The sum is taken only when it fails, so
no investor is sent to the caps that the sum's test would pass. With the sum alone
(three shuffles and three adds, for every investor) a sub-round at 1e6 investors on two
threads took 7.7-8.0 against 6.7-7.3 ns an investor (measured before the rows were asked
for ahead, :data:`AHEAD`); a test of each buy with no sum after it sent twice as many
investors to the caps (10 % of investor-passes of the baseline at 1,000 investors
against 5 %)."""


AHEAD = 64
"""Investors ahead of the one trading whose holdings and pending rows the trading loop asks
the core to fetch (:func:`_prefetch`). The core's own prefetcher stops at every 4 KiB
page, which these rows (48 and 56 B) cross every 73-85 investors; asked for 64 rows
ahead, a sub-round at 1e6 investors on two threads took 3.6-4.0 against 6.9-7.5 ns an
investor (32 and 128 rows ahead: within 5 % of 64; also asking for the cash, capacity
and tilt: no faster)."""


@njit(cache=True, inline="always")
def _is_span(cols):  # pragma: no cover - compiled
    """Whether the columns ``cols`` are consecutive (one vector load of a row)."""
    for j in range(len(cols)):
        if cols[j] != cols[0] + j:
            return False
    return True


@njit(cache=True, inline="always")
def _capped(c, h, q, amount, order, price_l, zero, do_order):  # pragma: no cover - compiled
    """One investor's fills and new order, each buy capped by the cash, asset by asset.

    ``c`` is its cash, ``h`` its holdings, ``q`` its fills (shares) and ``amount``
    their cost (USD bn) before any cash cap, ``order`` its new order before the holding
    cap (``do_order``); ``zero`` is lanes of zeros. Returns the cash after the fills,
    the holdings, the fills, their cost and the new order, as :func:`_trade_range`
    describes.
    """
    cash0 = c
    c_min = np.inf  # the least cash after any fill
    for j in range(_n_lanes(q)):  # the cash in hand, asset by asset
        a = _lane(amount, j)
        if a > c:
            a = max(c, 0.0)
            amount = _with_lane(amount, j, a)
            q = _with_lane(q, j, a / _lane(price_l, j))
        c -= a
        c_min = min(c_min, c)
    h = h + q
    d = zero
    if do_order:
        d = _vmax(order, -h)
        cost = _vmax(d, zero) * price_l
        if not c_min >= CASH_MARGIN * _loose_sum(cost):  # a buy may be capped
            c_j = cash0  # the cash after the fills of assets 0..j, as above
            reserved = 0.0
            for j in range(_n_lanes(q)):
                c_j -= _lane(amount, j)
                k = _lane(cost, j)
                if k > c_j - reserved:
                    k = max(c_j - reserved, 0.0)
                    d = _with_lane(d, j, k / _lane(price_l, j))
                reserved += k
    return c, h, q, amount, d


@njit(cache=True, inline="always")
def _plan(
    i, types, capacity, tilt, holdings, pending, listed, price_l, fill_l, float_l, signal,
    do_order, partial_fill, span, zero,
):  # fmt: skip  # pragma: no cover - compiled
    """Investor ``i``'s fills and new order before any cash cap (the vector half of a pass).

    Returns its holdings ``h``, its fills ``q`` (shares) and their cost ``amount``, the
    holdings after the fills, its new order before (``order``) and after (``d``) the
    holding cap (zero unless ``do_order``), and ``buys``, the cost of each buy, pending
    and new (all lanes). A buy is scaled by ``fill`` only if some lane of it is below 1
    (``partial_fill``): ``q * 1.0`` is ``q``.
    """
    h = _row(holdings, i, listed[0], listed) if span else _cols(holdings, i, listed)
    q = _vmax(_row(pending, i, 0, listed), -h)
    if partial_fill:
        q = _where(_greater(q, zero), q * fill_l, q)
    amount = q * price_l
    h_new = h + q
    buys = _vmax(amount, zero)
    order = zero
    d = zero
    if do_order:
        outlook = _row(signal, _at(types, i), 0, listed) + _splat(_at(tilt, i), listed)
        order = _splat(_at(capacity, i), listed) * float_l * outlook
        d = _vmax(order, -h_new)
        buys = buys + _vmax(d, zero) * price_l
    return h, q, amount, h_new, order, d, buys


@njit(cache=True, inline="always")
def _take_news(i, types, holdings, cash, tilt, opening):  # pragma: no cover - compiled
    """Investor ``i`` at the open: head count, wealth, news into sentiment, tilt; its sentiment.

    ``opening`` is ``(sentiment, prices, news, wealth0, counts, news_sensitivity,
    sentiment_tilt)``: sentiment moves by ``news_sensitivity`` times the value-weighted
    news of the investor's portfolio, clipped to [−1, 1], and tilts its orders by
    ``sentiment_tilt`` times itself.
    """
    sentiment, prices, news, wealth0, counts, ns, kappa = opening
    counts[_at(types, i)] += 1
    w, weighted_news = _investor_value(holdings, cash, prices, news, i)
    _set_at(wealth0, i, w)
    si = _at(sentiment, i) + ns * weighted_news
    si = min(max(si, -1.0), 1.0)
    _set_at(sentiment, i, si)
    _set_at(tilt, i, kappa * si)
    return si


@njit(cache=True)
def _trade_range(
    lo, hi, types, capacity, tilt, holdings, cash, pending, listed, price, fill, float_shares,
    signal, do_order, sums, opening=None,
):  # fmt: skip  # pragma: no cover - compiled
    """Investors ``lo..hi-1`` in turn fill their pending orders at ``price``, then place new ones.

    With ``opening`` — ``(sentiment, prices, news, wealth0, counts, news_sensitivity,
    sentiment_tilt)`` — each investor first takes the news of the first pass
    (:func:`_open_block`: its head count, wealth at the open, sentiment and tilt),
    and the sum of the new sentiments is returned (0.0 without: the branch is
    compiled away when ``opening`` is ``None``).

    Per listed asset ``j`` (one lane of a vector each; ``listed`` holds their columns
    of ``holdings``): the pending order is filled at ``price[j]``, a sell capped by
    the holding, a buy scaled by the market maker's ``fill[j]`` (1 unless it would go
    short beyond its limit) and capped by the cash in hand, asset by asset in asset
    order; then, if ``do_order``, a new order ``capacity * float_j * (signal[type, j]
    + tilt)`` shares is placed, a sell capped by the holding, a buy by the cash (after
    the fills of assets ``0..j``) not yet reserved for this pass's orders of assets
    ``0..j-1``. Adds to the rows of ``sums`` (:data:`N_SUMS`, n_listed) the executed
    shares, cash paid (USD bn), traded volume (shares), net orders and buy orders
    (shares), investor by investor.

    An investor whose cash covers the total cost of its buys :data:`CASH_MARGIN` times
    over (tested first lane by lane, each buy against its share of the cash, then by
    the sum of the lanes if that fails) skips the cash caps: its cash is only reduced
    by each fill's cost in asset order. The others take the caps asset by asset
    (:func:`_capped`); both give the same bits.

    Each investor is done before the next starts. The five sums are carried in
    registers through the range and written to ``sums`` once at its end (the same
    additions in the same order as adding into ``sums`` investor by investor, so the
    same bits): 8-9 % faster at 1e5 and 1e6 investors and 15 % at 1,000 (the sweeps'
    size) on an AVX-512 Xeon, and faster too with numba told to compile for an AVX2
    machine (``NUMBA_CPU_NAME=haswell``: 0.249 against 0.305 s for 20 quarters at
    1e5). An earlier version of this loop, on an AVX2 EPYC, both kept the sums in
    registers and began the next investor before this one's cash chain (software
    pipelining); it spilled its registers to the stack on every investor (1.3-1.7
    times as long), and both were dropped. The sums alone fit.
    """
    if hi <= lo:
        return
    n_l = len(listed)
    zero = _splat(0.0, listed)
    price_l = _lanes(price, listed)
    fill_l = _lanes(fill, listed)
    float_l = _lanes(float_shares, listed)
    partial_fill = False  # some buy is filled in part
    for j in range(n_l):
        partial_fill = partial_fill or fill[j] != 1.0
    first = listed[0]
    span = _is_span(listed)
    s0 = _row(sums, 0, 0, listed)
    s1 = _row(sums, 1, 0, listed)
    s2 = _row(sums, 2, 0, listed)
    s3 = _row(sums, 3, 0, listed)
    s4 = _row(sums, 4, 0, listed)
    lane_share = 1.0 / (n_l * CASH_MARGIN)  # of the cash, a bound on each buy's cost
    n_rows = holdings.shape[0]
    s_open = 0.0
    for i in range(lo, hi):
        if i + AHEAD < n_rows:
            _prefetch(holdings, i + AHEAD)
            _prefetch(pending, i + AHEAD)
        if opening is not None:
            s_open += _take_news(i, types, holdings, cash, tilt, opening)
        _, q, amount, h_new, _, d, buys = _plan(
            i, types, capacity, tilt, holdings, pending, listed, price_l, fill_l, float_l, signal,
            do_order, partial_fill, span, zero,
        )  # fmt: skip
        c = _at(cash, i)
        if (
            not _any_above(buys, _splat(c * lane_share, listed))
            or CASH_MARGIN * _loose_sum(buys) <= c
        ):  # no cash cap: the fills' cost in turn
            for j in range(n_l):
                c -= _lane(amount, j)
        else:  # the holdings and order before the caps again: row i is not yet written
            h, _, _, _, order, _, _ = _plan(
                i, types, capacity, tilt, holdings, pending, listed, price_l, fill_l, float_l,
                signal, do_order, partial_fill, span, zero,
            )  # fmt: skip
            c, h_new, q, amount, d = _capped(c, h, q, amount, order, price_l, zero, do_order)
        if span:
            _set_row(holdings, i, first, h_new)
        else:
            _set_cols(holdings, i, listed, h_new)
        _set_row(pending, i, 0, d)
        _set_at(cash, i, c)
        s0 = s0 + q
        s1 = s1 + amount
        s2 = s2 + _fabs(q)
        s3 = s3 + d
        s4 = s4 + _vmax(d, zero)
    _set_row(sums, 0, 0, s0)
    _set_row(sums, 1, 0, s1)
    _set_row(sums, 2, 0, s2)
    _set_row(sums, 3, 0, s3)
    _set_row(sums, 4, 0, s4)
    return s_open


CHUNK = 256
"""Investors the last pass takes at a time: their rows are read by :func:`_trade_range`
and then by a scalar loop (switching and sentiment) while they are still in the
core's cache."""


@njit(cache=True)
def _open_block(
    lo, hi, types, capacity, sentiment, holdings, cash, pending, listed, float_shares,
    prices, news, price, fill, signal, pars, wealth0, tilt, out, counts, s_sum,
):  # fmt: skip  # pragma: no cover - compiled
    """Investors ``lo..hi-1``: news moves sentiment, wealth at the open, the first pass.

    Each investor takes the news (:func:`_take_news`) just before it trades, in one
    loop (:func:`_trade_range` with ``opening``): the row is read once, where a loop
    over a chunk's news before its trades took 17.6-18.2 ns an investor against
    14.0-14.2 at 1e6 on two threads (the same operations, so the same bits).
    """
    out[:, :] = 0.0
    counts[:] = 0
    opening = (
        sentiment, prices, news, wealth0, counts, pars[P_NEWS_SENSITIVITY],
        pars[P_SENTIMENT_TILT],
    )  # fmt: skip
    s_sum[0] = _trade_range(
        lo, hi, types, capacity, tilt, holdings, cash, pending, listed, price, fill,
        float_shares, signal, True, out, opening,
    )  # fmt: skip


@njit(cache=True)
def _trade_block(
    lo, hi, types, capacity, tilt, holdings, cash, pending, listed, float_shares, price, fill,
    signal, out,
):  # fmt: skip  # pragma: no cover - compiled
    """Investors ``lo..hi-1``: one sub-round's fills and new orders."""
    out[:, :] = 0.0
    _trade_range(
        lo, hi, types, capacity, tilt, holdings, cash, pending, listed, price, fill,
        float_shares, signal, True, out,
    )  # fmt: skip


@njit(cache=True)
def _close_block(
    lo, hi, types, capacity, tilt, sentiment, holdings, cash, pending, listed, float_shares,
    prices, price, fill, signal, wealth0, cum_probs, uniforms, normals, pars, herd, out, counts,
    s_sum,
):  # fmt: skip  # pragma: no cover - compiled
    """Investors ``lo..hi-1``: the last fills, strategy switching and sentiment.

    Investor ``i`` revises its strategy if ``uniforms[0, i] < switch_rate``, drawing
    the new one from the cumulative probabilities ``cum_probs`` with
    ``uniforms[1, i]``. Sentiment moves a share ``decay`` toward
    ``tanh(herd + return_sensitivity * R_i + sentiment_noise * normals[i])`` where
    ``R_i`` is the investor's return on wealth since ``wealth0``. The ``tanh`` of a
    chunk are taken in a loop of their own, which LLVM vectorises (:func:`tanh`, within 4 ulp
    of the C library's): the last pass took 20.6-21.9 ns an investor with
    the C library's ``tanh`` called one value at a time, 16.4-17.0 with this one, at 1e6
    investors on two threads.
    """
    switch_rate = pars[P_SWITCH_RATE]
    gamma = pars[P_RETURN_SENSITIVITY]
    sigma_s = pars[P_SENTIMENT_NOISE]
    decay = pars[P_SENTIMENT_DECAY]
    m = cum_probs.shape[0]
    k = holdings.shape[1]
    out[:, :] = 0.0
    counts[:] = 0
    s = 0.0
    target = np.empty(CHUNK)  # the argument, then the value, of each investor's tanh
    for c_lo in range(lo, hi, CHUNK):
        c_hi = min(c_lo + CHUNK, hi)
        _trade_range(
            c_lo, c_hi, types, capacity, tilt, holdings, cash, pending, listed, price, fill,
            float_shares, signal, False, out,
        )  # fmt: skip
        for i in range(c_lo, c_hi):
            if _at2(uniforms, 0, i) < switch_rate:
                u = _at2(uniforms, 1, i)
                t = 0
                while t < m - 1 and u >= cum_probs[t]:
                    t += 1
                _set_at(types, i, t)
            w = _at(cash, i)
            for j in range(k):
                w += _at2(holdings, i, j) * prices[j]
            w0 = _at(wealth0, i)
            ret = w / w0 - 1.0 if w0 > 0.0 else 0.0
            target[i - c_lo] = herd + gamma * ret + sigma_s * _at(normals, i)
        for r in range(c_hi - c_lo):  # a vectorised loop
            target[r] = tanh(target[r])
        for i in range(c_lo, c_hi):
            si = _at(sentiment, i) + decay * (target[i - c_lo] - _at(sentiment, i))
            _set_at(sentiment, i, si)
            counts[_at(types, i)] += 1
            s += si
    s_sum[0] = s


@njit(cache=True)
def _spread_block(lo, hi, sentiment, mean, ss):  # pragma: no cover - compiled
    """Sum of squared deviations of sentiment from ``mean`` over ``lo..hi-1``."""
    acc = 0.0
    for i in range(lo, hi):
        d = sentiment[i] - mean
        acc += d * d
    ss[0] = acc


@njit(cache=True)
def _add_blocks(parts, out):  # pragma: no cover - compiled
    """``out = parts[0] + parts[1] + ...``, in block order."""
    out[:] = 0.0
    for b in range(parts.shape[0]):
        for h in range(parts.shape[1]):
            for j in range(parts.shape[2]):
                out[h, j] += parts[b, h, j]


# indices of the scalar parameters packed for :func:`trade_quarter_kernel`
P_NEWS_SENSITIVITY = 0
P_SHOCK_CORRELATION = 1
P_SENTIMENT_TILT = 2
P_REACTION = 3
P_CHARTIST_STRENGTH = 4
P_INVENTORY_AVERSION = 5
P_IMPACT = 6
P_MAX_MOVE = 7
P_CHARTIST_MEMORY = 8
P_MAX_MISPRICING = 9
P_PROFIT_MEMORY = 10
P_TYPE_HERDING = 11
P_MISALIGNMENT_WEIGHT = 12
P_BETA = 13
P_SWITCH_RATE = 14
P_HERDING_STRENGTH = 15
P_RETURN_SENSITIVITY = 16
P_SENTIMENT_NOISE = 17
P_SENTIMENT_DECAY = 18
P_QUOTE_BAND = 19
P_SHORT_LIMIT = 20
P_SIGMA = 21
"""First of three: the shocks' scale per strategy (fundamentalist, chartist, noise)."""
P_CONVICTION = 24
N_PARAMS = 25
N_SUMS = 5
"""Sums per listed asset of a pass: fills, cash paid, volume, net orders, buy orders."""
MIN_ANCHOR = 1e-3
"""Fundamental value (USD bn) at which the quote band is anchored when F is lower."""


@njit(cache=True, inline="always")
def _mispricing(f, cap, cap_mis):  # pragma: no cover - compiled
    """``log(F / cap)`` clipped to ``±cap_mis``; F ≤ 0 (or no fundamental) is the lower cap."""
    floor = cap * np.exp(-cap_mis)
    return min(np.log((f if f > floor else floor) / cap), cap_mis)


@njit(cache=True)
def _signals(r, path, shares_out, fundamental, trend, noise, pars, price, sig):  # pragma: no cover
    """Quote ``exp(path[r])`` and the three strategies' signals of sub-round ``r`` (in place).

    Fundamentalists: ``reaction · x · (1 + (conviction · x)²)`` with ``x = log(F / cap)``
    (clipped to ``±max_mispricing``; F ≤ 0 counts as the lower cap): the further the
    price from value, the surer they are (Day & Huang 1990); chartists:
    ``chartist_strength · trend``; plus the scaled common shocks ``noise[r]`` (none
    after the last sub-round).
    """
    n_l = price.shape[0]
    mis = pars[P_MAX_MISPRICING]
    for j in range(n_l):
        price[j] = np.exp(path[r, j])
    if r < noise.shape[0]:
        for j in range(n_l):
            x = _mispricing(fundamental[j], price[j] * shares_out[j], mis)
            cx = pars[P_CONVICTION] * x
            sig[0, j] = pars[P_REACTION] * x * (1.0 + cx * cx) + noise[r, 0, j]
            sig[1, j] = pars[P_CHARTIST_STRENGTH] * trend[j] + noise[r, 1, j]
            sig[2, j] = noise[r, 2, j]


@njit(cache=True)
def _choice(signals, path, weights, prices, listed_idx, shares_listed, fundamental, counts, n,
            profit_memory, pars):  # fmt: skip  # pragma: no cover - compiled
    """Brock–Hommes fitness (updates ``profit_memory``) and cumulative choice probabilities.

    Each strategy's profit one sub-round after its orders (value-weighted, percent),
    with memory; attractiveness adds herding on head counts and, for fundamentalists,
    the squared mispricing; discrete-choice fractions (intensity ``beta``; ``inf``
    picks the best).
    """
    r_n, _, n_l = signals.shape
    attract = np.empty(3)
    for h in range(3):
        profit = 0.0
        for r in range(r_n - 1):
            for j in range(n_l):
                profit += signals[r, h, j] * (path[r + 2, j] - path[r + 1, j]) * weights[j]
        profit_memory[h] = 100.0 * profit + pars[P_PROFIT_MEMORY] * profit_memory[h]
        attract[h] = profit_memory[h] + pars[P_TYPE_HERDING] * counts[h] / n
    cap_mis = pars[P_MAX_MISPRICING]
    mis2 = 0.0
    for j in range(n_l):
        x = _mispricing(fundamental[j], prices[listed_idx[j]] * shares_listed[j], cap_mis)
        mis2 += weights[j] * x * x
    attract[0] += pars[P_MISALIGNMENT_WEIGHT] * mis2
    top = max(attract[0], max(attract[1], attract[2]))
    beta = pars[P_BETA]
    probs = np.empty(3)
    for h in range(3):
        if np.isinf(beta):
            probs[h] = 1.0 if attract[h] == top else 0.0
        else:
            probs[h] = np.exp(beta * (attract[h] - top))
    norm = probs[0] + probs[1] + probs[2]
    cum = np.empty(3)
    acc = 0.0
    for h in range(3):
        acc += probs[h] / norm
        cum[h] = acc
    return cum


OPEN, TRADE, CLOSE = 0, 1, 2
"""Kinds of pass: news and the first sub-round; a sub-round; the last fills and the close."""


@njit(cache=True)
def _pass_block(
    kind, lo, hi, types, capacity, sentiment, holdings, cash, pending, listed_idx, float_shares,
    prices, news, price, fill, signal, pars, wealth0, tilt, cum_probs, uniforms, normals, herd,
    out, counts, s_sum,
):  # fmt: skip  # pragma: no cover - compiled
    """One pass of ``kind`` over investors ``lo..hi-1``; the block's sums go to ``out``."""
    if kind == OPEN:
        _open_block(
            lo, hi, types, capacity, sentiment, holdings, cash, pending, listed_idx,
            float_shares, prices, news, price, fill, signal, pars, wealth0, tilt, out, counts,
            s_sum,
        )  # fmt: skip
    elif kind == TRADE:
        _trade_block(
            lo, hi, types, capacity, tilt, holdings, cash, pending, listed_idx, float_shares,
            price, fill, signal, out,
        )  # fmt: skip
    else:
        _close_block(
            lo, hi, types, capacity, tilt, sentiment, holdings, cash, pending, listed_idx,
            float_shares, prices, price, fill, signal, wealth0, cum_probs, uniforms, normals, pars,
            herd, out, counts, s_sum,
        )  # fmt: skip


@njit(cache=True, parallel=True)
def _pass_blocks(
    kind, bounds, types, capacity, sentiment, holdings, cash, pending, listed_idx, float_shares,
    prices, news, price, fill, signal, pars, wealth0, tilt, cum_probs, uniforms, normals, herd,
    parts, counts, s_parts,
):  # fmt: skip  # pragma: no cover - compiled
    """:func:`_pass_block` over every block, on all threads (block ``b``'s sums in row ``b``)."""
    for b in prange(bounds.shape[0] - 1):
        _pass_block(
            kind, bounds[b], bounds[b + 1], types, capacity, sentiment, holdings, cash, pending,
            listed_idx, float_shares, prices, news, price, fill, signal, pars, wealth0, tilt,
            cum_probs, uniforms, normals, herd, parts[b], counts[b], s_parts[b],
        )  # fmt: skip


@njit(cache=True, parallel=True)
def _spread_blocks(bounds, sentiment, mean, s_parts):  # pragma: no cover - compiled
    """:func:`_spread_block` over every block, on all threads."""
    for b in prange(bounds.shape[0] - 1):
        _spread_block(bounds[b], bounds[b + 1], sentiment, mean, s_parts[b])


RECORD_STATS = 8
"""Values of the record after its per-asset parts: type shares (3), fitness (3), stats (2)."""


def record_size(n_assets: int, n_listed: int, sub_rounds: int) -> int:
    """Length of the quarter's record array (:func:`record_parts`)."""
    return 3 * n_assets + (sub_rounds + 2) * n_listed + RECORD_STATS


@register_jitable
def record_parts(record, n_assets, n_listed, sub_rounds):
    """The parts of a quarter's record, views of the one array :func:`trade_quarter_kernel` fills.

    ``close``, ``caps``, ``price_to_fundamental`` (n_assets each), ``returns``
    (sub_rounds, n_listed), ``volume``, ``inventory`` (n_listed each), ``type_shares``,
    ``fitness`` (3 each) and ``stats`` (2), in this order (the same in Python and in
    the kernel).
    """
    k, n_l = n_assets, n_listed
    at = 3 * k + sub_rounds * n_l
    returns = record[3 * k : at].reshape((sub_rounds, n_l))
    stats = at + 2 * n_l
    return (
        record[0:k],
        record[k : 2 * k],
        record[2 * k : 3 * k],
        returns,
        record[at : at + n_l],
        record[at + n_l : stats],
        record[stats : stats + 3],
        record[stats + 3 : stats + 6],
        record[stats + 6 : stats + RECORD_STATS],
    )


@register_jitable
def _normals_size(n, n_listed, sub_rounds):
    """Normal draws of a quarter: shocks (sub_rounds, 3, n_listed + 1), then one per investor."""
    return sub_rounds * 3 * (n_listed + 1) + n


def scratch_size(n: int, n_listed: int, sub_rounds: int) -> int:
    """Length of the kernel's scratch array (:func:`scratch_parts`)."""
    return _normals_size(n, n_listed, sub_rounds) + 4 * n


@register_jitable
def scratch_parts(scratch, n, n_listed, sub_rounds):
    """The parts of the scratch array of :func:`trade_quarter_kernel`: views.

    ``normals`` (``sub_rounds · 3 · (n_listed + 1) + n``) and ``uniforms`` (2n), the
    quarter's draws, which the caller fills; ``wealth0`` and ``tilt`` (n each), the
    kernel's own (each investor's wealth at the open and its sentiment's tilt of
    orders). One array kept by the caller: a large population maps no fresh pages
    every quarter.
    """
    m = _normals_size(n, n_listed, sub_rounds)
    return (
        scratch[0:m],
        scratch[m : m + 2 * n],
        scratch[m + 2 * n : m + 3 * n],
        scratch[m + 3 * n : m + 4 * n],
    )


@njit(cache=True)
def trade_quarter_kernel(
    types,
    capacity,
    sentiment,
    holdings,
    cash,
    pending,
    listed_idx,
    float_listed,
    shares,
    prices,
    fundamentals,
    news,
    trend,
    mm_inventory,
    profit_memory,
    pars,
    sub_rounds,
    scratch,
    record,
):  # pragma: no cover - compiled
    """One quarter of the population in one compiled call (in place).

    1. News moves each investor's sentiment by ``news_sensitivity`` times the
       portfolio-weighted news (clipped to [−1, 1]); wealth at the open is kept.
    2. Common and idiosyncratic shocks (``normals``: the first ``sub_rounds · 3 ·
       (n_listed + 1)`` values, correlation ``shock_correlation``, scaled by
       ``pars[P_SIGMA + h]`` for strategy ``h``) set the signals of each sub-round
       (:func:`_signals`); every investor's pending orders are filled and new ones
       placed (:func:`_trade_range`); the market maker moves the log price by ``impact ·
       (orders − inventory_aversion · inventory) / float`` (clipped to ``±max_move``)
       and the chartists' trend follows; the quote stays within ``exp(±quote_band)``
       of fundamental value per share (F below :data:`MIN_ANCHOR` counts as it), and
       the market maker fills buys only up to a short position of ``short_limit`` ×
       float (pro rata). Step 1 is done in the first pass.
    3. Brock–Hommes fitness and choice probabilities (:func:`_choice`).
    4. A last pass fills the last sub-round's orders, switches strategies and updates
       sentiment (herding to the mean sentiment after the news); ``uniforms`` (2n)
       and the last n normals. A final pass sums the spread of sentiment.

    ``listed_idx`` is a tuple: the columns of ``holdings`` of the listed assets, one
    vector lane each (a kernel is compiled for each number of listed assets).
    ``shares``, ``prices`` and ``fundamentals`` are per asset (USD bn; NaN: no
    fundamental value, which counts as the lower cap). Every pass runs over the blocks
    of :func:`block_bounds` on all threads; the blocks' sums are added in block order.
    ``prices``, ``profit_memory``, ``trend`` and ``mm_inventory`` are updated.
    ``pars`` holds the scalar parameters (indices ``P_*``). ``scratch`` holds the
    quarter's draws (``normals``, ``uniforms``) and the kernel's scratch
    (:func:`scratch_parts`).

    The quarter's record is written to the parts of ``record`` (:func:`record_parts`,
    one array: one argument, one allocation): ``close`` (the prices),
    ``caps`` (price × shares, USD bn) and ``price_to_fundamental`` (caps / fundamental;
    ``inf`` if the fundamental is ≤ 0, NaN if none) per asset; ``returns`` (sub_rounds,
    n_listed) the log return of every sub-round, ``volume`` the shares traded and
    ``inventory`` the market maker's position per listed asset; ``type_shares`` the
    head-count shares per strategy after switching and ``fitness`` a copy of
    ``profit_memory``; ``stats`` the mean and standard deviation of sentiment after
    the quarter. Returns the market maker's cash change.
    """
    n = types.shape[0]
    n_l = len(listed_idx)
    r_n = sub_rounds
    normals, uniforms, wealth0, tilt = scratch_parts(scratch, n, n_l, r_n)
    close, caps, price_to_fundamental, returns, volume, inventory, type_shares, fitness, stats = (
        record_parts(record, prices.shape[0], n_l, r_n)
    )
    bounds = block_bounds(n)
    nb = bounds.shape[0] - 1
    parts = np.zeros((nb, N_SUMS, n_l))
    counts = np.zeros((nb, 3), dtype=np.int64)
    s_parts = np.zeros((nb, 1))
    out = np.empty((N_SUMS, n_l))
    type_counts = np.zeros(3, dtype=np.int64)
    path = np.empty((r_n + 1, n_l))
    signals = np.zeros((r_n, 3, n_l))
    shares_listed = np.empty(n_l)
    fundamental_listed = np.empty(n_l)  # no fundamental value counts as the lower cap
    for j in range(n_l):
        shares_listed[j] = shares[listed_idx[j]]
        f = fundamentals[listed_idx[j]]
        fundamental_listed[j] = -1.0 if np.isnan(f) else f
    for j in range(n_l):  # (loops: numba takes seconds to compile a slice assignment)
        volume[j] = 0.0
    # common and idiosyncratic shocks of every sub-round
    rho = pars[P_SHOCK_CORRELATION]
    a = np.sqrt(rho)
    b = np.sqrt(1.0 - rho)
    noise = np.empty((r_n, 3, n_l))
    m = n_l + 1
    for r in range(r_n):
        for h in range(3):
            base = (r * 3 + h) * m
            common = normals[base + n_l]
            for j in range(n_l):
                noise[r, h, j] = pars[P_SIGMA + h] * (a * common + b * normals[base + j])
    weights = np.empty(n_l)
    total = 0.0
    for j in range(n_l):
        weights[j] = prices[listed_idx[j]] * float_listed[j]
        total += weights[j]
        path[0, j] = np.log(prices[listed_idx[j]])
    for j in range(n_l):
        weights[j] /= total
    # the market maker quotes within exp(±quote_band) of fundamental value per share
    band_lo = np.empty(n_l)
    band_hi = np.empty(n_l)
    for j in range(n_l):
        mid = np.log(max(fundamental_listed[j], MIN_ANCHOR) / shares_listed[j])
        band_lo[j] = mid - pars[P_QUOTE_BAND]
        band_hi[j] = mid + pars[P_QUOTE_BAND]
        path[0, j] = min(max(path[0, j], band_lo[j]), band_hi[j])
    fill = np.ones(n_l)
    price = np.empty(n_l)
    cum = np.zeros(3)
    u2 = uniforms.reshape(2, n)
    eps = normals[normals.shape[0] - n :]
    herd = 0.0
    s_sum = 0.0
    mm_cash = 0.0
    for r in range(r_n + 1):
        sig = signals[min(r, r_n - 1)]
        _signals(r, path, shares_listed, fundamental_listed, trend, noise, pars, price, sig)
        kind = OPEN if r == 0 else (CLOSE if r == r_n else TRADE)
        if kind == CLOSE:
            for j in range(n_l):
                prices[listed_idx[j]] = price[j]
            cum = _choice(
                signals, path, weights, prices, listed_idx, shares_listed, fundamental_listed,
                type_counts, n, profit_memory, pars,
            )  # fmt: skip
        if nb == 1:
            # the block's bounds, not a literal 0: numba would compile every pass again
            _pass_block(
                kind, bounds[0], bounds[1], types, capacity, sentiment, holdings, cash, pending,
                listed_idx, float_listed, prices, news, price, fill, sig, pars, wealth0, tilt,
                cum, u2, eps, herd, parts[0], counts[0], s_parts[0],
            )  # fmt: skip
        else:
            _pass_blocks(
                kind, bounds, types, capacity, sentiment, holdings, cash, pending, listed_idx,
                float_listed, prices, news, price, fill, sig, pars, wealth0, tilt, cum, u2, eps,
                herd, parts, counts, s_parts,
            )  # fmt: skip
        _add_blocks(parts, out)
        if kind != TRADE:  # head counts and the sum of sentiment, block by block
            type_counts[:] = 0
            s_sum = 0.0
            for blk in range(nb):
                for h in range(3):
                    type_counts[h] += counts[blk, h]
                s_sum += s_parts[blk, 0]
            if kind == OPEN:
                herd = pars[P_HERDING_STRENGTH] * s_sum / n
        for j in range(n_l):
            mm_inventory[j] -= out[0, j]
            mm_cash += out[1, j]
            volume[j] += out[2, j]
        if kind != CLOSE:
            for j in range(n_l):
                move = pars[P_IMPACT] * (out[3, j] - pars[P_INVENTORY_AVERSION] * mm_inventory[j])
                move = min(max(move / float_listed[j], -pars[P_MAX_MOVE]), pars[P_MAX_MOVE])
                path[r + 1, j] = min(max(path[r, j] + move, band_lo[j]), band_hi[j])
                trend[j] += pars[P_CHARTIST_MEMORY] * (path[r + 1, j] - path[r, j] - trend[j])
                # buys it will fill next pass: never short more than short_limit × float
                avail = mm_inventory[j] + pars[P_SHORT_LIMIT] * float_listed[j]
                avail = max(avail + out[4, j] - out[3, j], 0.0)  # plus what sellers bring
                fill[j] = avail / out[4, j] if out[4, j] > avail else 1.0
    mean = s_sum / n
    if nb == 1:
        _spread_block(bounds[0], bounds[1], sentiment, mean, s_parts[0])
    else:
        _spread_blocks(bounds, sentiment, mean, s_parts)
    ss = 0.0
    for blk in range(nb):
        ss += s_parts[blk, 0]
    stats[0] = mean
    stats[1] = np.sqrt(ss / n)
    for k in range(prices.shape[0]):
        close[k] = prices[k]
        caps[k] = prices[k] * shares[k]
        f = fundamentals[k]
        if f > 0.0:
            price_to_fundamental[k] = caps[k] / f
        else:
            price_to_fundamental[k] = np.nan if np.isnan(f) else np.inf
    for r in range(r_n):
        for j in range(n_l):
            returns[r, j] = path[r + 1, j] - path[r, j]
    for j in range(n_l):
        inventory[j] = mm_inventory[j]
    for h in range(3):
        type_shares[h] = type_counts[h] / n
        fitness[h] = profit_memory[h]
    return mm_cash
