"""Use no CPU, never finish: only the wall-clock deadline stops it."""
import time

while True:
    time.sleep(3600)
