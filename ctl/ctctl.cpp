#include "ctctl.hpp"

#include "bus_client.hpp"
#include "bus_errors.hpp"
#include "ctctl_keys.hpp"
#include "ctctl_sync.hpp"
#include "entry_table.hpp"
#include "flush_progress.hpp"
#include "flush_progress.hpp"
#include "load_feeder.hpp"
#include "format/formatter.hpp"
#include "output_pipe.hpp"
#include "polkit_agent.hpp"

#include "ctd_config.h"

#include <nlohmann/json.hpp>

#include <signal.h>
#include <unistd.h>

#include <csignal>
#include <memory>
#include <system_error>
#include <cstdio>
#include <string>
#include <vector>

namespace ctd::ctl {

namespace {

constexpr const char* kUsage =
    "ctctl [OPTIONS...] COMMAND [FILTERS...]\n"
    "\n"
    "Query and change the connection tracking table through ctd.\n"
    "\n"
    "Commands:\n"
    "  status                 Table size, limits, kernel and service counters\n"
    "  list [FILTERS]         List entries\n"
    "  get TUPLE              Show one entry (full tuple or --id)\n"
    "  create ENTRY           Create an entry (tuple, --timeout, ...)\n"
    "  update FILTERS CHANGES Change matching entries (--set-mark, --set-timeout, ...)\n"
    "  delete FILTERS|--all   Delete matching entries\n"
    "  flush [FILTERS]        Delete matching entries without printing them\n"
    "  count [FILTERS]        Count matching entries\n"
    "  watch [FILTERS]        Print events until interrupted (--events new,update,destroy)\n"
    "  stats                  Per-CPU kernel statistics\n"
    "  load FILE|-            Create the entries of a save file (conntrack -o save)\n"
    "  expect list|get|create|delete|flush|count|watch ...\n"
    "                         The same for the expectation table\n"
    "  sync [status]          Sync engine: mode, role, caches, FTFW counters, active link\n"
    "  sync commit|flush [internal|external]|resync|request-resync|bulk|reset-timers\n"
    "  sync role primary|backup\n"
    "  sync dump internal|external  The cache's entries (-o FORMAT, --json)\n"
    "  sync stats [CATEGORY]  Sync counters (network, cache, runtime, link, rsqueue, queue)\n"
    "  links                  The sync channels (Links/<n>) and their counters\n"
    "  version                Versions of ctctl and of the running ctd\n"
    "\n"
    "Options:\n"
    "  -h --help              Show this help\n"
    "     --version           Show the version of ctctl\n"
    "     --json              JSON lines (docs/json.md)\n"
    "  -o --output FORMAT     conntrack's formats: plain, extended, xml, save, json, with\n"
    "                         id, timestamp, ktimestamp, labels, userspace\n"
    "     --no-legend         Do not print the summary line\n"
    "     --no-pager          Do not pipe output into a pager (ctctl never pages)\n"
    "     --no-ask-password   Do not ask for a password (polkit) on a terminal\n"
    "\n"
    "Filters are the keys of the bus query dictionary, one to one: --family, --protocol,\n"
    "--src, --dst, --reply-src, --reply-dst, --sport, --dport, --reply-sport, --reply-dport,\n"
    "--src-mask, --dst-mask, --icmp-type, --icmp-code, --icmp-id, --zone, --orig-zone,\n"
    "--reply-zone, --mark[/MASK], --status, --status-clear, --state, --labels, --nat,\n"
    "--nat-address, --snat, --dnat, --secmark, --id, --table, --zero-counters.\n"
    "Entries add --timeout, --helper, --snat, --dnat; changes are --set-mark, --set-mark-mask,\n"
    "--set-timeout, --set-status, --set-labels, --add-labels, --del-labels.\n"
    "See ctctl(1).\n";

volatile std::sig_atomic_t gStop = 0;
void onSignal(int) { gStop = 1; }

struct Options {
    std::string format;
    bool json = false;
    bool legend = true;
    bool ask = true;
    std::string command;
    std::string sub; // expect SUBCOMMAND
    std::vector<std::string> words; // sync SUBCOMMAND [ARG], links
    Dict query;
    Dict changes;
    bool all = false;
};

int usageError(const std::string& message)
{
    std::fprintf(stderr, "ctctl: %s\nTry 'ctctl --help' for more information.\n",
                 message.c_str());
    return 2;
}

int callFailed(const sdbus::Error& e)
{
    const CallError ce = classify(e);
    if (ce.kind == Failure::NoService)
        std::fprintf(stderr, "ctctl: ctd (%s) is not running and cannot be activated: %s\n",
                     kBusName, ce.message.c_str());
    else
        std::fprintf(stderr, "ctctl: %s\n", ce.message.empty() ? ce.name.c_str()
                                                              : ce.message.c_str());
    if (!ce.hint.empty())
        std::fprintf(stderr, "%s\n", ce.hint.c_str());
    return exitCodeFor(ce.kind);
}

// Splits argv into global options, the command and its --key value filters.
int parseArgs(int argc, char** argv, Options& o)
{
    std::vector<std::string> args(argv + 1, argv + argc);
    for (size_t i = 0; i < args.size(); ++i) {
        std::string a = args[i];
        auto next = [&](std::string& value) -> bool {
            const auto eq = a.find('=');
            if (eq != std::string::npos) {
                value = a.substr(eq + 1);
                a = a.substr(0, eq);
                return true;
            }
            if (i + 1 >= args.size())
                return false;
            value = args[++i];
            return true;
        };
        if (a == "-h" || a == "--help") {
            std::fputs(kUsage, stdout);
            std::exit(0);
        }
        if (a == "--version") {
            std::printf("ctctl %s\n", CTD_VERSION);
            std::exit(0);
        }
        if (a == "--json") { o.json = true; continue; }
        if (a == "--no-legend") { o.legend = false; continue; }
        if (a == "--no-pager") continue;
        if (a == "--no-ask-password") { o.ask = false; continue; }
        if (a == "--all") { o.all = true; continue; }
        if (a == "-o" || a.rfind("--output", 0) == 0) {
            std::string v;
            if (a.rfind("--output", 0) == 0 && a != "--output" && a[8] != '=')
                return usageError("unknown option '" + a + "'");
            if (!next(v))
                return usageError("option '" + a + "' needs a value");
            o.format = v;
            continue;
        }
        if (a.rfind("--", 0) == 0) {
            std::string name = a.substr(2);
            const auto eq = name.find('=');
            const std::string key = name.substr(0, eq);
            Dict* into = &o.query;
            std::string dictKey = key;
            if (key.rfind("set-", 0) == 0) {
                into = &o.changes;
                dictKey = key.substr(4);
            } else if (key == "add-labels") {
                into = &o.changes;
                dictKey = "labels-add";
            } else if (key == "del-labels") {
                into = &o.changes;
                dictKey = "labels-del";
            }
            if (!knownKey(dictKey))
                return usageError("unknown option '--" + key + "'");
            std::string value;
            if (isFlagKey(dictKey) && eq == std::string::npos)
                value = "yes";
            else if (!next(value))
                return usageError("option '--" + key + "' needs a value");
            if (auto e = addKey(*into, dictKey, value); !e.empty())
                return usageError(e);
            continue;
        }
        if (a.size() > 1 && a[0] == '-')
            return usageError("unknown option '" + a + "'");
        if (o.command.empty())
            o.command = a;
        else if (o.command == "sync" || o.command == "links")
            o.words.push_back(a);
        else if ((o.command == "expect" || o.command == "load") && o.sub.empty())
            o.sub = a;
        else
            return usageError("unexpected argument '" + a + "'");
    }
    return -1;
}

std::string formatOf(const Options& o, const char* fallback)
{
    if (o.json)
        return "json";
    return o.format.empty() ? fallback : o.format;
}

void legend(const Options& o, uint64_t n, const char* what)
{
    if (o.legend && !o.json)
        std::fprintf(stderr, "%llu %s.\n", static_cast<unsigned long long>(n), what);
}

template <typename P>
int streamCall(const Options& o, P&& call, const char* what)
{
    OutputPipe pipe;
    pipe.startCopying();
    const uint64_t n = call(pipe);
    pipe.finish();
    legend(o, n, what);
    return 0;
}

template <typename Proxy>
int watchCall(const Options& o, Proxy& proxy)
{
    struct sigaction sa {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    OutputPipe pipe;
    proxy.Watch(o.query, formatOf(o, "plain"), pipe.writeEnd());
    pipe.copyUntil(&gStop);
    return 0;
}

void printStatus(BusClient& bus, const Options& o)
{
    const auto global = bus.stats().GetKernelGlobal();
    std::map<std::string, uint64_t> service;
    try {
        service = bus.stats().GetService();
    } catch (const sdbus::Error&) {
    }
    auto value = [](const std::map<std::string, uint64_t>& m, const char* k) -> std::string {
        auto it = m.find(k);
        return it == m.end() ? "-" : std::to_string(it->second);
    };
    const std::string version = bus.manager().Version();
    std::string features;
    for (const auto& f : bus.manager().Features())
        features += (features.empty() ? "" : " ") + f;
    if (o.json) {
        std::printf("{\"version\":\"%s\",\"entries\":%s,\"max\":%s,\"expectations\":%s,"
                    "\"expect_max\":%s,\"event_loss\":%s%s}\n",
                    version.c_str(), value(global, "entries").c_str(),
                    value(global, "max").c_str(), value(global, "expectations").c_str(),
                    value(global, "expect_max").c_str(), value(service, "event_loss").c_str(),
                    syncStatusJsonMember(bus).c_str());
        return;
    }
    std::printf("     Service: ctd %s\n", version.c_str());
    std::printf("    Features: %s\n", features.c_str());
    std::printf("     Entries: %s / %s\n", value(global, "entries").c_str(),
                value(global, "max").c_str());
    std::printf("Expectations: %s / %s\n", value(global, "expectations").c_str(),
                value(global, "expect_max").c_str());
    std::printf("  Event loss: %s\n", value(service, "event_loss").c_str());
    // Per-protocol and per-state breakdown from one JSON dump, counted line by line.
    std::map<std::string, uint64_t> protocols, states;
    try {
        OutputPipe pipe([&](std::string_view line) {
            auto j = nlohmann::json::parse(line, nullptr, false);
            if (!j.is_object() || !j.contains("tuple-orig"))
                return;
            ++protocols[j["tuple-orig"].value("proto-name", std::string("unknown"))];
            for (const char* info : {"protoinfo-tcp", "protoinfo-sctp", "protoinfo-dccp"}) {
                if (j.contains(info) && j[info].is_object())
                    ++states[j[info].value("state", std::string("NONE"))];
            }
        });
        pipe.startCopying();
        bus.longCalls(true);
        bus.table().List(Dict{}, "json", pipe.writeEnd());
        pipe.finish();
        std::string line;
        for (const auto& [name, n] : protocols)
            line += (line.empty() ? "" : ", ") + name + " " + std::to_string(n);
        std::printf("   Protocols: %s\n", line.empty() ? "-" : line.c_str());
        line.clear();
        for (const auto& [name, n] : states)
            line += (line.empty() ? "" : ", ") + name + " " + std::to_string(n);
        std::printf("      States: %s\n", line.empty() ? "-" : line.c_str());
    } catch (const sdbus::Error& e) {
        std::printf("   Protocols: - (%s)\n", e.getMessage().c_str());
    }
    std::printf("     Streams: %s (lost %s)\n", value(service, "streams").c_str(),
                value(service, "stream_loss").c_str());
    // Only when ctd runs the sync engine (the Caches object exists).
    std::fputs(syncStatusText(bus).c_str(), stdout);
}

int runTable(BusClient& bus, Options& o, bool interactive)
{
    auto& t = bus.table();
    const std::string& c = o.command;
    if (interactive) {
        o.query["interactive"] = sdbus::Variant(true);
        if (!o.changes.empty())
            o.changes["interactive"] = sdbus::Variant(true);
    }
    if (c == "list" && o.format.empty() && !o.json && isatty(STDOUT_FILENO)) {
        // A terminal gets aligned columns, built from the JSON records.
        bus.longCalls(true);
        const char* term = getenv("TERM");
        EntryTable table(stdout, !getenv("NO_COLOR") && term && std::string(term) != "dumb",
                         o.legend);
        OutputPipe pipe([&](std::string_view line) { table.addJsonLine(line); });
        pipe.startCopying();
        const uint64_t n = t.List(o.query, "json", pipe.writeEnd());
        pipe.finish();
        table.finish();
        legend(o, n, "entries listed");
        return 0;
    }
    if (c == "list") {
        bus.longCalls(true);
        return streamCall(o, [&](OutputPipe& p) {
            return t.List(o.query, formatOf(o, "plain"), p.writeEnd()); }, "entries listed");
    }
    if (c == "get")
        return streamCall(o, [&](OutputPipe& p) {
            return t.Get(o.query, formatOf(o, "plain"), p.writeEnd()); }, "entries shown");
    if (c == "create") {
        OutputPipe pipe;
        pipe.startCopying();
        t.Create(o.query, formatOf(o, ""), pipe.writeEnd());
        pipe.finish();
        legend(o, 1, "entries created");
        return 0;
    }
    if (c == "update") {
        if (o.changes.empty())
            return usageError("update needs a change (--set-mark, --set-timeout, ...)");
        bus.longCalls(true);
        return streamCall(o, [&](OutputPipe& p) {
            return t.Update(o.query, o.changes, formatOf(o, "plain"), p.writeEnd()); },
            "entries updated");
    }
    if (c == "delete") {
        const bool empty = o.query.empty() || (o.query.size() == 1 && o.query.count("interactive"));
        if (empty && !o.all)
            return usageError("delete without filters deletes every entry; add --all");
        bus.longCalls(true);
        return streamCall(o, [&](OutputPipe& p) {
            return t.Delete(o.query, formatOf(o, "plain"), p.writeEnd()); }, "entries deleted");
    }
    if (c == "flush") {
        bus.longCalls(true);
        FlushProgress progress;
        if (o.legend && isatty(STDOUT_FILENO) && isatty(STDERR_FILENO)) {
            const bool empty = o.query.empty() || (o.query.size() == 1 && o.query.count("interactive"));
            const uint64_t before = t.Count();
            progress.start(empty ? before : t.CountMatching(o.query), before);
        }
        const uint64_t n = t.Flush(o.query);
        progress.stop();
        legend(o, n, "entries flushed");
        return 0;
    }
    if (c == "count") {
        const bool empty = o.query.empty() || (o.query.size() == 1 && o.query.count("interactive"));
        std::printf("%llu\n", static_cast<unsigned long long>(empty ? t.Count()
                                                                   : t.CountMatching(o.query)));
        return 0;
    }
    if (c == "watch")
        return watchCall(o, t);
    if (c == "load") {
        if (o.sub.empty())
            return usageError("load needs a file (or - for standard input)");
        std::unique_ptr<LoadFeeder> feeder;
        try {
            feeder = std::make_unique<LoadFeeder>(o.sub, isatty(STDERR_FILENO) && o.legend);
        } catch (const std::system_error& e) {
            std::fprintf(stderr, "ctctl: cannot read %s: %s\n", o.sub.c_str(),
                         e.code().message().c_str());
            return 1;
        }
        Dict options;
        if (interactive)
            options["interactive"] = sdbus::Variant(true);
        feeder->start();
        bus.longCalls(true);
        auto [loaded, failed] = t.Load(feeder->readEnd(), "save", options);
        feeder->finish();
        if (o.legend)
            std::fprintf(stderr, "%llu entries loaded, %llu failed.\n",
                         static_cast<unsigned long long>(loaded),
                         static_cast<unsigned long long>(failed));
        return failed ? 1 : 0;
    }
    return usageError("unknown command '" + c + "'");
}

int runExpect(BusClient& bus, Options& o, bool interactive)
{
    auto& x = bus.expectations();
    const std::string& s = o.sub.empty() ? std::string("list") : o.sub;
    if (interactive)
        o.query["interactive"] = sdbus::Variant(true);
    if (s == "list")
        return streamCall(o, [&](OutputPipe& p) {
            return x.List(o.query, formatOf(o, "plain"), p.writeEnd()); }, "expectations listed");
    if (s == "get")
        return streamCall(o, [&](OutputPipe& p) {
            return x.Get(o.query, formatOf(o, "plain"), p.writeEnd()); }, "expectations shown");
    if (s == "create") {
        OutputPipe pipe;
        pipe.startCopying();
        x.Create(o.query, formatOf(o, ""), pipe.writeEnd());
        pipe.finish();
        return 0;
    }
    if (s == "delete")
        return streamCall(o, [&](OutputPipe& p) {
            return x.Delete(o.query, formatOf(o, "plain"), p.writeEnd()); }, "expectations deleted");
    if (s == "flush") {
        legend(o, x.Flush(o.query), "expectations flushed");
        return 0;
    }
    if (s == "count") {
        std::printf("%llu\n", static_cast<unsigned long long>(x.CountMatching(o.query)));
        return 0;
    }
    if (s == "watch")
        return watchCall(o, x);
    return usageError("unknown command 'expect " + s + "'");
}

int runStats(BusClient& bus, const Options& o)
{
    for (const auto& cpu : bus.stats().GetKernelPerCpu()) {
        if (o.json) {
            std::string line = "{";
            for (const auto& [k, v] : cpu)
                line += (line.size() > 1 ? ",\"" : "\"") + k + "\":" + std::to_string(v);
            std::printf("%s}\n", line.c_str());
            continue;
        }
        std::string line;
        for (const auto& [k, v] : cpu)
            line += (line.empty() ? "" : " ") + k + "=" + std::to_string(v);
        std::printf("%s\n", line.c_str());
    }
    return 0;
}

} // namespace

int runCtctl(int argc, char** argv)
{
    Options o;
    if (int rc = parseArgs(argc, argv, o); rc >= 0)
        return rc;
    if (o.command.empty()) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    static const char* const known[] = {"status", "list", "get", "create", "update", "delete",
                                        "flush", "count", "watch", "stats", "expect", "version", "load",
                                        "sync", "links"};
    bool ok = false;
    for (const char* k : known)
        ok = ok || o.command == k;
    if (!ok)
        return usageError("unknown command '" + o.command + "'");
    try {
        PolkitAgent agent(o.ask);
        BusClient bus;
        if (o.command == "version") {
            std::printf("ctctl %s\nctd %s\n", CTD_VERSION, bus.manager().Version().c_str());
            return 0;
        }
        if (o.command == "status") {
            printStatus(bus, o);
            return 0;
        }
        if (o.command == "stats")
            return runStats(bus, o);
        if (o.command == "sync" || o.command == "links") {
            const SyncRequest request{o.words, o.format, o.json, o.legend, agent.interactive()};
            return o.command == "sync" ? runSync(bus, request) : runLinks(bus, request);
        }
        if (o.command == "expect")
            return runExpect(bus, o, agent.interactive());
        return runTable(bus, o, agent.interactive());
    } catch (const sdbus::Error& e) {
        return callFailed(e);
    }
}

} // namespace ctd::ctl
