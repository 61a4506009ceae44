// ctctl started as "conntrack": conntrack 1.4.7's command line, output, messages and exit
// statuses, served by ctd over the bus (deliberate differences: docs/compat.md).
#pragma once

namespace ctd::ctl {

int runConntrack(int argc, char** argv);

} // namespace ctd::ctl
