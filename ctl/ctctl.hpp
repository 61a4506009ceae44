// ctctl's own command line (networkctl/resolvectl style): ctctl [OPTIONS] COMMAND [ARGS].
#pragma once

namespace ctd::ctl {

int runCtctl(int argc, char** argv);

} // namespace ctd::ctl
