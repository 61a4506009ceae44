// ctctl started as "conntrackd": the client side of conntrackd 1.4.7 (options, output,
// messages, exit statuses) served by ctd's Caches over the bus; -d and the daemon's
// foreground mode exec ctd. Mapping and differences: docs/compat.md, "conntrackd drop-in".
#pragma once

namespace ctd::ctl {

int runConntrackd(int argc, char** argv);

} // namespace ctd::ctl
