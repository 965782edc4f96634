# SPDX-License-Identifier: Apache-2.0
# fzgw_add_module(NAME SOURCES src... [LIBS lib...] [NO_INSTALL] [OUTPUT_DIR dir])
# Builds one gateway module: a shared object NAME.so with hidden visibility, no "lib"
# prefix, exporting only the fzgw_module descriptor. Usable in tree and, after install,
# by third-party projects (include(FzgwModule) with CMAKE_MODULE_PATH at <libdir>/cmake/fzgw).
function(fzgw_add_module name)
  cmake_parse_arguments(M "NO_INSTALL" "OUTPUT_DIR" "SOURCES;LIBS" ${ARGN})
  add_library(${name} MODULE ${M_SOURCES})
  set_target_properties(${name} PROPERTIES PREFIX "" OUTPUT_NAME ${name}
                        C_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  if(M_OUTPUT_DIR)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${M_OUTPUT_DIR})
  elseif(DEFINED FZGW_MODULE_OUTPUT_DIR)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${FZGW_MODULE_OUTPUT_DIR})
  endif()
  if(TARGET fzgw_headers)
    target_link_libraries(${name} PRIVATE fzgw_headers)
  elseif(DEFINED FZGW_INCLUDE_DIR)
    target_include_directories(${name} PRIVATE ${FZGW_INCLUDE_DIR})
  endif()
  if(M_LIBS)
    target_link_libraries(${name} PRIVATE ${M_LIBS})
  endif()
  if(NOT M_NO_INSTALL AND DEFINED FZGW_MODULE_INSTALL_DIR)
    install(TARGETS ${name} LIBRARY DESTINATION ${FZGW_MODULE_INSTALL_DIR})
  endif()
endfunction()
