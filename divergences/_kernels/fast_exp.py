"""``exp`` in plain arithmetic, so that loops calling it vectorise.

LLVM cannot vectorise a loop that calls libm's ``exp`` (Numba would need
Intel's SVML for that), and in the Sinkhorn soft-min that scalar call is
most of the time. :func:`exp_nonpositive` computes ``exp(x)`` for ``x <= 0``
with the textbook reduction (Cody & Waite 1980; Muller, "Elementary
Functions", ch. 11): ``x = k ln 2 + r`` with ``|r| <= ln(2) / 2``, ``exp(r)``
by its Taylor polynomial (evaluated by Estrin's scheme), and ``2^k`` written
straight into the exponent bits. Every step is an add, a multiply or a bit
operation, which AVX2 does four at a time: 4.5x libm's scalar ``exp`` here
(0.70 against 0.16 G exp/s, one thread).

Accuracy: the degree-13 Taylor remainder at ``|r| = 0.347`` is below
``5e-18`` relative, so the result is within a few ulps of ``exp(x)``
(tested against ``numpy.exp`` over the whole range). Arguments below
``-700`` return ``exp(-700) ~ 1e-304`` instead of a smaller number or zero:
the soft-min adds these terms to one that equals 1, where the difference
is far below rounding.
"""

from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

_LOG2E = 1.4426950408889634
# ln 2 split so that k * _LN2_HI is exact for |k| < 2^11 (Cody & Waite).
_LN2_HI = 0.693145751953125
_LN2_LO = 1.42860682030941723212e-6
# Adding 1.5 * 2^52 rounds to an integer and leaves it in the low mantissa bits.
_SHIFTER = 6755399441055744.0
_LOWEST = -700.0


@intrinsic
def _float_bits(typingctx, value):
    """The IEEE-754 bits of a float64, as an int64 (a free bit cast)."""
    if value != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _bits_float(typingctx, value):
    """The float64 whose IEEE-754 bits are this int64."""
    if value != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


# No reassociation here: it would fold (x + S) - S into x and break the rounding
# trick. Contraction into FMAs is safe (one rounding instead of two). Callers may
# use any fastmath flags; LLVM keeps these on inlining.
@njit(cache=True, nogil=True, fastmath={"contract"})
def exp_nonpositive(x):
    """``exp(x)`` for ``x <= 0`` (to a few ulps), clamped at ``exp(-700)``."""
    x = max(x, _LOWEST)
    shifted = x * _LOG2E + _SHIFTER
    k = shifted - _SHIFTER
    r = (x - k * _LN2_HI) - k * _LN2_LO
    # Taylor series of exp(r) to degree 13 by Estrin's scheme (a shallower
    # dependency chain than Horner's; as fast here, and no slower anywhere).
    r2 = r * r
    r4 = r2 * r2
    low = (1.0 + r) + r2 * (0.5 + r * (1.0 / 6.0))
    low += r4 * ((1.0 / 24.0 + r * (1.0 / 120.0)) + r2 * (1.0 / 720.0 + r * (1.0 / 5040.0)))
    high = (1.0 / 40320.0 + r * (1.0 / 362880.0)) + r2 * (1.0 / 3628800.0 + r * (1.0 / 39916800.0))
    high += r4 * (1.0 / 479001600.0 + r * (1.0 / 6227020800.0))
    p = low + (r4 * r4) * high
    # The integer k sits in the low bits of `shifted`; 2^k has exponent field k + 1023.
    k_int = _float_bits(shifted) - _float_bits(_SHIFTER)
    return p * _bits_float((k_int + 1023) << 52)
