"""optsolve.formalize"""
