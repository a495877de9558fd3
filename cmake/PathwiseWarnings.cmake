# pathwise_configure_target(<target>): warnings, sanitizers and C++17 for our own targets only; no global
# flags, so parents that add_subdirectory() us keep theirs.
function(pathwise_configure_target target)
  target_compile_features(${target} PUBLIC cxx_std_17)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
  if(PATHWISE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(PATHWISE_SANITIZE)
    string(REPLACE ";" "," _sanitizers "${PATHWISE_SANITIZE}")
    target_compile_options(${target} PRIVATE -fsanitize=${_sanitizers} -fno-omit-frame-pointer
                                             -fno-sanitize-recover=all)
    target_link_options(${target} PUBLIC -fsanitize=${_sanitizers})
  endif()
endfunction()
