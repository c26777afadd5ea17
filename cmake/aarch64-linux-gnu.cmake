# Cross build for AArch64 Linux with Debian's cross compiler; tests run
# under qemu-user. third_party/install-cross-arm64.sh installs everything
# this file uses:
#
#   third_party/install-cross-arm64.sh
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake -DREPCONV_WERROR=ON
#   cmake --build build-arm64 -j2 && ctest --test-dir build-arm64
#
# libc and the compiler runtime come from the cross toolchain's own tree
# (/usr/aarch64-linux-gnu); XNNPACK, pthreadpool, cpuinfo, cmocka and
# protobuf-c from the private sysroot the script unpacks (see there why not
# dpkg-installed :arm64 packages).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

if(DEFINED ENV{REPCONV_ARM64_SYSROOT})
  set(REPCONV_ARM64_SYSROOT "$ENV{REPCONV_ARM64_SYSROOT}")
else()
  set(REPCONV_ARM64_SYSROOT /opt/repconv-arm64-sysroot)
endif()
set(_libdir ${REPCONV_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu)

set(CMAKE_FIND_ROOT_PATH ${REPCONV_ARM64_SYSROOT} /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER) # protoc-c runs on the build host
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config (cpuinfo, cmocka, protobuf-c) reads the sysroot's .pc files
# only, with their /usr paths re-rooted.
set(ENV{PKG_CONFIG_DIR} "")
set(ENV{PKG_CONFIG_LIBDIR} "${_libdir}/pkgconfig:${REPCONV_ARM64_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${REPCONV_ARM64_SYSROOT}")

# libXNNPACK.so needs libcpuinfo/libpthreadpool: the linker finds them here,
# and the binaries find all of them at run time through this rpath.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,-rpath-link,${_libdir} -Wl,-rpath,${_libdir}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-Wl,-rpath-link,${_libdir} -Wl,-rpath,${_libdir}")

# onnx.proto is data, the same for every architecture: the build host's copy
# (libonnx-dev) serves.
if(EXISTS /usr/include/onnx/onnx.proto)
  set(ONNX_PROTO_INCLUDE_DIR /usr/include CACHE PATH "directory holding onnx/onnx.proto")
endif()

# ctest runs every test binary through qemu; -L finds the arm64 dynamic
# loader and libc of the cross toolchain.
find_program(REPCONV_QEMU_AARCH64 NAMES qemu-aarch64-static qemu-aarch64)
if(REPCONV_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${REPCONV_QEMU_AARCH64} -L /usr/aarch64-linux-gnu)
endif()
