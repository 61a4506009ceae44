// ctctl, and the conntrack and conntrackd drop-ins when started under those names
// (symlinks installed with -Dcompat_wrappers=true): argv[0]'s basename picks the command
// line spoken.
#include "conntrack_compat.hpp"
#include "conntrackd_compat.hpp"
#include "ctctl.hpp"

#include <cstring>
#include <string>

int main(int argc, char** argv)
{
    const char* name = argc > 0 && argv[0] ? argv[0] : "ctctl";
    if (const char* slash = std::strrchr(name, '/'))
        name = slash + 1;
    if (std::string(name) == "conntrack")
        return ctd::ctl::runConntrack(argc, argv);
    if (std::string(name) == "conntrackd")
        return ctd::ctl::runConntrackd(argc, argv);
    return ctd::ctl::runCtctl(argc, argv);
}
