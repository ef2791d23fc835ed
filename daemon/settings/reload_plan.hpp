#pragma once
// What a reload (SIGHUP) can apply, as a pure function of the running and the
// newly loaded config: symbols, providers and bad_tick apply at once; the
// settings read only at start ([server], [history], log_level) keep their
// running value, and each one that changed is named so it can be warned about.
#include <string>
#include <vector>

#include "tickerd/config.hpp"

namespace tickerd {

struct reload_plan {
    config next;                             // `loaded` with the start-only settings of `running`
    std::vector<std::string> restart_needed; // dotted keys that changed but need a restart ("server.listen")
};

reload_plan plan_reload(const config& running, config loaded);

}  // namespace tickerd
