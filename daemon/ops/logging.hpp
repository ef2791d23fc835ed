#pragma once
// The process-wide spdlog logger on stderr. Under journald (JOURNAL_STREAM
// names our stderr) each line is "<N>message": no timestamp (the journal adds
// its own) and the syslog priority as a prefix so that journald keeps it.
// Otherwise "2026-10-07T19:09:58.123Z info message".
#include <spdlog/common.h>

namespace tickerd {

// True when $JOURNAL_STREAM is "DEV:INODE" of the file open on stderr.
bool stderr_is_journal();

void setup_logging(spdlog::level::level_enum level);

}  // namespace tickerd
