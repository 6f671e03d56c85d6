"""optsolve.service"""
