# Runs `lvlab run FILE` and passes only if it exits 2 with the message that
# FILE's first line names: "# expect: <text>" (a plain substring).
file(READ ${FILE} text)
if(NOT text MATCHES "^# expect: ([^\n]*)")
  message(FATAL_ERROR "${FILE}: the first line must be '# expect: <message text>'")
endif()
set(want "${CMAKE_MATCH_1}")
execute_process(COMMAND ${LVLAB} run ${FILE} RESULT_VARIABLE code OUTPUT_VARIABLE out
                ERROR_VARIABLE err)
message(STATUS "exit ${code}: ${out}${err}")
if(NOT code EQUAL 2)
  message(FATAL_ERROR "expected exit 2 (broken file), got ${code}")
endif()
string(FIND "${out}${err}" "${want}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "expected the message to contain: ${want}")
endif()
