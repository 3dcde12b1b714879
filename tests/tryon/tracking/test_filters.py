import numpy as np

from tryon.tracking.filters import OneEuroFilter, OneEuroParams


def test_one_euro_removes_most_jitter_from_a_still_signal():
    rng = np.random.default_rng(0)
    f = OneEuroFilter(OneEuroParams(min_cutoff=1.0, beta=0.01))
    noisy = 100 + rng.normal(0, 1.0, size=300)
    out = np.array([f(np.array([v]), i / 30)[0] for i, v in enumerate(noisy)])
    assert out[30:].std() < 0.4 * noisy[30:].std()


def test_one_euro_follows_fast_motion_with_little_lag():
    f = OneEuroFilter(OneEuroParams(min_cutoff=1.0, beta=0.05))
    xs = np.arange(60) * 10.0  # 300 px/s
    out = [f(np.array([x]), i / 30)[0] for i, x in enumerate(xs)]
    assert abs(out[-1] - xs[-1]) < 15.0  # less than ~1.5 frames behind


def test_reset_forgets_the_previous_position():
    f = OneEuroFilter()
    f(np.array([0.0]), 0.0)
    f(np.array([0.0]), 1 / 30)
    f.reset()
    assert f(np.array([500.0]), 2 / 30)[0] == 500.0
