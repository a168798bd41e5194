# SPDX-License-Identifier: MIT
# Build step: runs `REDRIVE ARGUMENT` and writes its standard output to OUTPUT; with GZIP set,
# also OUTPUT.gz (gzip -9n: no name or time stamp, as Debian wants). Leak checking is off: a
# sanitizer build runs this too, and a leak report is not what the build is after.
set(ENV{ASAN_OPTIONS} "detect_leaks=0")
set(ENV{REDRIVE_NO_KEYCHAIN} "1")
execute_process(COMMAND "${REDRIVE}" "${ARGUMENT}" OUTPUT_FILE "${OUTPUT}.tmp"
                RESULT_VARIABLE result)
if(NOT result EQUAL 0)
    message(FATAL_ERROR "${REDRIVE} ${ARGUMENT} failed: ${result}")
endif()
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
if(GZIP)
    execute_process(COMMAND "${GZIP}" -9nc "${OUTPUT}" OUTPUT_FILE "${OUTPUT}.gz"
                    RESULT_VARIABLE result)
    if(NOT result EQUAL 0)
        message(FATAL_ERROR "gzip ${OUTPUT} failed: ${result}")
    endif()
endif()
