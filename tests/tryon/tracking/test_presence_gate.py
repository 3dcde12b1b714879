"""The presence gate alone: when a track's product shows, and how its opacity moves."""

from __future__ import annotations

import pytest

from tryon.tracking.presence_gate import ACQUIRE_FRAMES, MAX_STEP, PresenceGate


def run(verdicts, fps: float = 30.0) -> list[tuple[str, float]]:
    gate = PresenceGate()
    out = []
    for i, verdict in enumerate(verdicts):
        gate.update(verdict, i / fps)
        out.append((gate.state, round(gate.opacity if gate.drawn else 0.0, 3)))
    return out


def test_a_face_seen_for_one_or_two_frames_is_never_drawn():
    for blips in (["accepted"], ["accepted", "accepted"], ["accepted", "rejected", "accepted", "marginal"] * 5):
        assert all(opacity == 0.0 for _, opacity in run([*blips, None, None]))


def test_a_steady_face_shows_on_its_third_frame_and_is_fully_drawn_within_about_120_ms():
    states = run(["accepted"] * 10)
    assert [s for s, _ in states[:ACQUIRE_FRAMES - 1]] == ["acquiring"] * (ACQUIRE_FRAMES - 1)
    opacities = [o for _, o in states]
    first = opacities.index(next(o for o in opacities if o > 0))
    assert first == ACQUIRE_FRAMES - 1 and opacities[first] < 0.5
    assert opacities[first + 3] == 1.0 and opacities == sorted(opacities)


def test_a_lost_face_fades_out_over_about_200_ms_never_in_one_frame():
    states = run(["accepted"] * 10 + [None] * 10)
    fading = [o for s, o in states[10:] if s == "fading" and o > 0]
    assert 4 <= len(fading) <= 7  # 200 ms at 30 fps
    assert fading == sorted(fading, reverse=True) and states[-1] == ("acquiring", 0.0)


@pytest.mark.parametrize("fps", [5.0, 10.0, 60.0])
def test_fades_take_at_least_three_frames_at_any_frame_rate(fps):
    opacities = [o for _, o in run(["accepted"] * 12 + [None] * 12, fps)]
    steps = [abs(b - a) for a, b in zip([0.0, *opacities], opacities)]
    assert max(steps) <= MAX_STEP + 1e-9


def test_a_tracked_face_that_turns_marginal_stays_but_a_new_marginal_one_is_not_taken():
    assert run(["accepted"] * 8 + ["marginal"] * 5)[-1] == ("tracked", 1.0)
    assert all(o == 0.0 for _, o in run(["marginal"] * 10))


def test_a_fading_face_judged_plausible_again_fades_back_in_from_where_it_was():
    states = run(["accepted"] * 8 + ["rejected"] * 2 + ["accepted"] * 2)
    low = states[9][1]
    assert states[9][0] == "fading" and 0 < low < 1
    assert states[10][0] == "tracked" and low < states[10][1] <= 1.0


def test_repeated_timestamps_still_advance_a_fade():
    gate = PresenceGate()
    for verdict in ["accepted"] * 6:
        gate.update(verdict, 1.0)
    assert gate.drawn
    for _ in range(10):
        gate.update(None, 1.0)
    assert not gate.drawn and gate.opacity == 0.0


def test_a_face_still_in_view_after_its_product_faded_out_must_be_seen_steadily_again():
    states = run(["accepted"] * 8 + ["rejected"] * 8 + ["accepted"] * 2 + ["marginal"] + ["accepted"] * 3)
    assert states[15] == ("acquiring", 0.0)
    assert all(o == 0.0 for _, o in states[16:20])  # the streak restarts: two, a marginal, then ...
    assert states[-1][0] == "tracked" and states[-1][1] > 0  # ... three accepted frames in a row
