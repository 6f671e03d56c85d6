"""Burn CPU forever."""
x = 0
while True:
    x += 1
