"""The generated protobuf/gRPC modules, generated on first import if missing.

``from optsolve.service.pb import pb2, pb2_grpc`` is the one way the rest of the service imports them.
"""

from __future__ import annotations

from optsolve.service.codegen import ensure_generated

ensure_generated()

from optsolve.service._gen.optsolve.v1 import optsolve_pb2 as pb2  # noqa: E402
from optsolve.service._gen.optsolve.v1 import optsolve_pb2_grpc as pb2_grpc  # noqa: E402

SERVICE_NAME: str = pb2.DESCRIPTOR.services_by_name["OptSolve"].full_name

__all__ = ["SERVICE_NAME", "pb2", "pb2_grpc"]
