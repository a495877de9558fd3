"""Builds pathwise._core with CMake from the repository root, for `pip install ./python`.

Metadata is in pyproject.toml. The extension is the same CMake target the README's build makes
(PATHWISE_BUILD_PYTHON); here only that target is built, against the interpreter running pip, in
build/python-wheel/ of the clone (incremental across reinstalls).

The gRPC client's stubs (pathwise/v1/*_pb2.py, *_pb2_grpc.py, and pathwise/_grpc/health/v1/ from
the standard health proto) are generated from proto/ with protoc
and grpc_python_plugin, as the CMake build does, when both are on PATH (Debian: protobuf-compiler,
protobuf-compiler-grpc); without them the package installs all the same and pathwise.Client says
what is missing.

The version is the one the root CMakeLists.txt's project() gives (pyproject.toml lists it as dynamic), so
that the package and the C++ library (PATHWISE_VERSION_STRING, pathwise.__version__) never disagree.
"""

import os
import pathlib
import re
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent


def cmake_project_version() -> str:
    text = (ROOT / "CMakeLists.txt").read_text(encoding="utf-8")
    match = re.search(r"project\(\s*pathwise\s+VERSION\s+([0-9][0-9.]*)", text)
    if match is None:
        raise RuntimeError(f"pathwise: no `project(pathwise VERSION x.y.z` in {ROOT / 'CMakeLists.txt'}")
    return match.group(1)


class CMakeExtension(Extension):
    def __init__(self, name: str) -> None:
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext: Extension) -> None:
        if not (ROOT / "CMakeLists.txt").is_file() or not (ROOT / "src" / "core").is_dir():
            raise RuntimeError(
                f"pathwise: the C++ sources are not at {ROOT}; install from a clone with "
                "`pip install --no-build-isolation ./python`")
        cmake = shutil.which("cmake")
        if cmake is None:
            raise RuntimeError("pathwise: cmake is needed to build the extension (scripts/install-deps.sh)")
        build_dir = pathlib.Path(os.environ.get("PATHWISE_WHEEL_BUILD_DIR", ROOT / "build" / "python-wheel"))
        configure = [
            cmake, "-S", str(ROOT), "-B", str(build_dir),
            "-DCMAKE_BUILD_TYPE=Release",
            "-DPATHWISE_BUILD_PYTHON=ON",
            "-DPATHWISE_BUILD_TESTS=OFF",
            "-DPATHWISE_BUILD_BENCH=OFF",
            "-DPATHWISE_BUILD_TOOLS=OFF",
            "-DPATHWISE_BUILD_SERVICE=OFF",
            "-DPATHWISE_INSTALL=OFF",
            "-DPYBIND11_FINDPYTHON=ON",
            f"-DPython_EXECUTABLE={sys.executable}",
        ]
        if shutil.which("ninja"):
            configure += ["-G", "Ninja"]
        if shutil.which("ccache"):
            configure.append("-DCMAKE_CXX_COMPILER_LAUNCHER=ccache")
        subprocess.run(configure, check=True)
        jobs = os.environ.get("JOBS", "2")
        subprocess.run([cmake, "--build", str(build_dir), "-j", jobs, "--target",
                        "pathwise_python_core"], check=True)
        built = sorted((build_dir / "python" / "pathwise").glob("_core*.so"))
        if not built:
            raise RuntimeError(f"pathwise: the build made no _core module in {build_dir}/python/pathwise")
        destination = pathlib.Path(self.get_ext_fullpath(ext.name))
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[-1], destination)


class BuildPyWithStubs(build_py):
    """Copies the pure-Python package, then generates the gRPC stubs beside it (see the docstring)."""

    def run(self) -> None:
        super().run()
        protoc, plugin = shutil.which("protoc"), shutil.which("grpc_python_plugin")
        protos = sorted(str(p) for p in (ROOT / "proto" / "pathwise" / "v1").glob("*.proto"))
        if not protos:
            return
        if protoc is None or plugin is None:
            print("pathwise: protoc or grpc_python_plugin not found (Debian: protobuf-compiler, "
                  "protobuf-compiler-grpc): pathwise.Client's stubs are not generated", file=sys.stderr)
            return
        out = self.build_lib
        self._generate(protoc, plugin, ROOT / "proto", protos, out)
        # grpc.health.v1 as pathwise._grpc.health.v1 (see python/CMakeLists.txt): the standard proto,
        # copied under pathwise/ so that protoc does not name its modules grpc.*.
        staging = pathlib.Path(self.build_temp) / "health_proto"
        health = staging / "pathwise" / "_grpc" / "health" / "v1" / "health.proto"
        health.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / "proto" / "grpc" / "health" / "v1" / "health.proto", health)
        self._generate(protoc, plugin, staging, [str(health)], out)

    @staticmethod
    def _generate(protoc: str, plugin: str, include: pathlib.Path, protos: list, out: str) -> None:
        command = [protoc, "-I", str(include), f"--python_out={out}", f"--grpc_out={out}",
                   f"--plugin=protoc-gen-grpc={plugin}"]
        # .pyi types need protoc >= 3.20; without them the stubs work the same.
        if subprocess.run(command + [f"--pyi_out={out}"] + protos).returncode != 0:
            subprocess.run(command + protos, check=True)


# setuptools' own scratch directories go under the (git-ignored) top-level build/, not into python/.
SCRATCH = ROOT / "build" / "python-setuptools"
SCRATCH.mkdir(parents=True, exist_ok=True)

setup(
    version=cmake_project_version(),
    ext_modules=[CMakeExtension("pathwise._core")],
    cmdclass={"build_ext": CMakeBuild, "build_py": BuildPyWithStubs},
    options={"build": {"build_base": str(SCRATCH)}, "egg_info": {"egg_base": str(SCRATCH)}},
)
