"""Vectorised standard bivariate normal probabilities (Genz 2004).

:func:`bvn_lower` evaluates ``P(X <= h, Y <= k)`` for standard normal ``(X, Y)`` with
correlation ``r`` on whole arrays at once (broadcast), with infinite limits allowed. It
follows the algorithm of Drezner & Wesolowsky (1990) as refined by Genz (2004): for
``|r| < 0.925`` Gauss-Legendre quadrature of Sheppard's integral

    P(h, k; r) = Phi(-h) Phi(-k) + 1/(2 pi) int_0^{asin r} exp(-(h^2 + k^2 - 2 h k sin t)
                 / (2 cos^2 t)) dt      (upper orthant),

and for ``|r| >= 0.925`` the series-corrected integral in ``sqrt(1 - r^2)``. Accuracy is
about 1e-15, which is what the mvtnorm/pbivnorm routines behind lavaan reach.

References
----------
Genz, A. (2004). Numerical computation of rectangular bivariate and trivariate normal and
t probabilities. Statistics and Computing, 14, 251-260.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

__all__ = ["bvn_density", "bvn_lower"]

_X, _W = np.polynomial.legendre.leggauss(20)
_TWO_PI = 2.0 * np.pi


def bvn_density(h: np.ndarray, k: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Standard bivariate normal density at ``(h, k)`` with correlation ``r`` (0 at infinity)."""
    h, k, r = np.broadcast_arrays(np.asarray(h, float), np.asarray(k, float), np.asarray(r, float))
    fin = np.isfinite(h) & np.isfinite(k)
    hh = np.where(fin, h, 0.0)
    kk = np.where(fin, k, 0.0)
    s2 = 1.0 - r * r
    q = (hh * hh - 2.0 * r * hh * kk + kk * kk) / s2
    out = np.exp(-0.5 * q) / (_TWO_PI * np.sqrt(s2))
    return np.where(fin, out, 0.0)


def _upper_finite(h: np.ndarray, k: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Upper orthant ``P(X > h, Y > k)`` for finite 1-d arrays."""
    out = np.empty_like(h)
    small = np.abs(r) < 0.925
    if small.any():
        hs, ks, rs = h[small], k[small], r[small]
        hk = hs * ks
        hsq = 0.5 * (hs * hs + ks * ks)
        asr = np.arcsin(rs)
        sn = np.sin(0.5 * asr[:, None] * (1.0 + _X[None, :]))
        vals = np.exp((sn * hk[:, None] - hsq[:, None]) / (1.0 - sn * sn))
        out[small] = vals @ _W * asr / (2.0 * _TWO_PI) + ndtr(-hs) * ndtr(-ks)
    big = ~small
    if big.any():
        hb, kb, rb = h[big], k[big].copy(), r[big]
        neg = rb < 0
        kb[neg] = -kb[neg]
        hk = hb * kb
        res = np.zeros_like(hb)
        inner = np.abs(rb) < 1.0
        if inner.any():
            hi, ki, ri, hki = hb[inner], kb[inner], rb[inner], hk[inner]
            as_ = (1.0 - ri) * (1.0 + ri)
            a = np.sqrt(as_)
            bs = (hi - ki) ** 2
            c = (4.0 - hki) / 8.0
            d = (12.0 - hki) / 80.0
            asr = -0.5 * (bs / as_ + hki)
            v = np.where(
                asr > -100.0,
                a
                * np.exp(np.maximum(asr, -100.0))
                * (1.0 - c * (bs - as_) * (1.0 - d * bs) / 3.0 + c * d * as_ * as_),
                0.0,
            )
            b = np.sqrt(bs)
            sp = np.sqrt(_TWO_PI) * ndtr(-b / a)
            v = v - np.where(
                hki > -100.0,
                np.exp(-0.5 * np.maximum(hki, -100.0))
                * sp
                * b
                * (1.0 - c * bs * (1.0 - d * bs) / 3.0),
                0.0,
            )
            half = a / 2.0
            t = half[:, None] * (1.0 + _X[None, :])
            xs = t * t
            asr2 = -0.5 * (bs[:, None] / xs + hki[:, None])
            ok = asr2 > -100.0
            spx = 1.0 + c[:, None] * xs * (1.0 + 5.0 * d[:, None] * xs)
            rsx = np.sqrt(1.0 - xs)
            ep = np.exp(-(hki[:, None] / 2.0) * xs / (1.0 + rsx) ** 2) / rsx
            term = np.where(ok, np.exp(np.maximum(asr2, -100.0)) * (spx - ep), 0.0)
            res[inner] = (half * (term @ _W) - v) / _TWO_PI
        pos = rb > 0
        res[pos] = res[pos] + ndtr(-np.maximum(hb[pos], kb[pos]))
        ng = ~pos
        if ng.any():
            hn, kn, rn = hb[ng], kb[ng], res[ng]
            lower = np.where(hn < 0, ndtr(kn) - ndtr(hn), ndtr(-hn) - ndtr(-kn))
            res[ng] = np.where(hn >= kn, -rn, lower - rn)
        out[big] = res
    return np.clip(out, 0.0, 1.0)


def bvn_lower(h: np.ndarray, k: np.ndarray, r: np.ndarray) -> np.ndarray:
    """``P(X <= h, Y <= k)`` for standard bivariate normal ``(X, Y)`` with correlation ``r``.

    Parameters
    ----------
    h, k : array_like
        Upper limits (``-inf``/``+inf`` allowed); broadcast together with ``r``.
    r : array_like
        Correlations in ``[-1, 1]``.

    Returns
    -------
    numpy.ndarray
        The probabilities, of the broadcast shape.
    """
    h, k, r = np.broadcast_arrays(np.asarray(h, float), np.asarray(k, float), np.asarray(r, float))
    out = np.zeros(h.shape)
    fh, fk = np.isfinite(h), np.isfinite(k)
    both = fh & fk
    if both.any():
        out[both] = _upper_finite(-h[both], -k[both], r[both])
    hinf = (h == np.inf) & (k > -np.inf)
    out[hinf] = ndtr(k[hinf])
    kinf = (k == np.inf) & fh
    out[kinf] = ndtr(h[kinf])
    return out
