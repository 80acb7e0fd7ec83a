import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from world.demand import bass_cumulative, bass_step


def test_bass_closed_form_matches_the_ode():
    """Integrate dF/dt = (p + qF)(1 - F) finely; compare with the closed form."""
    p, q = 0.03, 0.38
    f, dt = 0.0, 1e-4
    for _ in range(int(10 / dt)):
        f += dt * (p + q * f) * (1 - f)
    assert f == pytest.approx(bass_cumulative(10.0, p, q), rel=1e-4)


@settings(max_examples=60, deadline=None)
@given(p=st.floats(0.001, 0.5), q=st.floats(0.0, 1.5), m=st.floats(10, 5000), n=st.integers(1, 40))
def test_stepping_reproduces_closed_form(p, q, m, n):
    users = 0.0
    for _ in range(n):
        users = bass_step(users, p, q, m)
    assert users == pytest.approx(m * bass_cumulative(float(n), p, q), rel=1e-9, abs=1e-9)
    assert 0.0 <= users <= m


def test_bass_is_monotone_and_bounded():
    t = np.linspace(0, 50, 200)
    f = bass_cumulative(t, 0.02, 0.4, 0.1)
    assert f[0] == pytest.approx(0.1)
    assert np.all(np.diff(f) > 0) and f[-1] < 1.0


def test_bass_validates_arguments():
    with pytest.raises(ValueError, match="p must be"):
        bass_cumulative(1.0, 0.0, 0.3)
    with pytest.raises(ValueError, match="m must be"):
        bass_step(10.0, 0.1, 0.1, 0.0)
    assert bass_step(20.0, 0.1, 0.1, 10.0) == 20.0  # saturated market keeps its users
