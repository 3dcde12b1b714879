"""When a tracked face's product shows in video, and how opaque: no ghost products, no pops.

A new track must be judged plausible (tryon.geometry.face_plausibility) on ACQUIRE_FRAMES
frames in a row before its product appears: a palm, a profile or a half-seen face that the mesh
fits for a frame or two never gets one. Then the product fades in over FADE_IN_S. Once
tracked, a marginal frame keeps it (hysteresis: a face that is clearly there does not blink
off when it turns a little); a rejected frame or a lost track fades it out over FADE_OUT_S,
its last placement held still, rather than removing it from one frame to the next. A fading
face that is judged plausible again fades back in from where it was; once faded out, a face
still in view is "acquiring" again and must pass ACQUIRE_FRAMES frames anew.

Times are the stream's timestamps (seconds); every fade takes at least three frames whatever
the frame rate (MAX_STEP), so a slow stream never pops either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tryon.geometry.face_plausibility import Verdict

TrackingState = Literal["acquiring", "tracked", "fading"]

# 3 frames = 100 ms at 30 fps: a mesh on a non-face was never judged plausible 3 frames in a
# row in the pan/zoom clips measured (cameraman profile: 0 of 191 frames; a blurred, downcast
# face: isolated single frames), while a real face in view is accepted from its first frame.
ACQUIRE_FRAMES = 3
OPACITY_AT_ACCEPT = 0.25  # the first drawn frame already shows the product, faintly
FADE_IN_S = 0.12  # 0.25 -> 1 in ~4 frames at 30 fps: quick, but not a pop
FADE_OUT_S = 0.2  # 1 -> 0 in 6 frames at 30 fps
MAX_STEP = 0.35  # most opacity change in one frame, for slow streams
FALLBACK_FRAME_S = 1.0 / 30.0  # camera rate
INVISIBLE = 0.01  # below this a fading product is gone (not one more frame of rounding residue)


@dataclass
class PresenceGate:
    """One face track's gate. `update` once per frame; read `state` and `opacity` after it."""

    state: TrackingState = "acquiring"
    opacity: float = 0.0
    streak: int = 0  # plausible frames in a row while acquiring
    last_t: float | None = None

    def update(self, verdict: Verdict | None, t: float) -> None:
        """verdict: this frame's judgement of the face, None when the track was lost."""
        # Frames with no usable time step (first, repeated or out-of-order stamps) count as one
        # camera frame, so a fade always advances.
        dt = t - self.last_t if self.last_t is not None and t > self.last_t else FALLBACK_FRAME_S
        self.last_t = t
        if self.state == "acquiring":
            self.streak = self.streak + 1 if verdict == "accepted" else 0
            if self.streak >= ACQUIRE_FRAMES:
                self.state, self.opacity = "tracked", OPACITY_AT_ACCEPT
            return
        keeps = verdict == "accepted" or (verdict == "marginal" and self.state == "tracked")
        if keeps:
            self.state = "tracked"
            self.opacity = min(self.opacity + min(dt / FADE_IN_S, MAX_STEP), 1.0)
        else:
            self.state = "fading"
            self.opacity = self.opacity - min(dt / FADE_OUT_S, MAX_STEP)
            if self.opacity < INVISIBLE:  # gone: a face still in view must earn its product anew
                self.state, self.opacity, self.streak = "acquiring", 0.0, 0

    @property
    def drawn(self) -> bool:
        """The product shows this frame (at `opacity`)."""
        return self.state != "acquiring" and self.opacity > 0.0
