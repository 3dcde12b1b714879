"""tryon: real-time AR virtual try-on engine (tracking, metric head pose, glTF rendering)."""

__version__ = "0.1.0"
