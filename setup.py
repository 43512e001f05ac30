"""The one thing pyproject.toml cannot say: the fan-out's optional C helper.

mediaworker/forwarding/fanout_build.py describes it; where it does not compile (no C
compiler), the install goes on and the worker uses its pure-Python path.
"""

import runpy

from setuptools import setup  # type: ignore[import-untyped]

ffibuilder = runpy.run_path("mediaworker/forwarding/fanout_build.py")["ffibuilder"]
extension = ffibuilder.distutils_extension(tmpdir="build/cffi")
extension.optional = True
setup(ext_modules=[extension])
