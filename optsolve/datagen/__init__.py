"""optsolve.datagen"""
