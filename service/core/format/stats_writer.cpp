// conntrack -S lines (conntrack-tools 1.4.7 nfct_stats_cb / nfexp_stats_cb).
#include "format/formatter.hpp"

namespace ctd {

namespace {

constexpr std::string_view kCtNames[20] = {
    "", "searched", "found", "new", "invalid", "ignore", "delete", "delete_list", "insert",
    "insert_failed", "drop", "early_drop", "error", "search_restart", "clash_resolve",
    "chaintoolong", "unknown1", "unknown2", "unknown3", "unknown4",
};

constexpr std::string_view kExpNames[4] = {"", "expect_new", "expect_create", "expect_delete"};

template <size_t N>
std::string format(const CpuStats& stats, const std::string_view (&names)[N])
{
    TextBuffer out(512);
    out.append("cpu=");
    const size_t before = out.size();
    out.appendDecimal(stats.cpu);
    for (size_t n = out.size() - before; n < 4; ++n) // "%-4u"
        out.append(' ');
    out.append('\t');
    for (size_t i = 1; i < N && i < stats.values.size(); ++i) {
        if (!stats.values[i])
            continue;
        out.append(names[i]);
        out.append('=');
        out.appendDecimal(*stats.values[i]);
        out.append(' ');
    }
    out.append('\n');
    return out.str();
}

} // namespace

std::string formatCpuStats(const CpuStats& stats) { return format(stats, kCtNames); }
std::string formatExpectCpuStats(const CpuStats& stats) { return format(stats, kExpNames); }

} // namespace ctd
