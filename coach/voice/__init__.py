"""Speech: prompt rules, audio and players, the speaking worker (the only pyttsx3 import)."""
