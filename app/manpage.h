// SPDX-License-Identifier: MIT
#pragma once

#include <QCommandLineOption>
#include <QList>
#include <QString>

namespace redrive::app {

// The redrive(1) manual page in roff, built from the option lists `--help` shows (`options`:
// the program's own followed by Settings::commandLineOptions()), the settings table for the
// environment and GenesysCommand::usage() for the subcommand: nothing in it is kept by hand in
// step with the code. `redrive --help-man` prints it; the build installs its output.
QString manPage(const QList<QCommandLineOption> &options);

// /etc/default/redrive, the service's settings file: every REDRIVE_* setting commented out with
// its default and help, from the settings table. Secrets are not settings and are not in it.
// `redrive --help-env` prints it.
QString environmentFileTemplate();

} // namespace redrive::app
