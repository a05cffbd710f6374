"""What a person sees: the live overlay (the only cv2 drawing), annotated video, plots, tables."""
