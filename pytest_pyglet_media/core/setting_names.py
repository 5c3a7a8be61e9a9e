"""The environment variables of the two settings pytest and `pyglet-mp`
share: one name each (the options and the store both read them; kept here,
on the lowest floor, so that the options, read by every pytest run of the
environment, name them without importing the store)."""
from __future__ import annotations

SAMPLES_DIR_ENV = "PYTEST_MP_SAMPLES_DIR"
STORE_DIR_ENV = "PYTEST_MP_STORE"
#: the names `pyglet-mp` read before; still read, with a warning, for one release
DEPRECATED_ENV = {SAMPLES_DIR_ENV: "pyglet_mp_samples_dir", STORE_DIR_ENV: "pyglet_mp_store_dir"}

#: the audio drivers pyglet knows (pyglet.media.drivers), on any platform
AUDIO_DRIVERS = ("silent", "openal", "pulse", "xaudio2", "directsound")
