"""coach: a webcam coach for gentle home back stretches."""

__version__ = "0.1.0"
