"""The ``optsolve`` command line. Each area owns one module here with ``register(subparsers)``."""
