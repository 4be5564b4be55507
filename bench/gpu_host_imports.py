# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Check, here, that what the GPU check imports exists on the GPU host: its packages plus the carried wheels.

The GPU host cannot be reached from here, and a virtual environment like it would need its
torch. This check imports the GPU check's modules in this environment instead, refusing
every module that our code or a carried package imports from a distribution that is
neither among ``HOST_PACKAGES`` (the host image's package list, read 2026-11-17) nor
among the wheels in ``.gpu/whl``; ``importlib.util.find_spec`` reports such a module as
absent, as it would be there (optional dependencies are probed that way). Imports made by
a host package itself are left alone: the host's own version brings what it needs.
Best effort: versions are not compared.

Usage:
    python bench/gpu_host_imports.py .gpu/whl      # exit status 0 when every import resolves
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import inspect
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType

HOST_PACKAGES = """
absl-py accelerate aiofiles aiohappyeyeballs aiohttp aiosignal annotated-doc anyio attrs botorch build
certifi charset-normalizer chex click cloudpickle cmake colorama contourpy coverage cuda-bindings cuda-core
cuda-pathfinder cuda-toolkit cupy-cuda13x cycler cython diffrax e3nn einops equinox etils execnet filelock
flatbuffers flax fonttools formulaic frozenlist fsspec gpytorch grpcio h11 h5py hf-xet httpcore httpx
huggingface-hub humanize hypothesis idna imageio iniconfig interface-meta jax jax-cuda13-pjrt
jax-cuda13-plugin jaxlib jaxtyping jinja2 joblib kiwisolver lazy-loader lightning lightning-utilities
linear-operator lineax llvmlite lxml markdown markdown-it-py markupsafe matplotlib mdurl meson ml-dtypes
mpi4py mpmath msgpack multidict multipledispatch mypy-extensions nanobind narwhals networkx ninja numba
numba-cuda numpy numpyro nvidia-cublas nvidia-cuda-cupti nvidia-cuda-nvrtc nvidia-cuda-runtime
nvidia-cudnn-cu13 nvidia-cufft nvidia-cufile nvidia-curand nvidia-cusolver nvidia-cusparse
nvidia-cusparselt-cu13 nvidia-ml-py nvidia-nccl-cu13 nvidia-nvjitlink nvidia-nvshmem-cu13 nvidia-nvtx onnx
onnx-ir onnxruntime onnxscript opencv-python-headless optax opt-einsum opt-einsum-fx optimistix
orbax-checkpoint packaging pandas pathspec patsy peft pillow pip pluggy portalocker prometheus-client
propcache protobuf psutil pyarrow pybind11 py-cpuinfo pygments pyparsing pyproject-hooks pyre-extensions
pytest pytest-benchmark pytest-cov pytest-mock pytest-timeout pytest-xdist python-dateutil pytorch-lightning
pyyaml regex requests rich sacrebleu safetensors scikit-build-core scikit-image scikit-learn scipy seaborn
sentencepiece sentence-transformers setuptools shellingham simplejson six sortedcontainers statsmodels sympy
tabulate tensorboard tensorboard-data-server tensorstore threadpoolctl tifffile tiktoken timm tokenizers
toolz torch torchaudio torchdiffeq torch-geometric torchmetrics torchvision tqdm transformers treescope
triton typer typing-extensions typing-inspect urllib3 uvloop wadler-lindig werkzeug wheel wrapt xarray xxhash
yarl zipp
"""
PROJECT = "anomalib-toll"
# What bench/gpu_check.py and tests/gpu import, directly or through the package.
MODULES = (
    "anomalib_toll", "anomalib_toll.core", "anomalib_toll.protocol", "anomalib_toll.models", "anomalib_toll.benchmark",
    "anomalib.data", "anomalib.engine", "anomalib.models", "lightning.pytorch", "pyod", "jsonargparse", "timm",
    "sklearn.metrics", "PIL", "pytest",
)


def normalize(name: str) -> str:
    """A distribution name in PEP 503 normal form."""
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_distributions(wheels: Path) -> set[str]:
    """Normalised distribution names of the ``.whl`` files in ``wheels``."""
    return {normalize(path.name.split("-")[0]) for path in wheels.glob("*.whl")}


class HostOnly:
    """A ``sys.meta_path`` finder refusing imports, by our code or carried packages, of what the host lacks."""

    def __init__(self, allowed: set[str], carried: set[str]) -> None:
        self.allowed = allowed
        self.enforced = carried | {PROJECT}
        self.owners = importlib.metadata.packages_distributions()
        self.refused: list[str] = []

    def distributions(self, module: str) -> set[str]:
        """Normalised distributions that provide the top-level package of ``module``."""
        return {normalize(d) for d in self.owners.get(module.partition(".")[0], [])}

    @staticmethod
    def importer() -> str:
        """Name of the module whose code is importing (the first frame outside importlib)."""
        frame = inspect.currentframe()
        while frame is not None and frame.f_globals.get("__name__", "").startswith(
            ("importlib", "_frozen_importlib", __name__),
        ):
            frame = frame.f_back
        return frame.f_globals.get("__name__", "") if frame is not None else ""

    def hidden(self, name: str) -> bool:
        """Whether ``name`` comes only from distributions that the host lacks."""
        providers = self.distributions(name)
        return bool(providers) and not providers & self.allowed

    def probe(self, original: Callable[..., ModuleSpec | None]) -> Callable[..., ModuleSpec | None]:
        """Wrap ``importlib.util.find_spec``: a hidden module is absent."""

        def find_spec(name: str, package: str | None = None) -> ModuleSpec | None:
            return None if self.hidden(name) else original(name, package)

        return find_spec

    def find_spec(self, name: str, path: Sequence[str] | None, target: ModuleType | None = None) -> ModuleSpec | None:
        """Refuse ``name`` when it comes from a distribution the host lacks and our side imports it."""
        del path, target  # unused
        providers = self.distributions(name)
        if not providers or providers & self.allowed:
            return None  # the standard library, the host's or a carried package: import it as usual
        importer = self.importer()
        by = self.distributions(importer)
        if importer != "__main__" and by and not by & self.enforced:
            return None  # a host package's own dependency (its version on the host brings its own)
        message = f"{name} (from {sorted(providers)}) imported by {importer}: not on the GPU host and not carried"
        self.refused.append(message)
        raise ModuleNotFoundError(message)


def main(argv: list[str] | None = None) -> int:
    """Import :data:`MODULES` under :class:`HostOnly`; print what was refused."""
    args = sys.argv[1:] if argv is None else argv
    carried = wheel_distributions(Path(args[0] if args else ".gpu/whl"))
    allowed = {normalize(name) for name in HOST_PACKAGES.split()} | carried | {PROJECT}
    finder = HostOnly(allowed, carried)
    sys.meta_path.insert(0, finder)
    importlib.util.find_spec = finder.probe(importlib.util.find_spec)
    failed = []
    for module in MODULES:
        try:
            importlib.import_module(module)
        except ImportError as err:
            failed.append(f"{module}: {err}")
    for line in [*failed, *finder.refused]:
        print(f"REFUSED {line}")
    print(f"host imports: {len(MODULES) - len(failed)}/{len(MODULES)} modules import with the host's packages "
          f"and {len(carried)} carried wheels")
    return 1 if failed or finder.refused else 0


if __name__ == "__main__":
    sys.exit(main())
