# Writes the documented default configuration from the schema (kioskctl config example),
# so the file shipped in the package always matches the program.
execute_process(COMMAND ${KIOSKCTL} config example OUTPUT_FILE ${OUT}.tmp RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "kioskctl config example failed (${rc})")
endif()
file(RENAME ${OUT}.tmp ${OUT})
