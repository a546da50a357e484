"""The compiled functions of the ``compiled`` kernel (numba): whole full-batch steps, fused.

``steps`` takes ``n`` steps: for each, forward ``Z = W A_prev + b``, ``A = g(Z)``; the cost;
backward ``dZ = (A - Y) w`` at the output (sigmoid + binary cross-entropy, softmax +
categorical cross-entropy, linear + MSE), ``dW = dZ A_prev.T / m (+ lambd/m W)``,
``db = sum(dZ) / m``, ``dA_prev = W.T dZ``, ``dZ = dA g'(A)``; the update (gradient descent,
or momentum ``v = beta v + (1 - beta) dW``, ``W -= lr v``) at the rates ``lrs``. It checks,
as the ``DivergenceGuard`` does, that the cost and the gradients are finite before each update
and that the updated parameters are after it, and stops before a step that fails, its
parameters untouched.

Shapes as in ``blocks`` (examples are columns, ``A[l]: (n[l], m)``, C order); the parameters
are one flat vector ``W1, b1, W2, b2, ...`` (the trainer's ``flat_parameters`` layout), the
activations one buffer. The formulas are the blocks' (activations.py, losses.py) in the
network's dtype (float32 stays float32; only the cost is summed in float64): sigmoid
``1 / (1 + e^-z)``, softmax shifted by its max, log-loss on ``AL`` clipped to
``[eps, 1 - eps]``, ``dW *= 1/m`` then ``+= (lambd/m) W``, each constant rounded to the dtype
once, as NumPy rounds a Python float. ``exp`` and ``tanh`` are computed here (``_exp``,
``_tanh``: a Cody-Waite reduction and a degree-13 Taylor polynomial, within 3 ulps of NumPy's),
because numba calls the C library's one element at a time, which costs 5x NumPy's SIMD loops
on planar; so results agree with the blocks to rounding, not bit for bit. Reductions (dot
products, sums over examples) may be reordered (``fastmath`` ``reassoc``) so they vectorize;
nothing assumes finite values (no ``nnan``/``ninf``), and division by zero gives inf/NaN
(``error_model="numpy"``), as in NumPy.

Activation codes (``codes``): 0 sigmoid, 1 tanh, 2 relu, 3 leaky_relu (``slopes``), 4 linear.
Output codes (``out``): 0 sigmoid + binary cross-entropy, 1 softmax + categorical
cross-entropy (the layer's code is then 4 and the softmax is applied apart), 2 linear + MSE.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, types
from numba.extending import intrinsic

# indices into the constants array ``k`` (in the network's dtype)
ZERO, ONE, TWO, HALF, INV_M, LAMBD_M, EPS, ONE_MINUS_EPS, BETA, ONE_MINUS_BETA = range(10)
INV_LN2, LN2_HI, LN2_LO, HALF_LN2, CLAMP, TAYLOR = range(10, 16)  # exp: TAYLOR..TAYLOR+13 hold 1/k!, k = 0..13
SQRT2, ATANH = TAYLOR + 14, TAYLOR + 15  # log: ATANH..ATANH+10 hold 1/(2k+1), k = 1..11
N_CONSTANTS = ATANH + 11
# the IEEE layout: exponent bias and mantissa bits, per dtype
_IEEE = {np.dtype(np.float64): (1023, 52), np.dtype(np.float32): (127, 23)}
# Cody-Waite ln 2 = LN2_HI + LN2_LO with LN2_HI's trailing bits zero, so n * LN2_HI is exact;
# CLAMP: |x| beyond it gives exp 0 or inf, and keeps both halves of 2^n normal
_EXP_CONSTANTS = {
    np.dtype(np.float64): (0.6931471803691238, 1.9082149292705877e-10, 1400.0),
    np.dtype(np.float32): (0.693145751953125, 1.428606765330187e-06, 170.0),
}

_ELEMENTWISE = {"contract"}  # FMA allowed; no reassociation (it would undo the exp's reduction)
_SUMS = {"contract", "reassoc"}  # reductions (dot products, sums) may be reordered and vectorized


def _jit(**options):
    """``njit`` with NumPy's floating-point semantics (x / 0 is inf or NaN, not an exception: no
    branch per division, so loops vectorize) and the on-disk cache where numba has somewhere to
    write it (else compiled in each process)."""
    options["error_model"] = "numpy"

    def wrap(func):
        try:
            return njit(cache=True, **options)(func)
        except RuntimeError:  # "cannot cache function ...: no locator available": nowhere writable
            return njit(**options)(func)
    return wrap


@intrinsic
def _float_from_bits(typingctx, bits, like):
    """The float of ``like``'s type (float32 or float64) whose IEEE bits are the int64 ``bits``."""
    if not isinstance(bits, types.Integer) or like not in (types.float32, types.float64):
        return None

    def codegen(context, builder, sig, args):
        ty = context.get_value_type(sig.return_type)
        value = builder.sext(args[0], context.get_value_type(types.int64)) if bits.bitwidth < 64 else args[0]
        if like == types.float32:
            value = builder.trunc(value, context.get_value_type(types.int32))
        return builder.bitcast(value, ty)

    return like(bits, like), codegen


@intrinsic
def _bits_of_float(typingctx, x):
    """The IEEE bits of the float32 or float64 ``x``, as an int64 (a float32's zero-extended)."""
    if x not in (types.float32, types.float64):
        return None

    def codegen(context, builder, sig, args):
        width = 32 if x == types.float32 else 64
        bits = builder.bitcast(args[0], context.get_value_type(types.int32 if width == 32 else types.int64))
        return builder.zext(bits, context.get_value_type(types.int64)) if width == 32 else bits

    return types.int64(x), codegen


@intrinsic
def _to_float_like(typingctx, n, like):
    """The integer ``n`` as a float of ``like``'s type (numba would make a float32 op int64 a float64)."""
    if not isinstance(n, types.Integer) or like not in (types.float32, types.float64):
        return None

    def codegen(context, builder, sig, args):
        return builder.sitofp(args[0], context.get_value_type(like))

    return like(n, like), codegen


@njit(inline="always")
def _polynomial(x, k, first, n):
    """sum_{j < n} k[first + j] x^j, by Horner's rule (``n`` is a constant at each use, so the loop unrolls)."""
    p = k[first + n - 1]
    for j in range(n - 2, -1, -1):
        p = p * x + k[first + j]
    return p


@njit(inline="always")
def _expm1_taylor(x, k):
    """e^x - 1 = x (1 + x/2! + x^2/3! + ... + x^12/13!) for |x| <= ln2 / 2 (relative error < 2e-17 there)."""
    return x * _polynomial(x, k, TAYLOR + 1, 13)


@njit(inline="always")
def _exp(x, k, ieee):
    """e^x (NaN stays NaN): x = n ln2 + r, |r| <= ln2 / 2, e^r by Taylor to r^13, times 2^n as two halves."""
    x = k[CLAMP] if x > k[CLAMP] else x
    x = -k[CLAMP] if x < -k[CLAMP] else x
    nf = np.floor(x * k[INV_LN2] + k[HALF])
    nf = k[ZERO] if nf != nf else nf
    r = (x - nf * k[LN2_HI]) - nf * k[LN2_LO]
    p = k[ONE] + _expm1_taylor(r, k)
    n = np.int64(nf)
    h = n >> 1
    s1 = _float_from_bits((h + ieee[0]) << ieee[1], x)
    s2 = _float_from_bits((n - h + ieee[0]) << ieee[1], x)
    return p * s1 * s2


@njit(inline="always")
def _tanh(z, k, ieee):
    """tanh(z) = sign(z) (1 - e^-2|z|) / (1 + e^-2|z|), written with e^x - 1 so it stays accurate near 0."""
    x = -k[TWO] * abs(z)
    big = _exp(x, k, ieee) - k[ONE]  # both computed, then chosen: a select, so the loop stays vectorized
    em = _expm1_taylor(x, k) if x > -k[HALF_LN2] else big  # e^x - 1 (at most a factor 3.4 of cancellation in big)
    a = -em / (em + k[TWO])
    return a if z >= k[ZERO] else -a


@njit(inline="always")
def _log(x, k, ieee):
    """log(x) for a positive normal x (NaN stays NaN): x = 2^e f, f in [sqrt(1/2), sqrt(2)),
    log f = 2 atanh(s) = 2 (s + s^3/3 + ... + s^23/23), s = (f - 1) / (f + 1), |s| < 0.172."""
    bits = _bits_of_float(x)
    mantissa = (np.int64(1) << ieee[1]) - 1
    e = (bits >> ieee[1]) - ieee[0]
    f = _float_from_bits((bits & mantissa) | (ieee[0] << ieee[1]), x)  # in [1, 2)
    big = f > k[SQRT2]
    f = f * k[HALF] if big else f
    e = e + 1 if big else e
    s = (f - k[ONE]) / (f + k[ONE])
    s2 = s * s
    r = _polynomial(s2, k, ATANH, 11)  # 1/3 + s2/5 + ... + s2^10/23
    ef = _to_float_like(e, x)
    y = ef * k[LN2_HI] + ((s + s) + (s + s) * (s2 * r) + ef * k[LN2_LO])
    return y if x == x else x


@njit(inline="always")
def _log1p(x, k, ieee):
    """log(1 + x) for x > -1 with 1 + x normal: log(u) corrected by the rounding of u = 1 + x."""
    u = k[ONE] + x
    return _log(u, k, ieee) - ((u - k[ONE]) - x) / u


@njit(inline="always")
def _product(M, B, out):
    """out = M B, a row of ``out: (n, m)`` at a time (the inner loop runs along the examples and vectorizes)."""
    n, inner = M.shape
    m = out.shape[1]
    for i in range(n):
        w = M[i, 0]
        for j in range(m):
            out[i, j] = w * B[0, j]
        for q in range(1, inner):
            w = M[i, q]
            for j in range(m):
                out[i, j] += w * B[q, j]


@_jit(fastmath=_ELEMENTWISE)
def _forward(W, b, A_prev, A, code, slope, k, ieee):
    """A = g(W A_prev + b) for one layer (``code``: HIDDEN), into ``A: (n[l], m)``."""
    n, m = A.shape
    _product(W, A_prev, A)
    for i in range(n):
        bi = b[i]
        for j in range(m):
            A[i, j] += bi
    for i in range(n):
        if code == 0:
            for j in range(m):
                A[i, j] = k[ONE] / (k[ONE] + _exp(-A[i, j], k, ieee))
        elif code == 1:
            for j in range(m):
                A[i, j] = _tanh(A[i, j], k, ieee)
        elif code == 2:
            for j in range(m):
                z = A[i, j]
                A[i, j] = k[ZERO] if z < k[ZERO] else z  # NaN stays NaN, as with np.maximum
        elif code == 3:
            for j in range(m):
                z = A[i, j]
                s = slope * z
                A[i, j] = z if z > s else s


@_jit(fastmath=_ELEMENTWISE)
def _softmax(A, k, ieee, col):
    """A = e^(Z - max) / sum(e^(Z - max)) over the units (axis 0) of ``A: (n, m)``, in place; ``col``: (m,) scratch."""
    n, m = A.shape
    for j in range(m):
        col[j] = A[0, j]
    for i in range(1, n):
        for j in range(m):
            z = A[i, j]
            col[j] = z if z > col[j] else col[j]
    for i in range(n):
        for j in range(m):
            A[i, j] = _exp(A[i, j] - col[j], k, ieee)
    for j in range(m):
        col[j] = A[0, j]
    for i in range(1, n):
        for j in range(m):
            col[j] += A[i, j]
    for i in range(n):
        for j in range(m):
            A[i, j] /= col[j]


@_jit(fastmath=_ELEMENTWISE)
def _cost_and_dZ(A, Y, w, code, k, ieee, col):
    """sum_ij w_j L(a_ij, y_ij) (the cost before its 1/m: summed over the units into ``col: (m,)``,
    then over the examples in float64), then dZ = (A - Y) w written over ``A: (n, m)``."""
    n, m = A.shape
    for j in range(m):
        col[j] = k[ZERO]
    for i in range(n):
        for j in range(m):
            a, y = A[i, j], Y[i, j]
            if code == 2:
                d = a - y
                loss = d * d
            else:
                c = k[EPS] if a < k[EPS] else a  # clipped to [eps, 1 - eps]; NaN stays NaN
                c = k[ONE_MINUS_EPS] if c > k[ONE_MINUS_EPS] else c
                loss = y * _log(c, k, ieee)
                if code == 0:
                    loss += (k[ONE] - y) * _log1p(-c, k, ieee)
            col[j] += loss * w[j]
            A[i, j] = (a - y) * w[j]
    total = _sum(col)
    return -total if code != 2 else 0.5 * total


@_jit(fastmath=_SUMS)
def _sum(x):
    """sum(x) in float64."""
    total = 0.0
    for i in range(x.size):
        total += x[i]
    return total


@_jit(fastmath=_SUMS)
def _backward(dZ, A_prev, W, dW, db, k):
    """dW = dZ A_prev.T / m (+ lambd/m W), db = sum(dZ, axis=1) / m."""
    n, n_prev = W.shape
    m = dZ.shape[1]
    for i in range(n):
        for q in range(n_prev):
            s = k[ZERO]
            for j in range(m):
                s += dZ[i, j] * A_prev[q, j]
            dW[i, q] = s * k[INV_M]
        s = k[ZERO]
        for j in range(m):
            s += dZ[i, j]
        db[i] = s * k[INV_M]
    if k[LAMBD_M] != k[ZERO]:
        for i in range(n):
            for q in range(n_prev):
                dW[i, q] += k[LAMBD_M] * W[i, q]


@_jit(fastmath=_ELEMENTWISE)
def _backward_input(dZ, W, A, dA, code, slope, k):
    """dA_prev = W.T dZ (into ``dA``), then dZ_prev = dA_prev g'(A_prev), written over ``A`` (A_prev)."""
    n_prev, m = dA.shape
    _product(W.T, dZ, dA)
    for q in range(n_prev):
        if code == 0:
            for j in range(m):
                a = A[q, j]
                A[q, j] = (dA[q, j] * a) * (k[ONE] - a)
        elif code == 1:
            for j in range(m):
                a = A[q, j]
                A[q, j] = (k[ONE] - a * a) * dA[q, j]
        elif code == 2:
            for j in range(m):
                A[q, j] = (k[ONE] if A[q, j] > k[ZERO] else k[ZERO]) * dA[q, j]
        elif code == 3:
            for j in range(m):
                A[q, j] = dA[q, j] * (k[ONE] if A[q, j] > k[ZERO] else slope)
        else:
            for j in range(m):
                A[q, j] = dA[q, j]


@_jit(fastmath=_ELEMENTWISE)
def _all_finite(x):
    """Whether every element of ``x`` is finite (x - x is 0 for a finite x, NaN for inf or NaN)."""
    s = x[0] - x[0]
    for i in range(1, x.size):
        s += x[i] - x[i]
    return s == 0


@_jit(fastmath=_ELEMENTWISE)
def steps(X, Y, w, P, V, dims, codes, out, slopes, k, ieee, l2, momentum, lrs, costs, work, G, P2, V2, col):
    """Up to ``lrs.size`` steps; returns how many were taken (their costs are ``costs[:n]``, floats).

    ``X: (n[0], m)``, ``Y: (n[L], m)``, ``w: (m,)``; ``P, V, G, P2, V2``: parameters,
    velocities, gradients and the next ones, flat (W1, b1, W2, ...); ``codes[l-1]``: layer l's
    activation (HIDDEN; for the output, sigmoid or linear, a softmax then applied apart);
    ``out``: the output's code (OUTPUTS); ``k``: the constants; ``l2``: lambd / 2m (float64);
    ``work``: every A[l], one after the other, then room for one dA_prev.
    """
    L = dims.size - 1
    m = X.shape[1]
    w_off = np.zeros(L + 2, np.int64)  # W[l] at w_off[l], b[l] right after it
    a_off = np.zeros(L + 2, np.int64)  # A[l] at a_off[l]
    for l in range(1, L + 1):
        w_off[l + 1] = w_off[l] + dims[l] * (dims[l - 1] + 1)
        a_off[l + 1] = a_off[l] + dims[l] * m
    AL = work[a_off[L] : a_off[L + 1]].reshape((dims[L], m))
    for step in range(lrs.size):
        for l in range(1, L + 1):
            n, n_prev, o = dims[l], dims[l - 1], w_off[l]
            A_prev = X if l == 1 else work[a_off[l - 1] : a_off[l]].reshape((n_prev, m))
            A = work[a_off[l] : a_off[l + 1]].reshape((n, m))
            _forward(P[o : o + n * n_prev].reshape((n, n_prev)), P[o + n * n_prev : o + n * n_prev + n], A_prev, A, codes[l - 1], slopes[l - 1], k, ieee)
        if out == 1:
            _softmax(AL, k, ieee, col)
        cost = _cost_and_dZ(AL, Y, w, out, k, ieee, col) / m
        if l2 != 0.0:
            total = 0.0
            for l in range(1, L + 1):
                for i in range(w_off[l], w_off[l] + dims[l] * dims[l - 1]):
                    total += P[i] * P[i]
            cost += l2 * total
        for l in range(L, 0, -1):
            n, n_prev, o = dims[l], dims[l - 1], w_off[l]
            dZ = work[a_off[l] : a_off[l + 1]].reshape((n, m))
            A_prev = X if l == 1 else work[a_off[l - 1] : a_off[l]].reshape((n_prev, m))
            W = P[o : o + n * n_prev].reshape((n, n_prev))
            _backward(dZ, A_prev, W, G[o : o + n * n_prev].reshape((n, n_prev)), G[o + n * n_prev : o + n * n_prev + n], k)
            if l > 1:
                dA = work[a_off[L + 1] : a_off[L + 1] + n_prev * m].reshape((n_prev, m))
                _backward_input(dZ, W, A_prev, dA, codes[l - 2], slopes[l - 2], k)
        if not (cost - cost == 0.0 and _all_finite(G)):
            return step
        lr = lrs[step]
        if momentum:
            for i in range(P.size):
                V2[i] = k[BETA] * V[i] + k[ONE_MINUS_BETA] * G[i]
                P2[i] = P[i] - lr * V2[i]
        else:
            for i in range(P.size):
                P2[i] = P[i] - lr * G[i]
        if not _all_finite(P2):
            return step
        for i in range(P.size):
            P[i] = P2[i]
            V[i] = V2[i]
        costs[step] = cost
    return lrs.size




def constants(dtype: np.dtype, m: int, lambd: float, beta: float) -> np.ndarray:
    """The array ``k`` of ``steps``, in ``dtype``: each number rounded once, as NumPy rounds a Python float."""
    eps = np.finfo(dtype).eps
    ln2_hi, ln2_lo, clamp = _EXP_CONSTANTS[dtype]
    k = np.zeros(N_CONSTANTS, dtype)
    k[[ZERO, ONE, TWO, HALF]] = 0.0, 1.0, 2.0, 0.5
    k[[INV_M, LAMBD_M, EPS, ONE_MINUS_EPS]] = 1 / m, lambd / m, eps, 1 - eps
    k[[BETA, ONE_MINUS_BETA]] = beta, 1 - beta
    k[[INV_LN2, LN2_HI, LN2_LO, HALF_LN2, CLAMP]] = 1 / np.log(2), ln2_hi, ln2_lo, np.log(2) / 2, clamp
    k[TAYLOR : TAYLOR + 14] = 1 / np.cumprod([1.0, *range(1, 14)])
    k[SQRT2] = np.sqrt(2.0)
    k[ATANH : ATANH + 11] = 1 / np.arange(3.0, 24.0, 2.0)
    return k


def ieee_layout(dtype: np.dtype) -> np.ndarray:
    """The exponent bias and mantissa bits of ``dtype``, the array ``ieee`` of ``steps``."""
    return np.array(_IEEE[dtype], np.int64)


def _signature(dtype: np.dtype) -> tuple:
    """The numba types of ``steps``' arguments for a network of ``dtype`` (as ``Kernel.run`` passes them)."""
    f, i = np.zeros(1, dtype), np.zeros(1, np.int64)
    args = (f.reshape(1, 1), f.reshape(1, 1), f, f, f, i, i, 0, f, f, i, 0.0, False, f, np.zeros(1), f, f, f, f, f)
    return tuple(numba.typeof(a) for a in args)


def loaded(dtype: np.dtype) -> bool:
    """Whether ``steps`` is compiled for ``dtype`` in this process."""
    return _signature(dtype) in steps.overloads


def cached(dtype: np.dtype) -> bool:
    """Whether numba's on-disk cache holds ``steps`` for ``dtype``, fresh for this source and CPU
    (then the first call loads it, in a fraction of a second, instead of compiling it)."""
    try:  # numba's cache index (internal API: any change there reads as "not cached")
        cache = steps._cache
        key = cache._index_key(_signature(dtype), steps.targetctx.codegen())
        return key in cache._cache_file._load_index()
    except Exception:
        return False
