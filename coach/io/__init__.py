"""I/O adapters: frame sources, capture, MediaPipe, landmark files, config, the history store."""
