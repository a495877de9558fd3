# pathwise_configure_target(<target>): warnings, sanitizers and C++17 for our own targets only; no global
# flags, so parents that add_subdirectory() us keep theirs. Every flag sits in $<BUILD_INTERFACE:...>:
# it applies while Pathwise builds, and never reaches an installed target's consumers (an installed
# pathwise::core must not make its users link a sanitizer runtime).
set(PATHWISE_WARNING_FLAGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
if(PATHWISE_WERROR)
  list(APPEND PATHWISE_WARNING_FLAGS -Werror)
endif()
set(PATHWISE_SANITIZE_FLAGS)
if(PATHWISE_SANITIZE)
  if("thread" IN_LIST PATHWISE_SANITIZE AND "address" IN_LIST PATHWISE_SANITIZE)
    message(FATAL_ERROR "PATHWISE_SANITIZE: thread and address cannot be combined (one runtime each)")
  endif()
  string(REPLACE ";" "," _sanitizers "${PATHWISE_SANITIZE}")
  set(PATHWISE_SANITIZE_FLAGS -fsanitize=${_sanitizers})
  # g++ 12's -Wmaybe-uninitialized fires inside libstdc++ (std::regex's std::function) once the
  # sanitizers' instrumentation changes what the optimiser sees: a known false positive (GCC bug
  # 105562 and kin). It stays a warning there, and an error in every other build.
  if(PATHWISE_WERROR AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    list(APPEND PATHWISE_WARNING_FLAGS -Wno-error=maybe-uninitialized)
  endif()
endif()

function(pathwise_configure_target target)
  target_compile_features(${target} PUBLIC cxx_std_17)
  target_compile_options(${target} PRIVATE "$<BUILD_INTERFACE:${PATHWISE_WARNING_FLAGS}>")
  if(PATHWISE_BUILD_FUZZERS)
    # libFuzzer's coverage feedback in every Pathwise target; only the fuzz binaries link libFuzzer.
    target_compile_options(${target} PRIVATE "$<BUILD_INTERFACE:-fsanitize=fuzzer-no-link>")
  endif()
  if(PATHWISE_SANITIZE_FLAGS)
    target_compile_options(${target} PRIVATE
      "$<BUILD_INTERFACE:${PATHWISE_SANITIZE_FLAGS};-fno-omit-frame-pointer;-fno-sanitize-recover=all>")
    # PUBLIC: the programs that link our static libraries need the runtime too.
    target_link_options(${target} PUBLIC "$<BUILD_INTERFACE:${PATHWISE_SANITIZE_FLAGS}>")
  endif()
endfunction()
