# SPDX-License-Identifier: MIT
# What `cmake --install` puts where (GNUInstallDirs), the files generated for it, and the Debian
# package (`cpack -G DEB`, see packaging/deb.sh). Included from the top CMakeLists.txt after app/.
include(GNUInstallDirs)
set(doc_dir ${CMAKE_INSTALL_DATAROOTDIR}/doc/redrive) # not DOCDIR: the package name is lower case

set(REDRIVE_APP_ID io.github.redrive.Redrive)
set(REDRIVE_MAINTAINER "The Redrive authors <redrive@users.noreply.github.com>")
# The date of the release this version is, for the Debian changelog (RFC 5322).
set(REDRIVE_RELEASE_DATE "Mon, 30 Nov 2026 12:00:00 +0000")
set(generated ${PROJECT_BINARY_DIR}/install)
find_program(REDRIVE_GZIP gzip REQUIRED)

# The manual page and /etc/default/redrive are printed by redrive itself, from the option table.
add_custom_command(OUTPUT ${generated}/redrive.1 ${generated}/redrive.1.gz
    COMMAND ${CMAKE_COMMAND} -DREDRIVE=$<TARGET_FILE:redrive> -DARGUMENT=--help-man
            -DOUTPUT=${generated}/redrive.1 -DGZIP=${REDRIVE_GZIP}
            -P ${PROJECT_SOURCE_DIR}/cmake/GeneratedFile.cmake
    DEPENDS redrive ${PROJECT_SOURCE_DIR}/cmake/GeneratedFile.cmake
    COMMENT "Writing the manual page redrive.1" VERBATIM)
add_custom_command(OUTPUT ${generated}/redrive.default
    COMMAND ${CMAKE_COMMAND} -DREDRIVE=$<TARGET_FILE:redrive> -DARGUMENT=--help-env
            -DOUTPUT=${generated}/redrive.default
            -P ${PROJECT_SOURCE_DIR}/cmake/GeneratedFile.cmake
    DEPENDS redrive ${PROJECT_SOURCE_DIR}/cmake/GeneratedFile.cmake
    COMMENT "Writing the service settings template" VERBATIM)
set(generated_files ${generated}/redrive.1 ${generated}/redrive.1.gz ${generated}/redrive.default)

# README and changelog compressed, as Debian wants documentation above 4 kB; the Debian
# changelog (a native package's changelog.gz) points at the project's own.
configure_file(${PROJECT_SOURCE_DIR}/packaging/debian/changelog.in ${generated}/changelog @ONLY)
foreach(doc README.md CHANGELOG.md)
    add_custom_command(OUTPUT ${generated}/${doc}.gz
        COMMAND ${REDRIVE_GZIP} -9nc ${PROJECT_SOURCE_DIR}/${doc} > ${generated}/${doc}.gz
        DEPENDS ${PROJECT_SOURCE_DIR}/${doc} VERBATIM)
    list(APPEND generated_files ${generated}/${doc}.gz)
endforeach()
add_custom_command(OUTPUT ${generated}/changelog.gz
    COMMAND ${REDRIVE_GZIP} -9nc ${generated}/changelog > ${generated}/changelog.gz
    DEPENDS ${generated}/changelog VERBATIM)
list(APPEND generated_files ${generated}/changelog.gz)

# hicolor PNGs drawn from the SVG at build time; without rsvg-convert only the SVG is installed
# (packaging/deb.sh requires it).
set(icon_svg ${PROJECT_SOURCE_DIR}/resources/icons/app/${REDRIVE_APP_ID}.svg)
set(REDRIVE_ICON_SIZES 16 22 24 32 48 64 128 256)
find_program(REDRIVE_RSVG_CONVERT rsvg-convert)
if(REDRIVE_RSVG_CONVERT)
    foreach(size ${REDRIVE_ICON_SIZES})
        set(png ${generated}/icons/${size}x${size}/${REDRIVE_APP_ID}.png)
        add_custom_command(OUTPUT ${png}
            COMMAND ${CMAKE_COMMAND} -E make_directory ${generated}/icons/${size}x${size}
            COMMAND ${REDRIVE_RSVG_CONVERT} --width ${size} --height ${size} --output ${png}
                    ${icon_svg}
            DEPENDS ${icon_svg} VERBATIM)
        list(APPEND generated_files ${png})
        install(FILES ${png} DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/${size}x${size}/apps)
    endforeach()
else()
    message(STATUS "rsvg-convert not found: only the scalable application icon is installed")
endif()
add_custom_target(redrive_install_files ALL DEPENDS ${generated_files})

install(FILES ${icon_svg} DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps)
install(FILES ${PROJECT_SOURCE_DIR}/resources/linux/${REDRIVE_APP_ID}.desktop
        DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
install(FILES ${PROJECT_SOURCE_DIR}/resources/linux/${REDRIVE_APP_ID}.metainfo.xml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
install(FILES ${generated}/redrive.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${generated}/README.md.gz ${generated}/CHANGELOG.md.gz ${generated}/changelog.gz
              ${PROJECT_SOURCE_DIR}/packaging/debian/copyright ${PROJECT_SOURCE_DIR}/LICENSE
        DESTINATION ${doc_dir})

# The service: the unit goes where systemd looks for packaged units (/lib/systemd/system on
# Debian 12 when installing to /usr), its settings template to SYSCONFDIR/default.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    set(unit_dir_default /lib/systemd/system)
else()
    set(unit_dir_default ${CMAKE_INSTALL_LIBDIR}/systemd/system)
endif()
set(REDRIVE_SYSTEMD_UNIT_DIR ${unit_dir_default} CACHE PATH "Where redrive.service goes")
configure_file(${PROJECT_SOURCE_DIR}/resources/linux/systemd/redrive.service.in
               ${generated}/redrive.service @ONLY)
install(FILES ${generated}/redrive.service DESTINATION ${REDRIVE_SYSTEMD_UNIT_DIR})
install(FILES ${generated}/redrive.default DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/default
        RENAME redrive)

# The Debian package.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME redrive)
set(CPACK_PACKAGE_VENDOR "The Redrive authors")
set(CPACK_PACKAGE_CONTACT "${REDRIVE_MAINTAINER}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "console and webhook receiver for Genesys Cloud dead letters")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${REDRIVE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE ${PROJECT_HOMEPAGE_URL})
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Loaded at run time, so shlibdeps cannot see them: the embedded Redis, and Qt's SVG image and
# icon plugins (every icon is an SVG).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "redis-server, libqt6svg6")
# CPack puts the summary first and indents these lines; an empty line becomes " .".
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "Redrive receives Genesys Cloud webhook deliveries, forwards them to a
downstream system and keeps the ones that failed in a Redis dead-letter
queue, from which its worker retries them with backoff.

The desktop console shows the queue live and lets you inspect, edit, retry
and delete dead letters. Headless, it runs as a hardened systemd service
(redrive.service) with secrets from systemd credentials, and serves /healthz
and Prometheus /metrics.")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
