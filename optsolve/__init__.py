"""optsolve: optimization problems in plain language to correct, solved mathematical models.

The pipeline: ``formalize`` (text -> Formulation v1) -> ``formulation`` (parse, check, ground) ->
``solvers`` (route, solve, explain). ``datagen`` synthesizes training data, ``train`` fits the embedded
formalizer, ``service`` serves it all over gRPC.
"""

__version__ = "0.1.0"
