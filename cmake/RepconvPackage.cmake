# What `cmake --install` puts down and how an app finds it:
#   <prefix>/include/repconv.h, <libdir>/librepconv.{so,a}, <bindir>/repconv,
#   <libdir>/cmake/repconv/ (repconvConfig.cmake: find_package(repconv)),
#   <libdir>/pkgconfig/repconv.pc (pkg-config).
# repconv::repconv is the shared library, repconv::repconv_static the static one
# (repconvConfig.cmake.in says why and what each carries).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set_target_properties(repconv_shared PROPERTIES EXPORT_NAME repconv)
set_target_properties(repconv_static PROPERTIES EXPORT_NAME repconv_static)
install(TARGETS repconv_shared repconv_static EXPORT repconvTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS repconv_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/include/repconv.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# CMake package. Before 1.0 a minor version may break the API, so a request
# for 0.1 accepts 0.1.x only; from 1.0 on, the same major version.
set(_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/repconv)
set(_pkg ${PROJECT_BINARY_DIR}/package)
install(EXPORT repconvTargets NAMESPACE repconv:: DESTINATION ${_cmake_dir})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/repconvConfig.cmake.in ${_pkg}/repconvConfig.cmake
                              INSTALL_DESTINATION ${_cmake_dir} NO_SET_AND_CHECK_MACRO)
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(_compat SameMinorVersion)
else()
  set(_compat SameMajorVersion)
endif()
write_basic_package_version_file(${_pkg}/repconvConfigVersion.cmake VERSION ${PROJECT_VERSION}
                                 COMPATIBILITY ${_compat})
install(FILES ${_pkg}/repconvConfig.cmake ${_pkg}/repconvConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/third_party/cmake/RepconvLinkDeps.cmake
        DESTINATION ${_cmake_dir})

# pkg-config file. Dependencies with a pkg-config module (Debian: cpuinfo,
# protobuf-c) go to Requires.private, the others (XNNPACK, pthreadpool: no .pc
# in Debian; libm; the threads library if the C library needs one) to
# Libs.private as -l flags.
set(_requires "")
set(_libs "-lXNNPACK -lpthreadpool")
if(REPCONV_CPUINFO_PKGCONFIG)
  list(APPEND _requires libcpuinfo)
else()
  string(APPEND _libs " -lcpuinfo")
endif()
if(REPCONV_ONNX)
  if(REPCONV_PROTOBUF_C_PKGCONFIG)
    list(APPEND _requires libprotobuf-c)
  else()
    string(APPEND _libs " -lprotobuf-c")
  endif()
endif()
string(APPEND _libs " -lm")
if(CMAKE_THREAD_LIBS_INIT)
  string(APPEND _libs " ${CMAKE_THREAD_LIBS_INIT}")
endif()
list(JOIN _requires ", " REPCONV_PC_REQUIRES_PRIVATE)
set(REPCONV_PC_LIBS_PRIVATE "${_libs}")
foreach(_dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${_dir}}")
    set(REPCONV_PC_${_dir} "${CMAKE_INSTALL_${_dir}}")
  else()
    set(REPCONV_PC_${_dir} "\${prefix}/${CMAKE_INSTALL_${_dir}}")
  endif()
endforeach()
# The prefix is the one installed to (`cmake --install build --prefix DIR`
# may differ from CMAKE_INSTALL_PREFIX at configure time): filled in by the
# install step.
set(REPCONV_PC_PREFIX "@REPCONV_PC_PREFIX@")
configure_file(${CMAKE_CURRENT_LIST_DIR}/repconv.pc.in ${_pkg}/repconv.pc.in @ONLY)
install(CODE "set(REPCONV_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
configure_file(\"${_pkg}/repconv.pc.in\" \"${_pkg}/repconv.pc\" @ONLY)")
install(FILES ${_pkg}/repconv.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
