#include "ctctl_sync.hpp"

#include "bus_errors.hpp"
#include "output_pipe.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>

namespace ctd::ctl {

namespace {

using Options = std::map<std::string, sdbus::Variant>;
using Json = nlohmann::ordered_json;

constexpr const char* kLinkInterface = "org.netfilter.Conntrack1.Link";
// conntrackd allows 4 channels; the bound only keeps a broken service from looping us.
constexpr unsigned kMaxLinks = 256;

// The FTFW counters ctd adds to every GetStatistics category (docs/dbus-api.md).
const char* const kFtfwCounters[] = {
    "acks_sent", "nacks_sent", "acks_received", "nacks_received", "resent",
    "resend_overflows", "unrecoverable_nacks", "resync_requests_sent",
    "resync_requests_received", "hello_received", "failovers",
};

int usage(const std::string& message)
{
    std::fprintf(stderr, "ctctl: %s\nTry 'ctctl --help' for more information.\n",
                 message.c_str());
    return 2;
}

int withoutSync()
{
    std::fprintf(stderr, "ctctl: ctd runs without a sync configuration (no Sync section)\n"
                         "Hint: give ctd a conntrackd.conf with a Sync section (--config).\n");
    return 1;
}

Options optionsFor(const SyncRequest& r)
{
    Options o;
    if (r.interactive)
        o["interactive"] = sdbus::Variant(true);
    return o;
}

// Variant readers that never throw on a type the service should not have sent.
std::string str(const std::map<std::string, sdbus::Variant>& m, const char* key)
{
    auto it = m.find(key);
    return it != m.end() && it->second.containsValueOfType<std::string>()
        ? it->second.get<std::string>()
        : std::string();
}

bool flag(const std::map<std::string, sdbus::Variant>& m, const char* key)
{
    auto it = m.find(key);
    return it != m.end() && it->second.containsValueOfType<bool>() && it->second.get<bool>();
}

uint64_t number(const std::map<std::string, sdbus::Variant>& m, const std::string& key)
{
    auto it = m.find(key);
    if (it == m.end())
        return 0;
    if (it->second.containsValueOfType<uint64_t>())
        return it->second.get<uint64_t>();
    if (it->second.containsValueOfType<uint32_t>())
        return it->second.get<uint32_t>();
    if (it->second.containsValueOfType<uint16_t>())
        return it->second.get<uint16_t>();
    return 0;
}

Json variantJson(const sdbus::Variant& v)
{
    if (v.containsValueOfType<uint64_t>())
        return v.get<uint64_t>();
    if (v.containsValueOfType<uint32_t>())
        return v.get<uint32_t>();
    if (v.containsValueOfType<bool>())
        return v.get<bool>();
    if (v.containsValueOfType<std::string>())
        return v.get<std::string>();
    if (v.containsValueOfType<std::vector<std::string>>())
        return v.get<std::vector<std::string>>();
    if (v.containsValueOfType<std::map<std::string, uint64_t>>())
        return v.get<std::map<std::string, uint64_t>>();
    return nullptr;
}

std::string variantText(const sdbus::Variant& v)
{
    const Json j = variantJson(v);
    if (j.is_string())
        return j.get<std::string>();
    if (j.is_array()) {
        std::string out;
        for (const auto& item : j)
            out += (out.empty() ? "" : ", ") + (item.is_string() ? item.get<std::string>()
                                                                  : item.dump());
        return out;
    }
    return j.dump();
}

struct LinkInfo {
    unsigned index = 0;
    std::map<std::string, sdbus::Variant> props;
    std::map<std::string, uint64_t> counters;
};

// Links/0, Links/1, ... until the first index the service does not know.
std::vector<LinkInfo> readLinks(BusClient& bus)
{
    std::vector<LinkInfo> links;
    for (unsigned i = 0; i < kMaxLinks; ++i) {
        LinkInfo info;
        info.index = i;
        try {
            info.props = bus.link(i)->GetAll(kLinkInterface);
        } catch (const sdbus::Error& e) {
            if (withoutSyncEngine(e))
                break;
            throw;
        }
        auto it = info.props.find("Counters");
        if (it != info.props.end() &&
            it->second.containsValueOfType<std::map<std::string, uint64_t>>())
            info.counters = it->second.get<std::map<std::string, uint64_t>>();
        links.push_back(std::move(info));
    }
    return links;
}

Json linkJson(const LinkInfo& l)
{
    Json j;
    j["index"] = l.index;
    j["name"] = str(l.props, "Name");
    j["kind"] = str(l.props, "Kind");
    j["interface"] = str(l.props, "Interface");
    j["local_address"] = str(l.props, "LocalAddress");
    j["peer_address"] = str(l.props, "PeerAddress");
    j["port"] = number(l.props, "Port");
    j["up"] = flag(l.props, "Up");
    j["active"] = flag(l.props, "Active");
    j["counters"] = l.counters;
    return j;
}

uint64_t counter(const LinkInfo& l, const char* key)
{
    auto it = l.counters.find(key);
    return it == l.counters.end() ? 0 : it->second;
}

void printTable(const std::vector<std::vector<std::string>>& rows)
{
    std::vector<size_t> widths;
    for (const auto& row : rows) {
        widths.resize(std::max(widths.size(), row.size()), 0);
        for (size_t i = 0; i < row.size(); ++i)
            widths[i] = std::max(widths[i], row[i].size());
    }
    for (const auto& row : rows) {
        std::string line;
        for (size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size())
                line += std::string(widths[i] - row[i].size() + 1, ' ');
        }
        std::printf("%s\n", line.c_str());
    }
}

struct Summary {
    std::string mode, role;
    uint64_t internal = 0, external = 0;
    std::map<std::string, sdbus::Variant> general;
    std::vector<LinkInfo> links;
};

Summary readSummary(BusClient& bus)
{
    Summary s;
    auto& c = bus.caches();
    s.mode = c.Mode();
    s.role = c.Role();
    s.internal = c.InternalCount();
    s.external = c.ExternalCount();
    s.general = c.GetStatistics("");
    s.links = readLinks(bus);
    return s;
}

const LinkInfo* activeLink(const Summary& s)
{
    for (const auto& l : s.links) {
        if (flag(l.props, "Active"))
            return &l;
    }
    return nullptr;
}

Json summaryJson(const Summary& s)
{
    Json j;
    j["mode"] = s.mode;
    j["role"] = s.role;
    j["internal"] = s.internal;
    j["external"] = s.external;
    const LinkInfo* active = activeLink(s);
    j["active_link"] = active ? linkJson(*active) : Json(nullptr);
    Json ftfw = Json::object();
    for (const char* k : kFtfwCounters)
        ftfw[k] = number(s.general, std::string("ftfw.") + k);
    j["ftfw"] = ftfw;
    return j;
}

// Labels right-aligned at 12 columns, as ctctl status prints its own.
std::string summaryText(const Summary& s)
{
    std::string out;
    auto line = [&](const char* label, const std::string& value) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%12s: ", label);
        out += buf + value + "\n";
    };
    line("Sync mode", s.mode);
    line("Role", s.role.empty() ? "-" : s.role);
    line("Caches", "internal " + std::to_string(s.internal) + ", external " +
                       std::to_string(s.external));
    const LinkInfo* active = activeLink(s);
    if (active)
        line("Active link", std::to_string(active->index) + ": " + str(active->props, "Name") +
                                (flag(active->props, "Up") ? " (up)" : " (down)"));
    else
        line("Active link", "-");
    if (s.mode == "FTFW") {
        std::string ftfw;
        for (const char* k : kFtfwCounters) {
            std::string name = k;
            std::replace(name.begin(), name.end(), '_', ' ');
            ftfw += (ftfw.empty() ? "" : ", ") + name + " " +
                std::to_string(number(s.general, std::string("ftfw.") + k));
        }
        line("FTFW", ftfw);
    }
    return out;
}

void printReport(const std::map<std::string, uint64_t>& report, bool json)
{
    auto get = [&](const char* k) {
        auto it = report.find(k);
        return it == report.end() ? uint64_t{0} : it->second;
    };
    if (json) {
        Json j = Json::object();
        for (const auto& [k, v] : report)
            j[k] = v;
        std::printf("%s\n", j.dump().c_str());
        return;
    }
    std::printf("%llu created, %llu existed, %llu failed.\n",
                static_cast<unsigned long long>(get("created")),
                static_cast<unsigned long long>(get("existed")),
                static_cast<unsigned long long>(get("failed")));
}

uint64_t failedOf(const std::map<std::string, uint64_t>& report)
{
    auto it = report.find("failed");
    return it == report.end() ? 0 : it->second;
}

int stats(BusClient& bus, const SyncRequest& r, const std::string& category)
{
    const auto counters = bus.caches().GetStatistics(category);
    if (r.json) {
        Json j = Json::object();
        for (const auto& [k, v] : counters)
            j[k] = variantJson(v);
        std::printf("%s\n", j.dump().c_str());
        return 0;
    }
    size_t width = 0;
    for (const auto& kv : counters)
        width = std::max(width, kv.first.size());
    for (const auto& [k, v] : counters)
        std::printf("%-*s %s\n", static_cast<int>(width + 1), (k + ":").c_str(),
                    variantText(v).c_str());
    return 0;
}

int dump(BusClient& bus, const SyncRequest& r, const std::string& which)
{
    const std::string format = r.json ? "json" : r.format.empty() ? "plain" : r.format;
    OutputPipe pipe;
    pipe.startCopying();
    bus.longCalls(true);
    const uint64_t n = bus.caches().Dump(which, format, pipe.writeEnd(), optionsFor(r));
    pipe.finish();
    if (r.legend && !r.json)
        std::fprintf(stderr, "%llu entries dumped.\n", static_cast<unsigned long long>(n));
    return 0;
}

int sync(BusClient& bus, const SyncRequest& r)
{
    const std::vector<std::string>& w = r.words;
    const std::string sub = w.empty() ? "status" : w[0];
    const std::string arg = w.size() > 1 ? w[1] : "";
    auto& c = bus.caches();
    auto maxArgs = [&](size_t n) { return w.size() <= n + 1; };
    if (sub == "status") {
        if (!maxArgs(0))
            return usage("sync status takes no argument");
        const Summary s = readSummary(bus);
        if (r.json)
            std::printf("%s\n", summaryJson(s).dump().c_str());
        else
            std::fputs(summaryText(s).c_str(), stdout);
        return 0;
    }
    if (sub == "stats") {
        if (!maxArgs(1))
            return usage("sync stats takes at most one category");
        return stats(bus, r, arg);
    }
    if (sub == "dump") {
        if (w.size() != 2)
            return usage("sync dump needs internal or external");
        return dump(bus, r, arg);
    }
    // Everything below changes the engine: long calls (commits of big caches).
    bus.longCalls(true);
    if (sub == "commit") {
        if (!maxArgs(1))
            return usage("sync commit takes at most one argument (external[:ct|:expect])");
        const auto report = c.Commit(arg, optionsFor(r));
        printReport(report, r.json);
        return failedOf(report) ? 1 : 0;
    }
    if (sub == "flush") {
        if (!maxArgs(1))
            return usage("sync flush takes at most one argument (internal or external)");
        c.Flush(arg, optionsFor(r));
        return 0;
    }
    if (sub == "resync") {
        if (!maxArgs(0))
            return usage("sync resync takes no argument");
        c.ResyncFromKernel(optionsFor(r));
        return 0;
    }
    if (sub == "request-resync") {
        if (!maxArgs(0))
            return usage("sync request-resync takes no argument");
        c.RequestResync(optionsFor(r));
        return 0;
    }
    if (sub == "bulk") {
        if (!maxArgs(0))
            return usage("sync bulk takes no argument");
        c.SendBulk(optionsFor(r));
        return 0;
    }
    if (sub == "reset-timers") {
        if (!maxArgs(0))
            return usage("sync reset-timers takes no argument");
        const uint64_t n = c.ResetKernelTimers(optionsFor(r));
        if (r.json)
            std::printf("{\"changed\":%llu}\n", static_cast<unsigned long long>(n));
        else
            std::printf("%llu entries changed.\n", static_cast<unsigned long long>(n));
        return 0;
    }
    if (sub == "role") {
        if (w.size() != 2 || (arg != "primary" && arg != "backup"))
            return usage("sync role needs primary or backup");
        const auto report = c.SetRole(arg, optionsFor(r));
        if (arg == "primary") {
            printReport(report, r.json);
            return failedOf(report) ? 1 : 0;
        }
        if (r.json)
            std::printf("{}\n");
        return 0;
    }
    return usage("unknown command 'sync " + sub + "'");
}

} // namespace

int runSync(BusClient& bus, const SyncRequest& request)
{
    try {
        return sync(bus, request);
    } catch (const sdbus::Error& e) {
        if (withoutSyncEngine(e))
            return withoutSync();
        throw;
    }
}

int runLinks(BusClient& bus, const SyncRequest& request)
{
    if (!request.words.empty())
        return usage("links takes no argument");
    try {
        bus.caches().Mode(); // no Caches: no sync configuration, hence no links
    } catch (const sdbus::Error& e) {
        if (withoutSyncEngine(e))
            return withoutSync();
        throw;
    }
    const std::vector<LinkInfo> links = readLinks(bus);
    if (request.json) {
        for (const auto& l : links)
            std::printf("%s\n", linkJson(l).dump().c_str());
        return 0;
    }
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"IDX", "KIND", "NAME", "UP", "ACTIVE", "SENT", "RECEIVED", "ERRORS"});
    for (const auto& l : links) {
        const uint64_t errors = counter(l, "send_errors") + counter(l, "receive_errors");
        rows.push_back({std::to_string(l.index), str(l.props, "Kind"), str(l.props, "Name"),
                        flag(l.props, "Up") ? "yes" : "no", flag(l.props, "Active") ? "yes" : "no",
                        std::to_string(counter(l, "datagrams_sent")) + " / " +
                            std::to_string(counter(l, "bytes_sent")) + " B",
                        std::to_string(counter(l, "datagrams_received")) + " / " +
                            std::to_string(counter(l, "bytes_received")) + " B",
                        std::to_string(errors)});
    }
    printTable(rows);
    std::fflush(stdout); // the legend follows the table, also when both go to one pipe
    if (request.legend)
        std::fprintf(stderr, "\n%zu links listed.\n", links.size());
    return 0;
}

std::string syncStatusText(BusClient& bus)
{
    try {
        return summaryText(readSummary(bus));
    } catch (const sdbus::Error& e) {
        if (withoutSyncEngine(e))
            return {};
        return "        Sync: - (" + e.getMessage() + ")\n";
    }
}

std::string syncStatusJsonMember(BusClient& bus)
{
    try {
        return ",\"sync\":" + summaryJson(readSummary(bus)).dump();
    } catch (const sdbus::Error&) {
        return {};
    }
}

} // namespace ctd::ctl
