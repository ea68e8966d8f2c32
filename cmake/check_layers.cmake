# Fails when a file includes a header of a folder that is not below its own.
# TABLE: lines "layer:dep1,dep2" written by src/CMakeLists.txt (direct dependencies).
# A file in src/LAYER/ or include/auditfetch/LAYER/ may include "auditfetch/X/..." for X its
# layer or one it names in its DEPENDS (what it uses is declared, even what would come along
# through another layer), and the private headers of its own layer only ("LAYER/..." from
# src/, or a sibling by its file name). A layer's DEPENDS may only name layers declared before
# it, so the folders form a ladder without cycles. main.cpp may include anything.
file(STRINGS "${TABLE}" lines)
set(layers)
foreach(line IN LISTS lines)
  string(REGEX MATCH "^([a-z_]+):(.*)$" _ "${line}")
  set(name "${CMAKE_MATCH_1}")
  string(REPLACE "," ";" deps "${CMAKE_MATCH_2}")
  list(APPEND layers ${name})
  set(direct_${name} ${deps})
endforeach()

# Transitive closure, in table order (every layer's dependencies come before it).
foreach(name IN LISTS layers)
  set(all_${name} ${name})
  foreach(dep IN LISTS direct_${name})
    if(NOT DEFINED all_${dep})
      message(FATAL_ERROR "layer ${name} depends on ${dep}, which is not declared before it")
    endif()
    list(APPEND all_${name} ${all_${dep}})
  endforeach()
  list(REMOVE_DUPLICATES all_${name})
endforeach()

set(problems "")
foreach(name IN LISTS layers)
  file(GLOB_RECURSE files "${SOURCE_DIR}/src/${name}/*.cpp" "${SOURCE_DIR}/src/${name}/*.hpp"
       "${SOURCE_DIR}/include/auditfetch/${name}/*.hpp")
  foreach(file IN LISTS files)
    file(STRINGS "${file}" includes REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
    set(line_number 0)
    foreach(include IN LISTS includes)
      string(REGEX MATCH "\"([^\"]+)\"" _ "${include}")
      set(path "${CMAKE_MATCH_1}")
      file(RELATIVE_PATH where "${SOURCE_DIR}" "${file}")
      if(path MATCHES "^auditfetch/([a-z_]+)/")
        set(target "${CMAKE_MATCH_1}")
        list(FIND direct_${name} "${target}" allowed)
        if(allowed EQUAL -1 AND NOT target STREQUAL name)
          string(APPEND problems "  ${where}: ${name} includes ${path}, but ${target} is not below ${name}\n")
        endif()
      elseif(path MATCHES "^([a-z_]+)/")
        if(NOT CMAKE_MATCH_1 STREQUAL name)
          string(APPEND problems "  ${where}: ${name} includes ${path}, a private header of ${CMAKE_MATCH_1}\n")
        endif()
      endif()
    endforeach()
  endforeach()
endforeach()

if(problems)
  message(FATAL_ERROR "layering: a folder includes a folder that is not below it "
          "(src/CMakeLists.txt lists what each may use):\n${problems}")
endif()
