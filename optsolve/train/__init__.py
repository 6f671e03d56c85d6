"""optsolve.train"""
