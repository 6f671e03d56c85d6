"""Flood stdout and stderr as fast as possible, forever."""
import sys

line = "A" * 1023 + "\n"
block = line * 64
while True:
    sys.stdout.write(block)
    sys.stderr.write(block)
