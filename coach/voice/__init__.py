"""Speech: prompt rules, audio synthesis and players, the speaking worker (the only pyttsx3 import)."""
