"""Propagation of equity losses (DebtRank) and fire-sale price impact.

Pure numeric kernels: numpy arrays in, numpy arrays out, no model state.

References
----------
.. [BBCC] Bardoscia, M., Battiston, S., Caccioli, F. and Caldarelli, G. (2015).
   DebtRank: a microscopic foundation for shock propagation. *PLoS ONE* 10(6),
   e0130406.
.. [B12] Battiston, S., Puliga, M., Kaushik, R., Tasca, P. and Caldarelli, G.
   (2012). DebtRank: too central to fail? *Scientific Reports* 2, 541.
.. [CFS] Cifuentes, R., Ferrucci, G. and Shin, H. S. (2005). Liquidity risk and
   contagion. *Journal of the European Economic Association* 3(2–3), 556–566.
.. [GLT] Greenwood, R., Landier, A. and Thesmar, D. (2015). Vulnerable banks.
   *Journal of Financial Economics* 115(3), 471–485.

"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["debtrank", "fire_sale_price", "fire_sale_proceeds"]

_DEFAULT_MAX_ITER = 100_000


def debtrank(
    exposures: ArrayLike,
    equity: ArrayLike,
    initial_shock: ArrayLike,
    *,
    max_iter: int | None = None,
    tol: float = 1e-12,
) -> NDArray[np.float64]:
    r"""Differential DebtRank: final relative equity losses after contagion.

    Relative equity loss :math:`h_i = (E_i(0) - E_i(t)) / E_i(0) \in [0, 1]`
    spreads through the leverage (impact) matrix
    :math:`\Lambda_{ij} = A_{ij} / E_i(0)`, where :math:`A_{ij}` is what ``i``
    loses if ``j`` loses all its equity. Starting from :math:`h(0) = 0` and the
    shock :math:`h(1)`, only the *new* loss of the previous step is passed on
    ([BBCC]_):

    .. math::

        h_i(t+1) = \min\Big(1,\; h_i(t) + \sum_j \Lambda_{ij}\,\big(h_j(t) - h_j(t-1)\big)\Big).

    Losses are non-decreasing in time; once a node reaches :math:`h_j = 1`
    (default) it stops transmitting. Unlike the original DebtRank of [B12]_, a
    node can transmit distress repeatedly, so cycles do not truncate losses.
    Iteration stops when no loss grows by more than ``tol``.

    Parameters
    ----------
    exposures : array_like
        Shape ``(n, n)``, USD bn. ``exposures[i, j]`` is the loss of ``i`` if
        ``j`` loses all its equity (receivables, vendor loans, stakes marked to
        ``j``'s equity). Non-negative, finite, zero diagonal.
    equity : array_like
        Shape ``(n,)``, USD bn, book equity at the start :math:`E_i(0)`. Finite.
        A node with ``equity <= 0`` is already insolvent: it has no equity left
        to lose, so its row of :math:`\Lambda` is zero and its ``h`` stays at its
        ``initial_shock``. Pass ``initial_shock = 1`` for it to pass its default
        on to creditors now, ``0`` if that was already accounted for.
    initial_shock : array_like
        Shape ``(n,)``, dimensionless :math:`h_i(1) \in [0, 1]`: the relative
        equity loss of each node from the exogenous shock.
    max_iter : int, optional
        Cap on propagation steps (default 100,000). Positive integer.
    tol : float, optional
        Convergence tolerance on the largest one-step increase of ``h``. Positive.

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)``, float64 in ``[0, 1]``: final relative equity losses
        :math:`h_i(\infty)`, including the initial shock. Multiply by ``equity``
        for losses in USD bn.

    Raises
    ------
    ValueError
        If an argument has the wrong shape, is not finite, ``exposures`` is
        negative or has a non-zero diagonal, ``initial_shock`` is outside
        ``[0, 1]``, or ``max_iter``/``tol`` are invalid.
    RuntimeError
        If losses are still growing by more than ``tol`` after ``max_iter`` steps.

    Examples
    --------
    A chain 0 -> 1 -> 2 (0 lends to 1, 1 lends to 2), node 2 loses half its equity:

    >>> import numpy as np
    >>> A = np.array([[0.0, 5.0, 0.0], [0.0, 0.0, 4.0], [0.0, 0.0, 0.0]])
    >>> debtrank(A, np.array([10.0, 8.0, 6.0]), np.array([0.0, 0.0, 0.5])).tolist()
    [0.125, 0.25, 0.5]

    """
    a = _float_array(exposures, "exposures", ndim=2)
    n = a.shape[0]
    if a.shape != (n, n):
        raise ValueError(f"exposures must be a square (n, n) matrix, got shape {a.shape}")
    if np.any(a < 0):
        raise ValueError("exposures must be non-negative")
    if np.any(np.diagonal(a) != 0):
        raise ValueError("exposures must have a zero diagonal (no self-exposure)")
    e = _float_array(equity, "equity", ndim=1)
    if e.shape != (n,):
        raise ValueError(f"equity must have shape ({n},) to match exposures, got {e.shape}")
    h = _float_array(initial_shock, "initial_shock", ndim=1).copy()
    if h.shape != (n,):
        raise ValueError(f"initial_shock must have shape ({n},) to match exposures, got {h.shape}")
    if np.any((h < 0) | (h > 1)):
        raise ValueError("initial_shock must lie in [0, 1]")
    if max_iter is None:
        max_iter = _DEFAULT_MAX_ITER
    elif isinstance(max_iter, bool) or not isinstance(max_iter, int | np.integer) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
    if not (isinstance(tol, float | int | np.floating) and np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be finite and positive, got {tol!r}")

    solvent = e > 0
    lam = np.zeros_like(a)
    with np.errstate(over="ignore"):
        np.divide(a, e[:, None], out=lam, where=solvent[:, None])
    # Any entry above 1/tol already saturates a creditor on a move larger than tol,
    # so capping it changes nothing but keeps the products finite (no inf * 0).
    np.minimum(lam, 1.0 / tol, out=lam)

    dh = h.copy()  # h(1) - h(0) with h(0) = 0
    for _ in range(max_iter):
        moving = dh > tol
        if not moving.any():
            return h
        h_next = np.minimum(1.0, h + lam @ np.where(moving, dh, 0.0))
        dh = h_next - h
        h = h_next
    if np.all(dh <= tol):
        return h
    raise RuntimeError(f"debtrank did not converge within max_iter={max_iter} steps")


def fire_sale_price(
    price: ArrayLike, quantity_sold: ArrayLike, market_depth: ArrayLike
) -> NDArray[np.float64]:
    r"""Price after a forced sale, with exponential price impact.

    .. math:: p' = p \, \exp(-q / d)

    the inverse demand curve of Cifuentes, Ferrucci & Shin ([CFS]_), with
    impact parameter :math:`1/d`. For small sales it is the linear impact of
    Greenwood, Landier & Thesmar ([GLT]_), :math:`\Delta p / p \approx -q/d`,
    but the price never turns negative. Selling one market depth of stake
    marks the price down by a factor :math:`e^{-1} \approx 0.37`.

    Arguments broadcast against each other.

    Parameters
    ----------
    price : array_like
        Pre-sale price, non-negative (USD per share, or USD bn per whole stake).
    quantity_sold : array_like
        Quantity sold, non-negative, in the units of ``market_depth`` (shares,
        or USD bn at the pre-sale mark).
    market_depth : array_like
        Quantity that moves the log price by one, strictly positive; ``inf``
        means a perfectly liquid market (no impact).

    Returns
    -------
    numpy.ndarray
        Post-sale price, same units as ``price``; broadcast shape of the
        arguments, 0-d for scalar inputs.

    Raises
    ------
    ValueError
        If ``price`` or ``quantity_sold`` is negative or not finite,
        ``market_depth`` is not positive, or the shapes do not broadcast.

    Examples
    --------
    >>> round(float(fire_sale_price(100.0, 10.0, 10.0)), 4)
    36.7879

    """
    p, q, d = _fire_sale_args(price, quantity_sold, market_depth)
    return np.asarray(p * np.exp(-q / d))


def fire_sale_proceeds(
    price: ArrayLike, quantity_sold: ArrayLike, market_depth: ArrayLike
) -> NDArray[np.float64]:
    r"""Cash raised by a forced sale that walks down the exponential demand curve.

    Selling continuously while the price falls as in :func:`fire_sale_price`
    raises

    .. math:: \int_0^q p\, e^{-x/d}\, dx = p\, d\, \big(1 - e^{-q/d}\big)

    which lies between the post-sale and pre-sale values of the quantity sold,
    :math:`q\,p' \le \text{proceeds} \le q\,p`, and never exceeds :math:`p\,d`.

    Parameters
    ----------
    price : array_like
        Pre-sale price per unit, non-negative.
    quantity_sold : array_like
        Quantity sold, non-negative, in the units of ``market_depth``.
    market_depth : array_like
        Strictly positive; ``inf`` means no impact (proceeds ``p * q``).

    Returns
    -------
    numpy.ndarray
        Proceeds in ``price`` × quantity units (USD bn when ``price`` is USD bn
        per unit of stake); broadcast shape, 0-d for scalar inputs.

    Raises
    ------
    ValueError
        As :func:`fire_sale_price`.

    """
    p, q, d = _fire_sale_args(price, quantity_sold, market_depth)
    liquid = np.isinf(d)
    finite_d = np.where(liquid, 1.0, d)
    # -expm1(-x) = 1 - exp(-x), accurate for small x; with d = inf it tends to p * q.
    return np.where(liquid, p * q, p * finite_d * -np.expm1(-q / finite_d))


def _fire_sale_args(
    price: ArrayLike, quantity_sold: ArrayLike, market_depth: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Validate and broadcast the fire-sale arguments."""
    p = _float_array(price, "price")
    q = _float_array(quantity_sold, "quantity_sold")
    try:
        d = np.asarray(market_depth, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"market_depth must be numeric: {err}") from err
    if np.any(p < 0):
        raise ValueError("price must be non-negative")
    if np.any(q < 0):
        raise ValueError("quantity_sold must be non-negative")
    if np.any(np.isnan(d)) or np.any(d <= 0):
        raise ValueError("market_depth must be strictly positive (inf allowed)")
    try:
        p, q, d = np.broadcast_arrays(p, q, d)
    except ValueError as err:
        raise ValueError(f"price, quantity_sold and market_depth must broadcast: {err}") from err
    return p, q, d


def _float_array(x: ArrayLike, name: str, ndim: int | None = None) -> NDArray[np.float64]:
    """Return ``x`` as a finite float64 array, else raise ``ValueError`` naming it."""
    try:
        v = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be numeric: {err}") from err
    if ndim is not None and v.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {v.shape}")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return v
